package templates

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseParams(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []Param
	}{
		{"empty", "", nil},
		{"comment only", "// nothing to set\n", nil},
		{
			"every type",
			`// Settings of the build.
ugroup := "moodle" // unit group to create
nodes := 3         // how many nodes
ratio := 0.5
debug := false // verbose output
offset := -2
var flavour = "small" // small, medium or large
var timeout float64 = 30
tags := []string{"a", "b c"} // node tags
`,
			[]Param{
				{Name: "ugroup", Type: "string", Default: "moodle", Help: "unit group to create", Line: 2},
				{Name: "nodes", Type: "int", Default: "3", Help: "how many nodes", Line: 3},
				{Name: "ratio", Type: "float64", Default: "0.5", Line: 4},
				{Name: "debug", Type: "bool", Default: "false", Help: "verbose output", Line: 5},
				{Name: "offset", Type: "int", Default: "-2", Line: 6},
				{Name: "flavour", Type: "string", Default: "small", Help: "small, medium or large", Line: 7},
				{Name: "timeout", Type: "float64", Default: "30", Line: 8},
				{Name: "tags", Type: "[]string", Default: "a,b c", Help: "node tags", Line: 9},
			},
		},
		{
			"grouped var and raw string",
			"var (\n\tsite = `東京` // 拠点\n\tcount int = 2\n)\n",
			[]Param{
				{Name: "site", Type: "string", Default: "東京", Help: "拠点", Line: 2},
				{Name: "count", Type: "int", Default: "2", Line: 3},
			},
		},
		{"two on a line", "a, b := 1, \"x\"", []Param{
			{Name: "a", Type: "int", Default: "1", Line: 1},
			{Name: "b", Type: "string", Default: "x", Line: 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseParams(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseParamsErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"x := f()", `line 1: parameter "x": the default must be a literal`},
		{"a := 1\nfmt.Println(a)", "line 2: only parameter declarations"},
		{"x := 1\nx := 2", `line 2: parameter "x" declared twice`},
		{"x = 1", "line 1: declare a parameter as name := value"},
		{"var x int", "line 1: every parameter needs a default value"},
		{"var x string = 3", "declared string but the default is int"},
		{"x := []int{1}", "only []string is supported"},
		{"x := 'c'", "a char default is not supported"},
		{"_ := 1", "a parameter needs a name"},
		{"const x = 1", "only var declarations"},
		{"x := \"unterminated", "line 1:"},
		{"ugroup_name = ", "line 1:"},
		{"}\nfunc f() {", "line 1:"},
	}
	for _, tt := range tests {
		_, err := ParseParams(tt.src)
		var pe *ParamError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseParams(%q) = %v, want a ParamError containing %q", tt.src, err, tt.want)
		}
	}
}

func TestBuiltinHelloDeclaresName(t *testing.T) {
	got, err := ParseParams(`name := "world" // who to greet`)
	if err != nil {
		t.Fatal(err)
	}
	want := []Param{{Name: "name", Type: "string", Default: "world", Help: "who to greet", Line: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}
