package templates

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseParams checks that any cell text gives parameters or a
// ParamError at a line inside the cell, never a panic, and that every
// parameter it accepts lies inside the cell and has a supported type.
func FuzzParseParams(f *testing.F) {
	for _, seed := range []string{
		`name := "world" // who to greet`,
		"var n = 3 // count\nvar f float64 = 1\nok := true\nl := []string{\"a\"}",
		"var (\n a = -1.5\n)",
		"x := f()",
		"}\nfunc g() {",
		"/* open comment",
		"ugroup_name = ",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		params, err := ParseParams(src)
		lines := strings.Count(src, "\n") + 1
		if err != nil {
			var pe *ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a ParamError", err)
			}
			if pe.Line < 1 || pe.Line > lines {
				t.Fatalf("error at line %d of a %d-line cell", pe.Line, lines)
			}
			return
		}
		for _, p := range params {
			if p.Line < 1 || p.Line > lines {
				t.Fatalf("parameter %q at line %d of a %d-line cell", p.Name, p.Line, lines)
			}
			switch p.Type {
			case "string", "int", "float64", "bool", "[]string":
			default:
				t.Fatalf("parameter %q has type %q", p.Name, p.Type)
			}
		}
	})
}
