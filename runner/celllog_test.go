package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// The per-cell info lines carry the cell's fields when info is logged,
// and a logger at warn writes none of them.
func TestCellLogLines(t *testing.T) {
	for _, tc := range []struct {
		level zerolog.Level
		want  []string // messages of the lines written
	}{
		{zerolog.InfoLevel, []string{"run started", "cell started", "cell finished", "cell started", "cell finished", "run finished"}},
		{zerolog.WarnLevel, nil},
	} {
		t.Run(tc.level.String(), func(t *testing.T) {
			var out bytes.Buffer
			log := zerolog.New(&out).Level(tc.level)
			nb := makeNotebook("print a", "print b")
			r, err := New(nb, Options{Record: filepath.Join(t.TempDir(), "rec.ipynb")})
			if err != nil {
				t.Fatal(err)
			}
			if res, err := r.Execute(log.WithContext(context.Background()), &scriptKernel{}); err != nil || res.Status != Completed {
				t.Fatal(res, err)
			}
			var got []string
			for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
				if line == "" {
					continue
				}
				var ev map[string]any
				if err := json.Unmarshal([]byte(line), &ev); err != nil {
					t.Fatalf("log line %q: %v", line, err)
				}
				msg, _ := ev["message"].(string)
				got = append(got, msg)
				if strings.HasPrefix(msg, "cell ") {
					i := (len(got) - 2) / 2 // lines 1 and 2 are cell 0, lines 3 and 4 cell 1
					if ev["cell"] != float64(i) || ev["cell_id"] != nb.Cells[i].ID {
						t.Errorf("line %q: want cell %d, cell_id %q", line, i, nb.Cells[i].ID)
					}
				}
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("log messages %q, want %q", got, tc.want)
			}
		})
	}
}
