package pycheck

import (
	"context"
	"strings"
	"testing"

	"ocs/kernel/kerneltest"
)

func TestCompile(t *testing.T) {
	python := kerneltest.NeedTool(t, DefaultPython)
	tests := []struct {
		src  string
		want string // "" for a cell that compiles
	}{
		{"x = 1\nprint(x)\n", ""},
		{"for i in range(3):\n    !echo {i} {{literal}}\nout = !ls\n%run scripts/helper.py\n", ""},
		{"%%writefile x.txt\nnot python at all {\n", ""},
		{"a = 1\nb = (a +\n", "line 2:"},
		{"def f(:\n    pass\n", "line 1:7: invalid syntax"},
		{"name = \n", "line 1:"},
		{"  x = 1\n", ""}, // IPython removes a cell's leading indentation
		{"if True:\nprint(1)\n", "expected an indented block"},
	}
	sources := make([]string, len(tests))
	for i, tt := range tests {
		sources[i] = tt.src
	}
	errs, err := Compile(context.Background(), python, sources)
	if err != nil {
		t.Fatal(err)
	}
	for i, tt := range tests {
		switch {
		case tt.want == "" && errs[i] != nil:
			t.Errorf("%q: %v", tt.src, errs[i])
		case tt.want != "" && (errs[i] == nil || !strings.Contains(errs[i].Error(), tt.want)):
			t.Errorf("%q: got %v, want %q", tt.src, errs[i], tt.want)
		}
	}
}

func TestCompileWithoutPython(t *testing.T) {
	if _, err := Compile(context.Background(), "/nonexistent/python3", []string{"x = 1"}); err == nil {
		t.Fatal("no error without a Python")
	}
}
