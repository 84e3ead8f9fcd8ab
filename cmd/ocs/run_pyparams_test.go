package main

import (
	"os"
	"path/filepath"
	"testing"

	"ocs/templates"
)

func TestTypedParams(t *testing.T) {
	file := filepath.Join(t.TempDir(), "p.yaml")
	yml := "n: 5\ns: \"5\"\nf: 1.5\nb: yes\nnull_one: ~\nlist: [a, 2, true]\nmap: {z: 1, a: [x]}\nwhen: 2024-01-02\nbig: 123456789012345678901234567890\ninf: .inf\nover: from-file\n"
	if err := os.WriteFile(file, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	f := &runFlags{paramsFile: file, params: []string{"over=from-p"}}
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
