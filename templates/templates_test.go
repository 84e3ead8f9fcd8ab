package templates

import (
	"io/fs"
	"testing"

	"ocs/notebook"
)

// TestBuiltinTemplatesAreValid keeps every shipped notebook readable, with
// a kernelspec and a parameters cell ocs can parse.
func TestBuiltinTemplatesAreValid(t *testing.T) {
	paths, err := fs.Glob(FS(), "*/*.ipynb")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no built-in notebooks (err %v)", err)
	}
	for _, path := range paths {
		data, err := fs.ReadFile(FS(), path)
		if err != nil {
			t.Fatal(err)
		}
		nb, err := notebook.Parse(data, path)
		if err != nil {
			t.Fatal(err)
		}
		spec, _ := nb.Metadata["kernelspec"].(map[string]any)
		if spec["language"] != "go" {
			t.Errorf("%s: kernelspec language %v, want go", path, spec["language"])
		}
		for _, c := range nb.Cells {
			if c.HasTag(ParametersTag) {
				if _, err := ParseParams(c.Source.String()); err != nil {
					t.Errorf("%s: parameters: %v", path, err)
				}
			}
		}
	}
}
