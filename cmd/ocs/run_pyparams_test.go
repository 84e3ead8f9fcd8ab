package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ocs/templates"
)

func TestTypedParams(t *testing.T) {
	file := filepath.Join(t.TempDir(), "p.yaml")
	yml := "n: 5\ns: \"5\"\nf: 1.5\nb: yes\nnull_one: ~\nlist: [a, 2, true]\nmap: {z: 1, a: [x]}\nwhen: 2024-01-02\nbig: 123456789012345678901234567890\ninf: .inf\nover: from-file\n"
	if err := os.WriteFile(file, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	f := &runFlags{paramsFiles: []string{file}, params: []string{"over=from-p"}}
	names := map[string]string{}
	for _, n := range []string{"n", "s", "f", "b", "null_one", "list", "map", "when", "big", "inf", "over"} {
		names[n] = "x"
	}
	delete(names, "f") // a name the notebook does not take is left out
	got, err := typedParams(f, names)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"n": "5", "s": "'5'", "b": "'yes'", "null_one": "None", "list": "['a', 2, True]",
		"map": "{'z': 1, 'a': ['x']}", "when": "'2024-01-02'", "big": "123456789012345678901234567890", "inf": "float('inf')",
	}
	for name, lit := range want {
		v, ok := got[name]
		if !ok {
			t.Errorf("%s: missing", name)
			continue
		}
		s, err := templates.PyLiteral(v)
		if err != nil || s != lit {
			t.Errorf("%s: %s %v, want %s", name, s, err, lit)
		}
	}
	for _, absent := range []string{"f", "over"} {
		if _, ok := got[absent]; ok {
			t.Errorf("%s is typed from the file; want it left to -p or out", absent)
		}
	}
}

// -f files merge in order, -y texts win over them, -p wins over all; the
// Go (text) and Python (typed) values agree on the winner.
func TestParamPrecedence(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	if err := os.WriteFile(a, []byte("only_a: 1\nab: from-a\nall: from-a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte("ab: from-b\nall: from-b\nby: from-b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := &runFlags{
		paramsFiles: []string{a, b},
		paramsYAML:  []string{"by: from-y1\nall: from-y1\ny: 7", "y: 8"},
		params:      []string{"all=from-p"},
	}
	text, err := collectParams(f)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"only_a": "1", "ab": "from-b", "by": "from-y1", "y": "8", "all": "from-p"}
	for k, v := range want {
		if text[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, text[k], v, text)
		}
	}
	typed, err := typedParams(f, text)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(typed["y"]) != "8" || typed["ab"] != "from-b" || fmt.Sprint(typed["only_a"]) != "1" {
		t.Errorf("typed values %v", typed)
	}
	if _, ok := typed["all"]; ok {
		t.Errorf("a -p value came from YAML: %v", typed["all"])
	}
	if _, err := collectParams(&runFlags{paramsYAML: []string{"[1, 2]"}}); err == nil || !strings.Contains(err.Error(), "-y #1") {
		t.Errorf("a -y that is not a mapping: err = %v", err)
	}
}
