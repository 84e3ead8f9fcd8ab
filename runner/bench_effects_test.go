package runner

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"ocs/kernel"
)

// effectKernel runs each cell as one shell effect that does no work,
// reported the way kernel/gokernel and kernel/jupyter report a `!` line:
// its start (when the host journals starts and start is set), then its end.
type effectKernel struct{ start bool }

func (effectKernel) Close() error { return nil }

func (k effectKernel) Execute(ctx context.Context, cell kernel.Cell, host kernel.Host) error {
	e := kernel.Effect{Op: "shell", Args: map[string]any{"command": "true"}}
	if s, ok := host.(kernel.EffectStarter); ok && k.start {
		if err := s.EffectStarted(e); err != nil {
			return err
		}
	}
	e.Result = map[string]any{"exit": 0}
	host.Effect(e)
	return nil
}

// BenchmarkRun100EffectCells measures the runner's cost per cell of a
// 100-cell notebook whose every cell makes one effect (shell100's `!true`),
// with and without the save of the effect's start that a kill -9 needs.
func BenchmarkRun100EffectCells(b *testing.B) {
	cells := make([]string, 100)
	for i := range cells {
		cells[i] = "effect true"
	}
	for _, tc := range []struct {
		name  string
		start bool
	}{{"end-only", false}, {"start-and-end", true}} {
		b.Run(tc.name, func(b *testing.B) {
			dir := b.TempDir()
			for b.Loop() {
				r, err := New(makeNotebook(cells...), Options{Record: filepath.Join(dir, "rec.ipynb")})
				if err != nil {
					b.Fatal(err)
				}
				res, err := r.Execute(context.Background(), effectKernel{start: tc.start})
				if err != nil || res.Status != Completed {
					b.Fatal(res, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed())/float64(b.N)/100/float64(time.Microsecond), "µs/cell")
		})
	}
}
