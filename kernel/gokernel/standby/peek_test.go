package standby

import (
	"os"
	"path/filepath"
	"testing"
)

const (
	pythonNotebook = `{"cells": [], "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}`
	goNotebook     = `{"cells": [], "metadata": {"kernelspec": {"display_name": "Go (ocs)", "language": "go", "name": "ocs-go"}}, "nbformat": 4, "nbformat_minor": 5}`
	nameOnly       = `{"cells": [], "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}`
)

func TestGoLikely(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{"py.ipynb": pythonNotebook, "go.ipynb": goNotebook, "name-only.ipynb": nameOnly, "bad.ipynb": "{not json"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	py, gonb := filepath.Join(dir, "py.ipynb"), filepath.Join(dir, "go.ipynb")
	cases := []struct {
		name string
		args []string
		want bool
	}{
		{"python notebook", []string{py}, false},
		{"go notebook", []string{gonb}, true},
		{"flags before", []string{"-o", "x.ipynb", "-q", "--cwd=/tmp", py}, false},
		{"value of -o is not the source", []string{"-o", py, gonb}, true},
		{"--kernel ocs-go", []string{py, "--kernel", "ocs-go"}, true},
		{"--kernel python3", []string{gonb, "--kernel=python3"}, false},
		{"kernelspec without a language", []string{filepath.Join(dir, "name-only.ipynb")}, true},
		{"not JSON", []string{filepath.Join(dir, "bad.ipynb")}, true},
		{"missing file", []string{filepath.Join(dir, "none.ipynb")}, true},
		{"catalog name", []string{"moodle/010"}, true},
		{"text python notebook", []string{"x.py"}, false},
		{"text go notebook", []string{"x.go"}, true},
		{"stdin", []string{"-"}, true},
		{"after --", []string{"--", py}, false},
		{"combined short flags", []string{"-qo", "x", py}, true},
		{"flag without its value", []string{py, "--cwd"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := goLikely(c.args); got != c.want {
				t.Errorf("goLikely(%q) = %v, want %v", c.args, got, c.want)
			}
		})
	}
}

func TestKernelspecLanguage(t *testing.T) {
	cases := map[string]string{
		pythonNotebook: "python",
		goNotebook:     "go",
		nameOnly:       "",
		`{"metadata": {"kernelspec" : { "language" : "Python" }}}`:                     "python",
		`{"metadata": {"kernelspec": {"display_name": "a \"b\" }", "language": "r"}}}`: "r",
		`{"metadata": {"kernelspec": {"env": {"A": "1"}, "language": "python"}}}`:      "",
		`{"metadata": {}}`:            "",
		`{"metadata": {"kernelspec"`:  "",
		`{"kernelspec": "python3"}`:   "",
		`{"kernelspec": {"language"`:  "",
		`{"kernelspec": {"language":`: "",
	}
	for in, want := range cases {
		if got := kernelspecLanguage([]byte(in)); got != want {
			t.Errorf("kernelspecLanguage(%s) = %q, want %q", in, got, want)
		}
	}
}

func FuzzKernelspecLanguage(f *testing.F) {
	f.Add([]byte(pythonNotebook))
	f.Add([]byte(goNotebook))
	f.Fuzz(func(t *testing.T, b []byte) { _ = kernelspecLanguage(b) })
}
