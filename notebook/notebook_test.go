package notebook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"ocs/kernel/kerneltest"
)

const corpusDir = "../testdata/notebooks"

func corpus(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.ipynb"))
	if err != nil || len(files) < 7 {
		t.Fatalf("corpus missing: %v (%d files)", err, len(files))
	}
	return files
}

// TestRoundTripIsByteIdentical reads every corpus notebook (each written by
// Jupyter's own writer) and writes it back unchanged.
func TestRoundTripIsByteIdentical(t *testing.T) {
	for _, path := range corpus(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			nb, err := Parse(data, path)
			if err != nil {
				t.Fatal(err)
			}
			out, err := nb.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, data) {
				t.Fatalf("round trip changed the file:\n%s", firstDiff(data, out))
			}
		})
	}
}

func firstDiff(want, got []byte) string {
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	line, col := lineCol(want, i)
	lo := max(0, i-60)
	return fmt.Sprintf("first difference at %d:%d\nwant: %q\n got: %q", line, col,
		want[lo:min(len(want), i+60)], got[lo:min(len(got), i+60)])
}

// TestSplitLinesMatchesJupyter checks that the line splitting ocs uses for
// new text is the one Jupyter's writer used for every list-form text in the
// corpus.
func TestSplitLinesMatchesJupyter(t *testing.T) {
	checked := 0
	for _, path := range corpus(t) {
		nb, err := ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		check := func(where string, txt Text) {
			if !txt.IsList() {
				return
			}
			checked++
			if got := NewText(txt.String()); !reflect.DeepEqual(got.parts, txt.parts) && !(len(got.parts) == 0 && len(txt.parts) == 0) {
				t.Errorf("%s %s: split %q, Jupyter wrote %q", path, where, got.parts, txt.parts)
			}
		}
		for i, c := range nb.Cells {
			check(fmt.Sprintf("cells[%d].source", i), c.Source)
			for j, o := range c.Outputs {
				check(fmt.Sprintf("cells[%d].outputs[%d].text", i, j), o.Text)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d list-form texts checked", checked)
	}
}

func TestTextAppend(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
	}{
		{"whole lines", []string{"a\n", "b\n"}},
		{"partial lines", []string{"ab", "c\nd", "e\n", "f"}},
		{"crlf split across chunks", []string{"a\r", "\nb\r", "\r\n"}},
		{"unicode separators", []string{"x\u2028y", "\u0085z\f"}},
		{"empty chunks", []string{"", "a", "", "\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var txt = NewText("")
			whole := ""
			for _, c := range tt.chunks {
				txt.Append(c)
				whole += c
			}
			if txt.String() != whole {
				t.Fatalf("String() = %q, want %q", txt.String(), whole)
			}
			if want := splitLines(whole); !reflect.DeepEqual(txt.parts, want) && len(want) > 0 {
				t.Fatalf("parts = %q, want %q (as Jupyter would split)", txt.parts, want)
			}
			str := Text{parts: []string{"s"}}
			str.Append(whole)
			if str.IsList() || str.String() != "s"+whole {
				t.Fatalf("string-form append gave %q (list=%v)", str.String(), str.IsList())
			}
		})
	}
}

func TestPyFloat(t *testing.T) {
	// Expected values are what CPython's repr() prints.
	tests := map[float64]string{
		0.1: "0.1", 1e-05: "1e-05", 0.0001: "0.0001", 1e16: "1e+16", 1e15: "1000000000000000.0",
		123.0: "123.0", 0: "0.0", 2.5e-7: "2.5e-07", 1.5e300: "1.5e+300", -3.25: "-3.25",
		1.7976931348623157e308: "1.7976931348623157e+308", 5e-324: "5e-324", 0.23956: "0.23956",
		123456789012345678: "1.2345678901234568e+17",
	}
	for f, want := range tests {
		if got := pyFloat(f); got != want {
			t.Errorf("pyFloat(%v) = %q, want %q", f, got, want)
		}
	}
}

// TestInvalidInput checks that each kind of bad input is an error of the
// right type that names the file and the place, and never a panic.
func TestInvalidInput(t *testing.T) {
	valid, err := os.ReadFile(filepath.Join(corpusDir, "v4.5-string-sources.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(from, to string) string {
		if !bytes.Contains(valid, []byte(from)) {
			t.Fatalf("fixture lacks %q", from)
		}
		return strings.Replace(string(valid), from, to, 1)
	}
	tests := []struct {
		name   string
		input  string
		syntax bool   // a *SyntaxError rather than a *ValidationError
		want   string // substring of the message
	}{
		{"empty file", "", false, "the file is empty"},
		{"white space only", " \n\t", false, "the file is empty"},
		{"truncated JSON", string(valid[:len(valid)/2]), true, "malformed JSON: unterminated string"},
		{"truncated after a value", strings.TrimSuffix(strings.TrimSpace(string(valid)), "}"), true, "unexpected end of input"},
		{"trailing garbage", string(valid) + "}", true, "after the top-level value"},
		{"invalid UTF-8", mutate("single string form", "single \xff string"), true, "invalid UTF-8"},
		{"byte order mark", "\xef\xbb\xbf" + string(valid), true, "byte order mark"},
		{"JSON array", `[{"cells": []}]`, false, "holds an array"},
		{"JSON string", `"notebook"`, false, "holds a string"},
		{"nbformat 3", `{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}`, false, "nbformat 3 notebooks are not supported"},
		{"worksheets without nbformat", `{"metadata": {}, "worksheets": []}`, false, "nbformat 3 or older"},
		{"nbformat 5", `{"nbformat": 5, "nbformat_minor": 0, "metadata": {}, "cells": []}`, false, "newer than"},
		{"no nbformat", `{"cells": []}`, false, `no "nbformat" key`},
		{"nbformat as string", `{"nbformat": "4", "nbformat_minor": 5, "metadata": {}, "cells": []}`, false, "nbformat: must be an integer, found a string"},
		{"missing cells", `{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}`, false, `missing required key "cells"`},
		{"cells not array", mutate(`"cells": [`, `"cells": {"x": [`), true, ""},
		{"wrong source type", mutate(`"source": "x := 1\nx"`, `"source": 7`), false, "cells[1].source: must be a string or an array of strings, found an integer"},
		{"float execution count", mutate(`"execution_count": 4,`, `"execution_count": 4.0,`), false, "cells[1].execution_count: must be an integer, found a number"},
		{"negative execution count", mutate(`"execution_count": 4,`, `"execution_count": -1,`), false, "must be at least 0"},
		{"unknown output type", mutate(`"output_type": "stream"`, `"output_type": "streem"`), false, `cells[1].outputs[0].output_type: unknown output type "streem"`},
		{"missing output field", mutate(`"name": "stdout",`, ``), false, `cells[1].outputs[0]: missing required key "name"`},
		{"unknown cell type", mutate(`"cell_type": "markdown"`, `"cell_type": "heading"`), false, `cells[0].cell_type: unknown cell type "heading"`},
		{"unknown cell key", mutate(`"cell_type": "markdown",`, `"cell_type": "markdown", "colour": "red",`), false, "cells[0].colour: unexpected key"},
		{"bad cell id", mutate(`"id": "str-00"`, `"id": "has space"`), false, `cells[0].id: invalid cell id "has space"`},
		{"duplicate cell id", mutate(`"id": "str-01"`, `"id": "str-00"`), false, `cells[1].id: cell id "str-00" is also the id of cells[0]`},
		{"missing id in 4.5", mutate(`"id": "str-00",`, ``), false, `cells[0]: missing required key "id"`},
		{"id in 4.4", mutate(`"nbformat_minor": 5`, `"nbformat_minor": 4`), false, "cell ids are part of nbformat 4.5"},
		{"tag with comma", mutate(`"metadata": {},`+"\n"+`   "source": "## `, `"metadata": {"tags": ["a,b"]},`+"\n"+`   "source": "## `), false, `cells[0].metadata.tags[0]: invalid tag "a,b"`},
		{"bad kernelspec", mutate(`"display_name": "Go (ocs)",`, ``), false, `metadata.kernelspec: missing required key "display_name"`},
		{"bad mime value", mutate(`"text/plain": "1\n2"`, `"text/plain": {"a": 1}`), false, `cells[1].outputs[1].data.text/plain: must be a string or an array of strings`},
		{"bad string escape", mutate(`single string form`, `single \q form`), true, `invalid escape`},
		// Issue 12, finding 31: a lone surrogate used to become U+FFFD silently.
		{"lone surrogate escape", mutate(`single string form`, `single \ud800 form`), true, `invalid \ud800 escape in string: a lone UTF-16 surrogate`},
		{"reversed surrogate pair", mutate(`single string form`, `single \udc00\ud800 form`), true, `invalid \udc00 escape`},
		{"control character in string", mutate(`single string form`, "single \x01 form"), true, `invalid control character`},
		{"deep nesting", strings.Repeat("[", 5000) + strings.Repeat("]", 5000), true, "nested more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nb, err := Parse([]byte(tt.input), "in.ipynb")
			if err == nil {
				t.Fatalf("Parse accepted invalid input: %+v", nb)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			var se *SyntaxError
			var ve *ValidationError
			switch {
			case tt.syntax && !errors.As(err, &se):
				t.Fatalf("want a *SyntaxError, got %T: %v", err, err)
			case !tt.syntax && !errors.As(err, &ve):
				t.Fatalf("want a *ValidationError, got %T: %v", err, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "in.ipynb:") {
				t.Errorf("message does not name the file: %q", msg)
			}
			if se != nil && (se.Line < 1 || se.Col < 1) {
				t.Errorf("syntax error without a place: %+v", se)
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("message %q does not contain %q", msg, tt.want)
			}
		})
	}
}

func TestSyntaxErrorPlace(t *testing.T) {
	in := "{\n \"cells\": [],\n \"metadata\": {ü: 1}\n}\n"
	_, err := Parse([]byte(in), "x.ipynb")
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("got %v", err)
	}
	if se.Line != 3 || se.Col != 15 {
		t.Fatalf("place = %d:%d, want 3:15 (%v)", se.Line, se.Col, err)
	}
}

func TestStrip(t *testing.T) {
	path := filepath.Join(corpusDir, "v4.5-all-types.ipynb")
	nb, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Make it look like a build record.
	nb.Metadata[OCSKey] = map[string]any{"status": "completed"}
	nb.Cells[1].Metadata[OCSKey] = map[string]any{"status": "completed"}
	injected := NewCell(Code, "ugroup_name := \"x\"\n")
	injected.Metadata["tags"] = []any{InjectedTag}
	injected.Metadata[OCSKey] = map[string]any{"injected": true}
	nb.Cells = append(nb.Cells[:2], append([]*Cell{injected}, nb.Cells[2:]...)...)

	if !nb.Strip() {
		t.Fatal("Strip reported no change")
	}
	if _, ok := nb.Metadata[OCSKey]; ok {
		t.Error("notebook metadata.ocs kept")
	}
	if _, ok := nb.Metadata["lc_notebook_meme"]; !ok {
		t.Error("foreign notebook metadata dropped")
	}
	if len(nb.Cells) != 6 {
		t.Fatalf("got %d cells, want the 6 of the template", len(nb.Cells))
	}
	for i, c := range nb.Cells {
		if c.Type != Code {
			continue
		}
		if len(c.Outputs) != 0 || c.ExecutionCount != nil {
			t.Errorf("cells[%d] keeps outputs or count", i)
		}
		for _, k := range []string{OCSKey, ExecutionKey} {
			if _, ok := c.Metadata[k]; ok {
				t.Errorf("cells[%d].metadata.%s kept", i, k)
			}
		}
	}
	if _, ok := nb.Cells[1].Metadata["run_through_control"]; !ok {
		t.Error("foreign cell metadata dropped")
	}
	if nb.Cells[0].Attachments == nil {
		t.Error("attachments dropped")
	}
	if nb.Strip() {
		t.Error("second Strip reported a change")
	}
}

func TestWriteFileIsAtomicAndKeepsMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rec.ipynb")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	nb, err := ReadFile(filepath.Join(corpusDir, "v4.0-minimal.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	if err := nb.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600 kept", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if _, err := ReadFile(path); err != nil {
		t.Fatal(err)
	}
	// A write that fails leaves the old file in place.
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	if os.Geteuid() != 0 { // root writes anyway
		if err := nb.WriteFile(path); err == nil {
			t.Error("write into a read-only directory succeeded")
		}
		if _, err := ReadFile(path); err != nil {
			t.Errorf("old record lost: %v", err)
		}
	}
}

