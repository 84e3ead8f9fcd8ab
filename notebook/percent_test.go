package notebook

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ocs/kernel/kerneltest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sameNotebook fails unless a and b have the same cells (type, source,
// metadata, id) and the same notebook metadata; outputs are not compared.
func sameNotebook(t *testing.T, where string, a, b *Notebook) {
	t.Helper()
	js := func(v any) string {
		s, err := compactJSON(v)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		return s
	}
	if js(a.Metadata) != js(b.Metadata) {
		t.Errorf("%s: metadata\n%s\nwant\n%s", where, js(b.Metadata), js(a.Metadata))
	}
	if len(a.Cells) != len(b.Cells) {
		t.Fatalf("%s: %d cells, want %d", where, len(b.Cells), len(a.Cells))
	}
	for i := range a.Cells {
		x, y := a.Cells[i], b.Cells[i]
		if x.Type != y.Type || x.Source.String() != y.Source.String() || js(x.Metadata) != js(y.Metadata) || (x.ID != "" && x.ID != y.ID) {
			t.Errorf("%s: cells[%d] = %s %q %s id %q, want %s %q %s id %q", where, i,
				y.Type, y.Source.String(), js(y.Metadata), y.ID, x.Type, x.Source.String(), js(x.Metadata), x.ID)
		}
	}
}

// roundTripFiles are every notebook of testdata/ and the built-in templates.
func roundTripFiles(t *testing.T) []string {
	var files []string
	for _, pattern := range []string{corpusDir + "/*.ipynb", lenientDir + "/*.ipynb", "../templates/*/*.ipynb"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 15 {
		t.Fatalf("only %d notebooks found", len(files))
	}
	return files
}

// TestTextRoundTrip: every notebook, without its outputs, converts to text
// and back to the same notebook, and that text converts to a notebook and
// back to the same bytes. Notebooks already in the form text gives (4.5,
// list sources, no outputs: the built-in templates) come back byte for byte.
func TestTextRoundTrip(t *testing.T) {
	for _, path := range roundTripFiles(t) {
		t.Run(filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			nb, _, err := Read(data, path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := TextLanguageOf(nb); err != nil {
				// No language: no text form. Give it one to go on.
				nb.Metadata["language_info"] = map[string]any{"name": "python"}
			}
			hadOutputs := nb.Strip()
			for _, c := range nb.Cells {
				if c.Type == Code {
					c.Outputs, c.ExecutionCount = []*Output{}, nil
				}
			}
			text, err := nb.TextBytes()
			if strings.Contains(path, "nan") && strings.Contains(path, "lenient") && !strings.Contains(path, "output") {
				if err == nil || !strings.Contains(err.Error(), "NaN has no YAML form") {
					t.Fatalf("NaN in the metadata: got %v, want an error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseText(text, "text")
			if err != nil {
				t.Fatalf("cannot read the text back: %v\n%s", err, text)
			}
			sameNotebook(t, "ipynb → text → ipynb", nb, back)
			again, err := back.TextBytes()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, text) {
				t.Errorf("text → ipynb → text changed the bytes:\n%s", firstDiff(text, again))
			}
			if strings.HasPrefix(path, "../templates/") && !hadOutputs {
				out, err := back.Bytes()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(out, data) {
					t.Errorf("ipynb → text → ipynb changed the bytes:\n%s", firstDiff(data, out))
				}
			}
		})
	}
}

// TestTextGolden: notebooks of testdata/percent convert to the golden text
// (NAME.ipynb → NAME.go or NAME.py), and text notebooks written by hand
// (NAME.in.go, NAME.in.py) to the golden notebook (NAME.in.ipynb). Run
// with -update to rewrite the golden files.
func TestTextGolden(t *testing.T) {
	dir := filepath.Join("testdata", "percent")
	notebooks, _ := filepath.Glob(filepath.Join(dir, "*.ipynb"))
	texts, _ := filepath.Glob(filepath.Join(dir, "*.in.*"))
	if len(notebooks) == 0 || len(texts) == 0 {
		t.Fatal("no golden inputs in testdata/percent")
	}
	check := func(path string, got []byte) {
		t.Helper()
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs (run with -update to accept):\n%s", path, firstDiff(want, got))
		}
	}
	for _, path := range notebooks {
		if strings.Contains(path, ".in.") {
			continue
		}
		nb, err := ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lang, err := TextLanguageOf(nb)
		if err != nil {
			t.Fatal(err)
		}
		text, err := nb.TextBytes()
		if err != nil {
			t.Fatal(err)
		}
		check(strings.TrimSuffix(path, ".ipynb")+lang.Extension, text)
	}
	var written []string
	for _, path := range texts {
		if strings.HasSuffix(path, ".ipynb") {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		nb, err := ParseText(data, path)
		if err != nil {
			t.Fatal(err)
		}
		out, err := nb.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		golden := strings.TrimSuffix(path, filepath.Ext(path)) + ".ipynb"
		check(golden, out)
		written = append(written, golden)
		// And back to the text: canonical text comes back byte for byte.
		text, err := nb.TextBytes()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(text, data) {
			t.Errorf("%s: text → ipynb → text changed it:\n%s", path, firstDiff(data, text))
		}
	}
	kerneltest.RequireValid(t, written...)
}

// TestJupytextCompatibility reads files written from jupytext's
// documentation of the percent format: markers with titles, cell types and
// key=value metadata, markdown and raw cells as comments, the YAML header
// with jupytext's own section, and Go's "//gonb:" escape of cell magics.
func TestJupytextCompatibility(t *testing.T) {
	py := `# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.16.4
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# This is a multiline
# Markdown cell

# %% [md]
# Another Markdown cell

# %%
# This is a code cell
class A():
    def one():
        return 1

%matplotlib inline
!ls -l

# %% Optional title [markdown] key="value"
# A titled cell with metadata

# %% tags=["parameters"]
nodes = 2

# %% [raw] format="text/plain"
# raw text

#%%
x = 1
`
	nb, err := ParseText([]byte(py), "doc.py")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		typ, src, meta string
	}{
		{Markdown, "This is a multiline\nMarkdown cell", "{}"},
		{Markdown, "Another Markdown cell", "{}"},
		{Code, "# This is a code cell\nclass A():\n    def one():\n        return 1\n\n%matplotlib inline\n!ls -l", "{}"},
		{Markdown, "A titled cell with metadata", `{"key": "value", "title": "Optional title"}`},
		{Code, "nodes = 2", `{"tags": ["parameters"]}`},
		{Raw, "raw text", `{"format": "text/plain"}`},
		{Code, "x = 1", "{}"},
	}
	if len(nb.Cells) != len(want) {
		t.Fatalf("%d cells, want %d", len(nb.Cells), len(want))
	}
	for i, w := range want {
		c := nb.Cells[i]
		meta, _ := compactJSON(c.Metadata)
		if c.Type != w.typ || c.Source.String() != w.src || meta != w.meta {
			t.Errorf("cell %d: %s %q %s, want %s %q %s", i, c.Type, c.Source.String(), meta, w.typ, w.src, w.meta)
		}
	}
	ks, _ := compactJSON(nb.Metadata)
	if want := `{"jupytext": {"formats": "ipynb,py:percent"}, "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}}`; ks != want {
		t.Errorf("metadata %s, want %s", ks, want)
	}

	goText := "// ---\n// jupyter:\n//   kernelspec:\n//     display_name: Go (ocs)\n//     language: go\n//     name: ocs-go\n// ---\n\n" +
		"// %%\n//gonb:%%ssh web\nhostname\n\n// %% [markdown]\n// # Title\n//\n// text\n"
	nb, err = ParseText([]byte(goText), "doc.go")
	if err != nil {
		t.Fatal(err)
	}
	if got := nb.Cells[0].Source.String(); got != "%%ssh web\nhostname" {
		t.Errorf("gonb escape: %q", got)
	}
	if got := nb.Cells[1].Source.String(); got != "# Title\n\ntext" {
		t.Errorf("markdown: %q", got)
	}
}

// TestTextInvalid: bad text is an error naming the file and the line.
func TestTextInvalid(t *testing.T) {
	header := "# ---\n# jupyter:\n#   kernelspec:\n#     display_name: P\n#     language: python\n#     name: python3\n# ---\n\n"
	for name, tt := range map[string]struct{ in, want string }{
		"no header":        {"# %%\nx = 1\n", "x.py:1:1: not a text notebook"},
		"unclosed header":  {"# ---\n# jupyter: {}\n", "no closing"},
		"bad YAML":         {"# ---\n# jupyter: [\n# ---\n", "x.py:2:1: header"},
		"other header key": {"# ---\n# title: x\n# ---\n", `unexpected key "title"`},
		"bad metadata":     {header + "# %% tags=[1\nx\n", "x.py:9:1: cell marker"},
		"bad id":           {header + `# %% id="a b"` + "\nx\n", "invalid cell id"},
		"duplicate id":     {header + "# %% id=\"a\"\nx\n\n# %% id=\"a\"\ny\n", `cell id "a" is also`},
		"markdown line":    {header + "# %% [markdown]\nnot a comment\n", "x.py:10:1: a line of a markdown cell"},
		"bad tags":         {header + "# %% tags=\"x\"\nx\n", "tags: must be an array"},
	} {
		_, err := ParseText([]byte(tt.in), "x.py")
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want an ErrInvalid containing %q", name, err, tt.want)
		}
	}
}

// TestTextWriteRefuses: what the text cannot hold is an error, not a
// different notebook.
func TestTextWriteRefuses(t *testing.T) {
	nb := &Notebook{Format: 4, FormatMinor: 5, Metadata: map[string]any{"language_info": map[string]any{"name": "python"}}}
	c := NewCell(Code, "x = 1\n# %% not a marker\ny = 2")
	nb.Cells = []*Cell{c}
	if _, err := nb.TextBytes(); err == nil || !strings.Contains(err.Error(), "reads as a cell marker") {
		t.Errorf("marker in a code cell: %v", err)
	}
	nb.Metadata = map[string]any{"language_info": map[string]any{"name": "r"}}
	if _, err := nb.TextBytes(); err == nil || !strings.Contains(err.Error(), `no text format for language "r"`) {
		t.Errorf("unknown language: %v", err)
	}
}
