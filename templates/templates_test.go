package templates

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"ocs/kernel/kerneltest"
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

// TestGeneratedNotebooksAreCurrent: every built-in template is a text
// notebook with a generated .ipynb beside it, and the .ipynb is exactly
// what ocs's converter makes of the text (go generate ./templates).
func TestGeneratedNotebooksAreCurrent(t *testing.T) {
	texts, _ := fs.Glob(FS(), "*/*.go")
	ipynbs, _ := fs.Glob(FS(), "*/*.ipynb")
	if len(texts) == 0 || len(texts) != len(ipynbs) {
		t.Fatalf("%d text templates, %d notebooks: each text needs its generated notebook", len(texts), len(ipynbs))
	}
	for _, path := range texts {
		data, err := fs.ReadFile(FS(), path)
		if err != nil {
			t.Fatal(err)
		}
		nb, err := notebook.ParseText(data, path)
		if err != nil {
			t.Fatal(err)
		}
		want, err := nb.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		twin := strings.TrimSuffix(path, ".go") + ".ipynb"
		got, err := fs.ReadFile(FS(), twin)
		if err != nil {
			t.Fatalf("%s has no generated notebook: %v (run go generate ./templates)", path, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is out of date with %s: run go generate ./templates", twin, path)
		}
		li, _ := nb.Metadata["language_info"].(map[string]any)
		for _, key := range []string{"name", "version", "file_extension", "mimetype", "pygments_lexer", "codemirror_mode"} {
			if _, ok := li[key]; !ok {
				t.Errorf("%s: language_info lacks %q", path, key)
			}
		}
		if li["file_extension"] != ".go" {
			t.Errorf("%s: language_info.file_extension %v, want .go", path, li["file_extension"])
		}
	}
}

// TestNbconvertTreatsTemplatesAsGo: Jupyter's own nbconvert, reading a
// generated notebook, writes its script as a .go file.
func TestNbconvertTreatsTemplatesAsGo(t *testing.T) {
	jupyter := kerneltest.NeedTool(t, "jupyter")
	dir := t.TempDir()
	data, err := fs.ReadFile(FS(), "hello/hello.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "hello.ipynb")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(jupyter, "nbconvert", "--to", "script", "--output-dir", dir, in)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nbconvert: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "hello.go")); err != nil {
		t.Fatalf("nbconvert did not write hello.go: %v", err)
	}
}