// changedNotebooks builds notebooks the way ocs changes them (new cells,
// outputs of every kind, run metadata with numbers) for the referee.
func changedNotebooks(t *testing.T) map[string]*Notebook {
	t.Helper()
	out := map[string]*Notebook{}
	for _, path := range corpus(t) {
		nb, err := ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		count := 1
		nb.Metadata["ocs"] = map[string]any{"duration": 1.5e-05, "start": "2026-11-25T10:00:00Z", "cells": 3}
		for _, c := range nb.Cells {
			if c.Type != Code {
				continue
			}
			n := count
			c.ExecutionCount = &n
			c.Outputs = append(c.Outputs,
				NewStream("stdout", "出力 line\npartial"),
				NewDisplay(map[string]any{"text/plain": "a  b\n1  2\n", "text/html": "<table></table>", "application/json": map[string]any{"k": []any{1, 2.5}}}, nil),
				NewResult(n, map[string]any{"text/plain": "42"}, nil),
				NewError("ShellError", "exit status 1", []string{"line 1", "\x1b[31mred\x1b[0m"}),
			)
			c.Metadata[ExecutionKey] = map[string]any{"iopub.status.busy": "2026-11-25T10:00:00.000000Z"}
			count++
		}
		nb.Cells = append(nb.Cells, NewCell(Code, "// injected\nx := 1\n"), NewCell(Markdown, "## 追加\n"))
		out[filepath.Base(path)] = nb
	}
	return out
}

