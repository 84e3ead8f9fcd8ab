package templates

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseParams(t *testing.T) {
	src := `// Parameters of the build.
ugroup_name := "moodle" // unit group to create
nodes := 3              // how many nodes
ratio := 0.5
debug := false // verbose output
offset := -2
var flavor = "small" // small, medium or large
var timeout float64 = 30
tags := []string{"a", "b c"} // node tags
admin_pw := "" // ocs:secret the admin's password
`
	got, err := ParseParams(src)
	if err != nil {
		t.Fatal(err)
	}
	want := []Param{
		{Name: "ugroup_name", Type: "string", Default: "moodle", Help: "unit group to create", Line: 2},
		{Name: "nodes", Type: "int", Default: "3", Help: "how many nodes", Line: 3},
		{Name: "ratio", Type: "float64", Default: "0.5", Line: 4},
		{Name: "debug", Type: "bool", Default: "false", Help: "verbose output", Line: 5},
		{Name: "offset", Type: "int", Default: "-2", Line: 6},
		{Name: "flavor", Type: "string", Default: "small", Help: "small, medium or large", Line: 7},
		{Name: "timeout", Type: "float64", Default: "30", Line: 8},
		{Name: "tags", Type: "[]string", Default: "a,b c", Help: "node tags", Line: 9},
		// Finding 18: the marker makes a parameter secret, and is no help.
		{Name: "admin_pw", Type: "string", Default: "", Help: "the admin's password", Line: 10, Secret: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", got, want)
	}
}

// TestParamsNumberForms: defaults in any Go number form become decimal, the
// form -p values take (found by FuzzParseParams: 0B0 was kept as written
// and then rejected as an int).
func TestParamsNumberForms(t *testing.T) {
	tests := map[string]string{
		"n := 0x1F": "31", "n := 0b101": "5", "n := 0o17": "15", "n := 1_000": "1000",
		"n := -0x10": "-16", "f := 1e3": "1000", "f := 0x1p-2": "0.25", "f := -1_000.5": "-1000.5",
		"var f float64 = 0x10": "16",
	}
	for src, want := range tests {
		params, err := ParseParams(src)
		if err != nil || len(params) != 1 || params[0].Default != want {
			t.Errorf("%s: %+v %v, want default %s", src, params, err, want)
			continue
		}
		if _, err := params[0].Value(params[0].Default); err != nil {
			t.Errorf("%s: default rejected: %v", src, err)
		}
	}
	if _, err := ParseParams("n := 99999999999999999999"); err == nil || !strings.Contains(err.Error(), "does not fit in an int") {
		t.Errorf("an int too large: %v", err)
	}
}

func TestParseParamsErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"x := f()", "line 1: parameter \"x\": the default must be a literal"},
		{"a := 1\nfmt.Println(a)", "line 2: only parameter declarations"},
		{"x := 1\nx := 2", "line 2: parameter \"x\" declared twice"},
		{"x = 1", "line 1: a parameter is declared as name := value"},
		{"var x int", "line 1: every parameter needs a default value"},
		{"var x string = 3", "declared string but the default is int"},
		{"x := []int{1}", "only []string lists"},
		{"x := \"unterminated", "line 1:"},
		{"ugroup_name = ", "line 1:"},
	}
	for _, tt := range tests {
		_, err := ParseParams(tt.src)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseParams(%q) = %v, want error containing %q", tt.src, err, tt.want)
		}
	}
}

func TestParamValue(t *testing.T) {
	tests := []struct {
		typ, raw, want string
		ok             bool
	}{
		{"string", `a "quoted" name`, `"a \"quoted\" name"`, true},
		{"int", " 42 ", "42", true},
		{"int", "4.2", "", false},
		{"float64", "1e3", "1000", true},
		{"float64", "x", "", false},
		// Finding 22: NaN and Inf are no Go literal.
		{"float64", "NaN", "", false},
		{"float64", "-Inf", "", false},
		{"float64", "+infinity", "", false},
		{"bool", "true", "true", true},
		{"bool", "yes", "", false},
		{"[]string", "a, b ,c", `[]string{"a", "b", "c"}`, true},
		{"[]string", "", `[]string{}`, true},
	}
	for _, tt := range tests {
		got, err := Param{Name: "p", Type: tt.typ}.Value(tt.raw)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("%s %q: got %q, %v; want %q ok=%v", tt.typ, tt.raw, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseParams(f *testing.F) {
	f.Add("x := 1 // help\nvar y = \"s\"\nz := []string{\"a\"}\n")
	f.Add("}\n{")
	f.Add("x := -1.5e3")
	f.Fuzz(func(t *testing.T, src string) {
		params, err := ParseParams(src)
		if err != nil {
			return
		}
		for _, p := range params {
			// Every default must be accepted back as a value of its type.
			if _, err := p.Value(p.Default); err != nil && p.Type != "[]string" {
				t.Fatalf("default %q of %s rejected: %v", p.Default, p.Type, err)
			}
		}
	})
}
