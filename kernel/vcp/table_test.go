package vcp

import (
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"ocs/kernel/display"
	"ocs/kernel/kerneltest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/NAME, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	kerneltest.Golden(t, filepath.Join("testdata", name), got, *update)
}

// TestTableTextJapanese: the text form of a DF* table with Japanese headings
// and values lines up by display width: every column starts at the same
// terminal column on every line.
func TestTableTextJapanese(t *testing.T) {
	tab := &Table{
		Columns: []string{"vcname", "ノード名", "状態", "flavor", "備考"},
		Rows: [][]string{
			{"moodle", "ウェブサーバ", "RUNNING", "small", "学内向け"},
			{"ｈｐｃ", "計算ノード01", "POWER_OFF", "gpu", ""},
			{"test", "n1", "RUNNING", "medium", "cafe\u0301"},
		},
	}
	text := tab.String()
	golden(t, "df-japanese.txt", text)
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	for _, line := range lines[2:] {
		for i := range strings.Fields(line) {
			if got, want := columnStart(line, i), columnStart(lines[0], i); got != want {
				t.Errorf("line %q: cell %d starts at column %d, its heading at %d", line, i, got, want)
			}
		}
	}
}

// columnStart returns the display column where the i-th space-separated
// cell of line starts.
func columnStart(line string, i int) int {
	cells := strings.Fields(line)
	at := 0
	for j := 0; j <= i; j++ {
		at += strings.Index(line[at:], cells[j])
		if j < i {
			at += len(cells[j])
		}
	}
	return display.Width(line[:at])
}
