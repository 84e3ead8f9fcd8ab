package templates

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestParseVCPParams(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []Param
	}{
		{"placeholder under an example", "# (例)\n# ugroup_name = 'Moodle'\n\nugroup_name = \n", []Param{
			{Name: "ugroup_name", Kind: KindRequired, Example: "'Moodle'", Line: 4},
		}},
		{"default, help, optional", "# node_count = 2\nflavor = 'small'  # size of the nodes\n# (例)\n# ip_address = '172.30.2.10'\n", []Param{
			{Name: "node_count", Kind: KindOptional, Type: "int", Example: "2", Line: 1},
			{Name: "flavor", Kind: KindDefault, Type: "str", Default: "'small'", Help: "size of the nodes", Line: 2},
			{Name: "ip_address", Kind: KindOptional, Type: "str", Example: "'172.30.2.10'", Line: 4},
		}},
		{"getpass and code", "from getpass import getpass\nvcc_access_token = getpass()\nprint('ok')\n", []Param{
			{Name: "vcc_access_token", Kind: KindSecret, Type: "secret", Line: 2},
		}},
		{"examples joined; indented code ignored", "# mode = 'http'\n# mode = 'https'\nmode = \nif mode:\n    inner = 1\n", []Param{
			{Name: "mode", Kind: KindRequired, Example: "'http' or 'https'", Line: 3},
		}},
		{"placeholder with a comment, no newline", "a =   # the a\nb = [1,\n  2]", []Param{
			{Name: "a", Kind: KindRequired, Help: "the a", Line: 1},
			{Name: "b", Kind: KindDefault, Type: "list", Default: "[1,\n  2]", Line: 2},
		}},
		{"prose comments are not parameters", "# Set the values below.\n# if x == 1 do this\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseVCPParams(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.Params, tt.want) {
				t.Fatalf("got\n%+v\nwant\n%+v", c.Params, tt.want)
			}
		})
	}
	if _, err := ParseVCPParams("x = 'open\n"); err == nil || !strings.HasPrefix(err.Error(), "line 1:") {
		t.Errorf("unterminated string: %v", err)
	}
}

// TestVCPFill writes values into cells in place; testdata/vcpfill.golden
// holds each cell, the values and the filled cell (go test -update
// rewrites it).
func TestVCPFill(t *testing.T) {
	cases := []struct {
		name   string
		src    string
		values map[string]string
	}{
		{"placeholder filled", "# (例)\n# ugroup_name = 'Moodle'\n\nugroup_name = \n", map[string]string{"ugroup_name": "'mdl'"}},
		{"default replaced, comment kept", "flavor = 'small'  # size\nnodes = 1\n", map[string]string{"flavor": "'large'"}},
		{"multi-line default replaced", "opts = {\n  'a': 1,\n}  # opts\nrest = 2\n", map[string]string{"opts": "{'b': 2}"}},
		{"optional added as a line", "# (例)\n# ip_address = '10.0.0.1'\nname = \n", map[string]string{"ip_address": "'10.1.1.1'", "name": "'n'"}},
		{"optional added to a cell without a final newline", "# extra = 1", map[string]string{"extra": "5"}},
		{"assigned twice, both filled", "n = 1\nprint(n)\nn = 2\n", map[string]string{"n": "7"}},
		{"unknown names left out, getpass untouched", "token = getpass()\nx = \n", map[string]string{"x": "None", "y": "1"}},
	}
	var b strings.Builder
	for _, tc := range cases {
		c, err := ParseVCPParams(tc.src)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		names := make([]string, 0, len(tc.values))
		for n := range tc.values {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(&b, "=== %s\n--- cell\n%s\n--- values\n", tc.name, tc.src)
		for _, n := range names {
			fmt.Fprintf(&b, "%s: %s\n", n, tc.values[n])
		}
		out := c.Fill(tc.values)
		fmt.Fprintf(&b, "--- filled\n%s\n", out)
		// A filled cell reads back with the values as its defaults.
		again, err := ParseVCPParams(out)
		if err != nil {
			t.Fatalf("%s: the filled cell does not parse: %v", tc.name, err)
		}
		for _, n := range names {
			if p, ok := c.Param(n); ok && p.Kind != KindSecret {
				if q, ok := again.Param(n); !ok || q.Kind != KindDefault || q.Default != tc.values[n] {
					t.Errorf("%s: %s reads back as %+v", tc.name, n, q)
				}
			}
		}
		if c.Fill(nil) != tc.src {
			t.Errorf("%s: filling nothing changed the cell", tc.name)
		}
	}
	golden := filepath.Join("testdata", "vcpfill.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("filled cells differ from %s (go test -update rewrites it):\n%s", golden, b.String())
	}
}

func TestGetpassNames(t *testing.T) {
	src := "from getpass import getpass\nvcc_access_token = getpass()\nif True:\n    db_password = getpass.getpass('db')\nx = getpassword()\nvcc_access_token = getpass()\n"
	got := GetpassNames(src)
	if want := []string{"vcc_access_token", "db_password"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// FuzzParseVCPParams: any cell parses or fails at a line; a parsed cell
// filled with nothing is the cell itself, and filled with a value for every
// parameter still parses and declares each one with that value.
func FuzzParseVCPParams(f *testing.F) {
	for _, s := range []string{"# (例)\n# a = 'x'\n\na = \n", "b = 1  # h\n# c = 2\n", "t = getpass()\n", "d = {\n}\n", "!ls\n%run x.py\ne = \\\n 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		c, err := ParseVCPParams(src)
		if err != nil {
			var pe *ParamError
			if !errors.As(err, &pe) || pe.Line < 1 {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		if c.Fill(nil) != src {
			t.Fatal("filling nothing changed the cell")
		}
		values := map[string]string{}
		for _, p := range c.Params {
			if p.Kind != KindSecret {
				values[p.Name] = "'v'"
			}
		}
		out := c.Fill(values)
		again, err := ParseVCPParams(out)
		if err != nil {
			t.Fatalf("filled cell %q does not parse: %v", out, err)
		}
		for name := range values {
			if p, ok := again.Param(name); !ok || p.Default != "'v'" {
				t.Fatalf("filled cell %q: %s reads back as %+v", out, name, p)
			}
		}
	})
}
