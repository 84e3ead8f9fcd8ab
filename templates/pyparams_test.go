package templates

import (
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"ocs/kernel/kerneltest"
)

func TestParsePyParams(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []Param
	}{
		{"literals and help", "# defaults\nugroup = 'moodle'  # unit group\nnodes = 3\nratio = 0.5 # share\ndebug = False\nflavor = None\ntags = ['a', 'b']\n", []Param{
			{Name: "ugroup", Type: "str", Default: "'moodle'", Help: "unit group", Line: 2},
			{Name: "nodes", Type: "int", Default: "3", Line: 3},
			{Name: "ratio", Type: "float", Default: "0.5", Help: "share", Line: 4},
			{Name: "debug", Type: "bool", Default: "False", Line: 5},
			{Name: "flavor", Type: "None", Default: "None", Line: 6},
			{Name: "tags", Type: "list", Default: "['a', 'b']", Line: 7},
		}},
		{"annotation, expression, other statements", "import os\nport: int = 8080\nhome = os.environ.get('HOME')\nif True:\n    hidden = 1\nprint(port)\n", []Param{
			{Name: "port", Type: "int", Default: "8080", Line: 2},
			{Name: "home", Type: "", Default: "os.environ.get('HOME')", Line: 3},
		}},
		{"multi-line value and strings with #", "opts = {\n  'a': 1,  # first\n  'b': '#2',\n}  # options\nurl = \"http://x/#y\"\n", []Param{
			{Name: "opts", Type: "dict", Default: "{\n  'a': 1,  # first\n  'b': '#2',\n}", Help: "options", Line: 1},
			{Name: "url", Type: "str", Default: "\"http://x/#y\"", Line: 5},
		}},
		{"assigned twice", "n = 1  # count\nn = 2\n", []Param{{Name: "n", Type: "int", Default: "2", Help: "count", Line: 1}}},
		{"shell lines and comparisons are not parameters", "!echo a = b\nx == 1\nout = !ls\n%time y = 2\nz = 'it''s'\n", []Param{
			{Name: "z", Type: "", Default: "'it''s'", Line: 5},
		}},
		{"triple-quoted string", "doc = '''a\nb = 2\n'''\n", []Param{{Name: "doc", Type: "str", Default: "'''a\nb = 2\n'''", Line: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePyParams(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParsePyParamsErrors(t *testing.T) {
	tests := map[string]string{
		"a = 1\nb = 'open\n":  "line 2: string never closed",
		"a = [1,\n 2\n":       "line 1: bracket never closed",
		"a = 1)\n":            `line 1: unmatched ')'`,
		"x = 1\nname = \n":    `line 2: parameter "name" has no value`,
		"s = '''never ends\n": "line 1: string never closed",
	}
	for src, want := range tests {
		_, err := ParsePyParams(src)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", src, err, want)
		}
	}
}

func TestPyResolve(t *testing.T) {
	tests := []struct {
		raw  string
		want string // PyLiteral of the resolved value
	}{
		{"True", "True"}, {"False", "False"}, {"None", "None"}, {"true", "'true'"},
		{"12", "12"}, {" -7 ", "-7"}, {"+3", "3"}, {"1_000", "1000"}, {"007", "7"},
		{"123456789012345678901234567890", "123456789012345678901234567890"},
		{"1.5", "1.5"}, {"1e3", "1000.0"}, {".5", "0.5"}, {"5.", "5.0"}, {"-2.5e-3", "-0.0025"},
		{"nan", "float('nan')"}, {"-inf", "float('-inf')"}, {"Infinity", "float('inf')"}, {"1e400", "float('inf')"},
		{"0x10", "'0x10'"}, {"1__0", "'1__0'"}, {"", "''"}, {"moodle", "'moodle'"},
		{"it's", `"it's"`}, {`say "hi" it's`, `'say "hi" it\'s'`}, {"a\\b\nc\td", `'a\\b\nc\td'`},
		{"\x00\x1b\u0085\u2028", `'\x00\x1b\x85\u2028'`}, {"日本語", "'日本語'"}, {"\u3000", `'\u3000'`},
	}
	for _, tt := range tests {
		got, err := PyLiteral(PyResolve(tt.raw))
		if err != nil || got != tt.want {
			t.Errorf("%q: got %s %v, want %s", tt.raw, got, err, tt.want)
		}
	}
}

func TestPyLiteralValues(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{[]any{1, "a", nil, true, 2.0}, "[1, 'a', None, True, 2.0]"},
		{map[string]any{"b": 1, "a": []any{}}, "{'a': [], 'b': 1}"},
		{PyDict{{"z", int64(1)}, {"a", PyDict{}}}, "{'z': 1, 'a': {}}"},
		{uint64(math.MaxUint64), "18446744073709551615"},
		{math.Inf(1), "float('inf')"},
		{1e21, "1e+21"},
	}
	for _, tt := range tests {
		got, err := PyLiteral(tt.v)
		if err != nil || got != tt.want {
			t.Errorf("%#v: got %s %v, want %s", tt.v, got, err, tt.want)
		}
	}
	if _, err := PyLiteral("\xff"); err == nil {
		t.Error("invalid UTF-8 was written")
	}
	if _, err := PyLiteral(struct{}{}); err == nil {
		t.Error("a struct was written")
	}
}

// TestPyLiteralsReadByPython has Python itself read what PyLiteral writes:
// each literal must parse and evaluate to the value meant.
func TestPyLiteralsReadByPython(t *testing.T) {
	python := kerneltest.NeedTool(t, "/usr/bin/python3")
	values := []any{
		"plain", "it's", `both ' and "`, "back\\slash", "nl\nand\r\x00\x07\x7f", "\u0085\u2028\u2029\u3000", "日本語 ok", "\U0001F600", "\U000E0001",
		big.NewInt(0).Lsh(big.NewInt(1), 100), int64(-5), 0.1, 100.0, 1e300, math.Copysign(0, -1), 5e-324, math.NaN(), math.Inf(-1),
		true, nil, []any{"a", []any{1}}, PyDict{{"k", "v"}, {"n", nil}},
	}
	var lits []string
	for _, v := range values {
		lit, err := PyLiteral(v)
		if err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		lits = append(lits, lit)
	}
	// Python prints each value as JSON (floats by repr, so every bit counts).
	script := `import ast, json, sys, math
out = []
for src in json.load(sys.stdin):
    v = eval(compile(ast.parse(src, mode='eval'), '<lit>', 'eval'), {})
    if isinstance(v, float):
        out.append(['float', repr(v)])
    elif isinstance(v, int) and not isinstance(v, bool):
        out.append(['int', str(v)])
    else:
        out.append([type(v).__name__, v])
json.dump(out, sys.stdout)
`
	in, _ := json.Marshal(lits)
	cmd := exec.Command(python, "-c", script)
	cmd.Stdin = strings.NewReader(string(in))
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var got [][2]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	for i, v := range values {
		kind, val := got[i][0], got[i][1]
		switch v := v.(type) {
		case string:
			if kind != "str" || val != v {
				t.Errorf("%s: Python read %v %q, want %q", lits[i], kind, val, v)
			}
		case float64:
			want := pyFloatRepr(v)
			if kind != "float" || val != want {
				t.Errorf("%s: Python read %v %v, want float %s", lits[i], kind, val, want)
			}
		case *big.Int, int64:
			if kind != "int" || val != fmtAny(v) {
				t.Errorf("%s: Python read %v %v", lits[i], kind, val)
			}
		case bool:
			if kind != "bool" || val != v {
				t.Errorf("%s: Python read %v %v", lits[i], kind, val)
			}
		case nil:
			if kind != "NoneType" {
				t.Errorf("%s: Python read %v", lits[i], kind)
			}
		case []any:
			if kind != "list" {
				t.Errorf("%s: Python read %v", lits[i], kind)
			}
		case PyDict:
			if kind != "dict" || !reflect.DeepEqual(val, map[string]any{"k": "v", "n": nil}) {
				t.Errorf("%s: Python read %v %v", lits[i], kind, val)
			}
		}
	}
}

// pyFloatRepr is Python's repr of f, for the values the test uses.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, -1):
		return "-inf"
	case f == 0 && math.Signbit(f):
		return "-0.0"
	}
	return map[float64]string{0.1: "0.1", 100: "100.0", 1e300: "1e+300", 5e-324: "5e-324"}[f]
}

func fmtAny(v any) string {
	switch v := v.(type) {
	case *big.Int:
		return v.String()
	case int64:
		return big.NewInt(v).String()
	}
	return ""
}

// FuzzParsePyParams: any cell parses or fails with a line error, and every
// default found is text of the cell.
func FuzzParsePyParams(f *testing.F) {
	for _, s := range []string{"a = 1  # help\n", "x = [\n1,\n]\n", "!echo {a}\nb = 'c'\n", "s = '''\n'''", "n = \\\n 3\n", "a = (\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		params, err := ParsePyParams(src)
		if err != nil {
			var pe *ParamError
			if !errors.As(err, &pe) || pe.Line < 1 {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		for _, p := range params {
			if !strings.Contains(src, p.Default) || p.Line < 1 {
				t.Fatalf("parameter %+v is not in the cell", p)
			}
		}
	})
}

// FuzzPyResolve: every -p value becomes a literal, one line long.
func FuzzPyResolve(f *testing.F) {
	for _, s := range []string{"1", "1.5", "True", "it's", "a\nb", "nan", "1_0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		lit, err := PyLiteral(PyResolve(raw))
		if err != nil {
			if strings.ToValidUTF8(raw, "") == raw {
				t.Fatalf("%q: %v", raw, err)
			}
			return
		}
		if strings.ContainsAny(lit, "\n\r\v\f\x1c\x1d\x1e\x00\u0085\u2028\u2029") {
			t.Fatalf("%q: literal %q spans lines", raw, lit)
		}
	})
}
