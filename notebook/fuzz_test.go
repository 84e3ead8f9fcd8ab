package notebook

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: no input makes the reader panic, and whatever it accepts
// writes back to bytes that read again to the same notebook.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.ipynb"))
	for _, path := range files {
		if data, err := os.ReadFile(path); err == nil && len(data) < 64<<10 {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"nbformat": 4, "nbformat_minor": 9, "metadata": {}, "cells": [{"cell_type": "future", "metadata": {}}], "extra": 1}`))
	f.Add([]byte(`{"nbformat": 4, "nbformat_minor": 0, "metadata": {"n": -0, "f": 1E5}, "cells": []}`))
	f.Add([]byte(`[1, "\ud800", "\u00e9\n"]`))
	f.Add([]byte(`{"nbformat": 4, "nbformat_minor": 4, "metadata": {"x": NaN, "y": [-Infinity]}, "cells": [{"cell_type": "raw", "id": "a", "metadata": {}, "source": ""}, {"cell_type": "raw", "id": "a", "metadata": {}, "source": ""}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		strict, strictErr := Parse(data, "fuzz.ipynb")
		nb, warnings, err := Read(data, "fuzz.ipynb")
		if strictErr == nil && (err != nil || len(warnings) > 0) {
			t.Fatalf("lenient read of a valid notebook: %v %v", err, warnings)
		}
		if err != nil {
			return
		}
		if strict != nil {
			nb = strict
		}
		first, err := nb.Bytes()
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		again, _, err := Read(first, "first.ipynb")
		if err != nil {
			t.Fatalf("cannot read back what was written: %v\n%s", err, first)
		}
		second, err := again.Bytes()
		if err != nil {
			t.Fatalf("encode again: %v", err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("second write differs:\n%s", firstDiff(first, second))
		}
	})
}

// FuzzParseText: no text makes the percent reader panic, and whatever it
// accepts writes back to text that reads as the same notebook and writes
// the same bytes again.
func FuzzParseText(f *testing.F) {
	for _, pattern := range []string{"testdata/percent/*.go", "testdata/percent/*.py", "../templates/*/*.go"} {
		files, _ := filepath.Glob(pattern)
		for _, path := range files {
			if data, err := os.ReadFile(path); err == nil && len(data) < 64<<10 {
				f.Add(data, filepath.Ext(path))
			}
		}
	}
	f.Add([]byte("# ---\n# jupyter:\n#   language_info: {name: python}\n# ---\n# %% [md] t {\"a\": [1, 2.50]} id=\"x\"\n#\n# %%\n"), ".py")
	f.Fuzz(func(t *testing.T, data []byte, ext string) {
		nb, err := ParseText(data, "fuzz"+ext)
		if err != nil {
			return
		}
		first, err := nb.TextBytes()
		if err != nil {
			// Only a notebook whose language has no text form may fail.
			if _, lerr := TextLanguageOf(nb); lerr == nil {
				t.Fatalf("cannot write what was read: %v", err)
			}
			return
		}
		again, err := ParseText(first, "first")
		if err != nil {
			t.Fatalf("cannot read back what was written: %v\n%s", err, first)
		}
		a, _ := nb.Bytes()
		b, _ := again.Bytes()
		if !bytes.Equal(a, b) {
			t.Fatalf("the text read back is another notebook:\n%s", firstDiff(a, b))
		}
		second, err := again.TextBytes()
		if err != nil || !bytes.Equal(first, second) {
			t.Fatalf("second write differs (%v):\n%s", err, firstDiff(first, second))
		}
	})
}
