package notebook

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ocs/kernel/kerneltest"
)

const lenientDir = "../testdata/lenient"

// TestReadTolerates reads each notebook that nbformat reads but its schema
// rejects: Parse (validate) reports the problem, Read repairs it with a
// warning naming the place, and what ocs writes from the repaired notebook
// validates with Jupyter's nbformat.
func TestReadTolerates(t *testing.T) {
	tests := []struct {
		file     string
		warnings []string // each a substring of one warning, in order
		minor    int      // nbformat_minor after reading
		ids      []string // cell ids kept ("" for a new one)
	}{
		{"v4.4-with-ids.ipynb", []string{
			"cells[0].id: cell ids are part of nbformat 4.5, but this notebook is 4.4 (4 cells have one); read as a 4.5 notebook",
		}, 5, []string{"intro", "first-code", "next", "second-code"}},
		{"v4.5-duplicate-ids.ipynb", []string{`cells[2].id: cell id "same" is also the id of cells[1]`}, 5, []string{"dup", "same", ""}},
		{"v4.5-missing-id.ipynb", []string{`cells[1]: missing required key "id"`}, 5, []string{"has-id", ""}},
		{"v4.5-nan.ipynb", []string{
			"cells[0].metadata.ratio: Infinity is not valid JSON",
			"cells[1].metadata.limits[0]: -Infinity is not valid JSON",
			"metadata.widget_scale: NaN is not valid JSON",
		}, 5, []string{"nan-intro", "nan-code"}},
		{"v4.5-nan-output.ipynb", []string{
			"cells[1].outputs[0].data.application/json.max: Infinity",
			"cells[1].outputs[0].data.application/json.mean: NaN",
		}, 5, []string{"nano-intro", "nano-code"}},
	}
	dir := t.TempDir()
	var written []string
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(lenientDir, tt.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(data, path)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse (strict) gave %v, want a validation error", err)
			}
			if len(ve.Problems) < len(tt.warnings) {
				t.Fatalf("strict: %d problems, want %d: %v", len(ve.Problems), len(tt.warnings), ve.Problems)
			}
			for i, w := range tt.warnings {
				// The strict problem is the warning without what was repaired.
				w = strings.Split(strings.Replace(w, " (4 cells have one)", "", 1), ";")[0]
				if !strings.Contains(ve.Problems[i].String(), w) {
					t.Errorf("strict problem %d = %q, want it to contain %q", i, ve.Problems[i], w)
				}
			}
			nb, warnings, err := Read(data, path)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if len(warnings) != len(tt.warnings) {
				t.Fatalf("got %d warnings, want %d: %v", len(warnings), len(tt.warnings), warnings)
			}
			for i, w := range tt.warnings {
				if !strings.Contains(warnings[i].String(), w) {
					t.Errorf("warning %d = %q, want it to contain %q", i, warnings[i], w)
				}
			}
			if nb.FormatMinor != tt.minor {
				t.Errorf("nbformat_minor = %d, want %d", nb.FormatMinor, tt.minor)
			}
			out, err := nb.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			again, err := Parse(out, "written")
			if tt.file == "v4.5-nan.ipynb" || tt.file == "v4.5-nan-output.ipynb" {
				// NaN stays as nbformat keeps it: still strict-invalid,
				// valid for nbformat itself.
				if err == nil {
					t.Fatal("NaN was lost on writing")
				}
				again, _, err = Read(out, "written")
			}
			if err != nil {
				t.Fatalf("what ocs wrote does not read back: %v\n%s", err, out)
			}
			seen := map[string]bool{}
			for i, c := range again.Cells {
				if c.ID == "" || seen[c.ID] {
					t.Errorf("cells[%d]: id %q missing or repeated after writing", i, c.ID)
				}
				seen[c.ID] = true
				if tt.ids[i] != "" && c.ID != tt.ids[i] {
					t.Errorf("cells[%d]: id %q, want %q kept", i, c.ID, tt.ids[i])
				}
			}
			nb.Strip()
			stripped, err := nb.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			for i, b := range [][]byte{out, stripped} {
				p := filepath.Join(dir, []string{"read-", "stripped-"}[i]+tt.file)
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
				written = append(written, p)
			}
		})
	}
	for path, v := range kerneltest.Referee(t, written...) {
		if !v.Valid {
			t.Errorf("%s: nbformat says invalid: %s", path, v.Error)
		}
		if !v.RelayoutEqual {
			t.Errorf("%s: not in Jupyter's layout", path)
		}
	}
}

// TestReadIsParseForValidNotebooks: the lenient reader gives the same
// notebook, and no warning, for every valid corpus notebook.
func TestReadIsParseForValidNotebooks(t *testing.T) {
	for _, path := range corpus(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		nb, warnings, err := Read(data, path)
		if err != nil || len(warnings) > 0 {
			t.Fatalf("%s: err %v, warnings %v", path, err, warnings)
		}
		out, err := nb.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, data) {
			t.Errorf("%s: lenient read changed the notebook:\n%s", path, firstDiff(data, out))
		}
	}
}

// TestReadStillRejects: what nbformat cannot repair stays an error.
func TestReadStillRejects(t *testing.T) {
	for name, in := range map[string]string{
		"bad id in 4.5":  `{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "raw", "id": "a b", "metadata": {}, "source": ""}]}`,
		"missing source": `{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [{"cell_type": "raw", "metadata": {}}]}`,
		"NaN count":      `{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [{"cell_type": "code", "metadata": {}, "source": "", "outputs": [], "execution_count": NaN}]}`,
		"bare N":         `{"nbformat": 4, "nbformat_minor": 4, "metadata": {"x": Nan}, "cells": []}`,
	} {
		if _, _, err := Read([]byte(in), "in.ipynb"); err == nil {
			t.Errorf("%s: Read accepted it", name)
		}
	}
}