// TestJupyterIsTheReferee runs Debian's python3-nbformat over the corpus and
// over notebooks ocs changed and wrote: all must validate, and ocs's layout
// must be exactly what Jupyter's writer produces.
// A snapshot (through the cell cache, after a change too) is what Encode
// writes, and WriteCheckpoint puts it on disk whole, keeping the mode.
func TestSnapshotIsTheEncoding(t *testing.T) {
	for _, path := range corpus(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			nb, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			cache := NewCellCache()
			out := filepath.Join(t.TempDir(), "rec.ipynb")
			if err := os.WriteFile(out, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			for step := range 3 {
				if step == 2 && len(nb.Cells) > 0 {
					// A changed cell, forgotten as the runner does.
					c := nb.Cells[len(nb.Cells)-1]
					c.Source = NewText(c.Source.String() + "\n# changed")
					cache.Forget(c)
				}
				var buf bytes.Buffer
				buf.WriteString("stale bytes a reused buffer held")
				buf.Reset()
				if err := nb.Snapshot(&buf, cache); err != nil {
					t.Fatal(err)
				}
				want, err := nb.Bytes()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Fatalf("step %d: the snapshot differs from the encoding", step)
				}
				if err := WriteCheckpoint(out, buf.Bytes()); err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(out)
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("step %d: the checkpoint on disk differs (%v)", step, err)
				}
			}
			if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("mode %v (%v), want 0600 kept", fi.Mode().Perm(), err)
			}
			if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 1 {
				t.Fatalf("temporary files left: %v", entries)
			}
		})
	}
}

