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
// think is the kernel's own time per cell before the effect starts (a
// Jupyter kernel takes a few ms to get from the request to the command).
// It keeps the time from the end of one cell to the start of the next in
// between, and the time the host took to journal the effects' starts in
// starting: the runner's own time on the run's critical path.
type effectKernel struct {
	start    bool
	think    time.Duration
	ended    time.Time
	between  time.Duration
	starting time.Duration
}

func (*effectKernel) Close() error { return nil }

func (k *effectKernel) Execute(ctx context.Context, cell kernel.Cell, host kernel.Host) error {
	if !k.ended.IsZero() {
		k.between += time.Since(k.ended)
	}
	defer func() { k.ended = time.Now() }()
	if k.think > 0 {
		time.Sleep(k.think)
	}
	e := kernel.Effect{Op: "shell", Args: map[string]any{"command": "true"}}
	if s, ok := host.(kernel.EffectStarter); ok && k.start {
		t := time.Now()
		if err := s.EffectStarted(e); err != nil {
			return err
		}
		k.starting += time.Since(t)
	}
	e.Result = map[string]any{"exit": 0}
	host.Effect(e)
	return nil
}

// BenchmarkRun100EffectCells measures the runner's cost per cell of a
// 100-cell notebook whose every cell makes one effect (shell100's `!true`),
// with and without the save of the effect's start that a kill -9 needs,
// and with a kernel that takes 1 ms to reach the effect, as a real one
// does: the end of a cell is saved behind the run, so that time hides it.
// µs/cell is the wall time per cell; between-µs/cell the time from a cell's
// end to the next cell's start (the end's save, when the run waits for it);
// start-µs/cell the time the effect's start took to journal (a line in the
// effect log, after the previous end's save when that is still written).
func BenchmarkRun100EffectCells(b *testing.B) {
	cells := make([]string, 100)
	for i := range cells {
		cells[i] = "effect true"
	}
	for _, tc := range []struct {
		name  string
		start bool
		think time.Duration
	}{{"end-only", false, 0}, {"start-and-end", true, 0}, {"start-and-end/kernel=1ms", true, time.Millisecond}} {
		b.Run(tc.name, func(b *testing.B) {
			dir := b.TempDir()
			var between, starting time.Duration
			for b.Loop() {
				r, err := New(makeNotebook(cells...), Options{Record: filepath.Join(dir, "rec.ipynb")})
				if err != nil {
					b.Fatal(err)
				}
				k := &effectKernel{start: tc.start, think: tc.think}
				res, err := r.Execute(context.Background(), k)
				if err != nil || res.Status != Completed {
					b.Fatal(res, err)
				}
				between += k.between
				starting += k.starting
			}
			b.ReportMetric(float64(b.Elapsed())/float64(b.N)/100/float64(time.Microsecond), "µs/cell")
			b.ReportMetric(float64(between)/float64(b.N)/99/float64(time.Microsecond), "between-µs/cell")
			b.ReportMetric(float64(starting)/float64(b.N)/100/float64(time.Microsecond), "start-µs/cell")
		})
	}
}
