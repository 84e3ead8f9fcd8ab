package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ocs/kernel/display"
	"ocs/kernel/kerneltest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/NAME, or rewrites it under
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	kerneltest.Golden(t, filepath.Join("testdata", "golden", name), got, *update)
}

// alignedColumns fails the test unless every line of a table (header
// first) starts its cells at the display columns the header's cells
// start at; lines may have fewer cells than the header. A column's cells
// are separated by two or more spaces.
func alignedColumns(t *testing.T, table string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	header := cellStarts(lines[0])
	for _, line := range lines[1:] {
		for i, at := range cellStarts(line) {
			if i < len(header) && at != header[i] {
				t.Errorf("line %q: cell %d starts at column %d, its heading at %d", line, i, at, header[i])
			}
		}
	}
}

// cellStarts returns the display column where each cell of line starts.
func cellStarts(line string) []int {
	var starts []int
	inCell := false
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] != ' ' && !inCell:
			starts = append(starts, display.Width(line[:i]))
			inCell = true
		case strings.HasPrefix(line[i:], "  "):
			inCell = false
		}
	}
	return starts
}

func TestStatusJapaneseGolden(t *testing.T) {
	code, out, errb := runOCS(t, "status", filepath.Join("testdata", "japanese", "record.ipynb"))
	if code != exitCellFailed { // the record is of a failed run: status exits with its code
		t.Fatalf("exit %d: %s", code, errb)
	}
	golden(t, "status-japanese.txt", out)
	table, _, _ := strings.Cut(out, "\n\n")
	alignedColumns(t, table)
}

func TestCatalogListJapaneseGolden(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("OCS_CONFIG_DIR", dir)
	t.Setenv("OCS_CACHE_DIR", filepath.Join(dir, "cache"))
	templates, err := filepath.Abs(filepath.Join("testdata", "japanese", "templates"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := "sources:\n  - name: local-ja\n    dir: " + templates + "\n"
	if err := os.WriteFile(filepath.Join(dir, "catalog.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errb := runOCS(t, "catalog", "list")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	golden(t, "catalog-list-japanese.txt", out)
	alignedColumns(t, out)
}