func TestJupyterIsTheReferee(t *testing.T) {
	dir := t.TempDir()
	var files []string
	stringForm := map[string]bool{}
	for _, path := range corpus(t) {
		files = append(files, path)
		if strings.Contains(path, "string-sources") {
			stringForm[path] = true
		}
	}
	for name, nb := range changedNotebooks(t) {
		path := filepath.Join(dir, "written-"+name)
		if err := nb.WriteFile(path); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadFile(path); err != nil {
			t.Fatalf("ocs cannot read what it wrote: %v", err)
		}
		files = append(files, path)
		if strings.Contains(path, "string-sources") {
			stringForm[path] = true
		}
	}
	for path, v := range kerneltest.Referee(t, files...) {
		if !v.Valid {
			t.Errorf("%s: nbformat says invalid: %s", path, v.Error)
		}
		if !v.RelayoutEqual && !stringForm[path] {
			t.Errorf("%s: not in Jupyter's layout (nbformat would write it differently)", path)
		}
	}
}

// TestValidationMatchesNbformat compares ocs's verdict with nbformat's on
// many single-point mutations of valid notebooks.
func TestValidationMatchesNbformat(t *testing.T) {
	dir := t.TempDir()
	base, err := os.ReadFile(filepath.Join(corpusDir, "v4.5-all-types.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	var tree map[string]any
	if err := json.Unmarshal(base, &tree); err != nil {
		t.Fatal(err)
	}
	replacements := []any{nil, true, "s", "", 0, -1, 1.5, []any{}, []any{"a,b"}, []any{1}, map[string]any{}, "auto", "has space", strings.Repeat("x", 65)}
	var files []string
	verdicts := map[string]bool{}
	n := 0
	var walk func(v any, set func(any), del func())
	walk = func(v any, set func(any), del func()) {
		for _, r := range replacements {
			set(r)
			files = append(files, writeCase(t, dir, &n, tree, verdicts))
		}
		if del != nil {
			del()
			files = append(files, writeCase(t, dir, &n, tree, verdicts))
		}
		set(v)
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if strings.HasPrefix(k, "image/") || k == "lc_notebook_meme" || k == "toc" {
					continue // large or deep subtrees add cases, not coverage
				}
				walk(x, func(nv any) { v[k] = nv }, func() { delete(v, k) })
				v[k] = x
			}
		case []any:
			for i, x := range v {
				walk(x, func(nv any) { v[i] = nv }, nil)
			}
		}
	}
	walk(tree["cells"], func(nv any) { tree["cells"] = nv }, nil)
	walk(tree["metadata"], func(nv any) { tree["metadata"] = nv }, nil)
	if len(files) < 300 {
		t.Fatalf("only %d mutations", len(files))
	}
	mismatches := 0
	for path, v := range kerneltest.Referee(t, files...) {
		if verdicts[path] != v.Valid && !enumQuirk(t, path) {
			mismatches++
			if mismatches <= 10 {
				data, _ := os.ReadFile(path)
				_, ourErr := Parse(data, path)
				t.Errorf("%s: ocs valid=%v (%v), nbformat valid=%v (%s)", path, verdicts[path], ourErr, v.Valid, v.Error)
			}
		}
	}
	t.Logf("%d mutations, %d mismatches", len(files), mismatches)
}

// enumQuirk reports a case where Debian's jsonschema (python3-jsonschema 4.10)
// accepts 0 or 1 for "scrolled", whose enum is [true, false, "auto"]: Python
// compares 0 == False. JSON Schema says enum members compare as JSON values,
// so ocs rejects the number, as newer jsonschema releases do.
func enumQuirk(t *testing.T, path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, perr := Parse(data, path)
	return perr != nil && strings.Contains(perr.Error(), "scrolled: must be true, false or \"auto\", found an integer")
}

func writeCase(t *testing.T, dir string, n *int, tree map[string]any, verdicts map[string]bool) string {
	t.Helper()
	*n++
	data, err := json.MarshalIndent(tree, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("m%04d.ipynb", *n))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, perr := Parse(data, path)
	verdicts[path] = perr == nil
	return path
}
