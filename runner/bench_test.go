package runner

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkRun200Cells measures the runner's own cost per cell (statuses,
// timing, masking, and the atomic save after every cell) on a 200-cell
// notebook, with a kernel that does no work. The Go kernel's own per-cell
// cost is measured in kernel/gokernel.
func BenchmarkRun200Cells(b *testing.B) {
	cells := make([]string, 200)
	for i := range cells {
		cells[i] = "print x"
	}
	dir := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := New(makeNotebook(cells...), Options{Record: filepath.Join(dir, "rec.ipynb")})
		if err != nil {
			b.Fatal(err)
		}
		res, err := r.Execute(context.Background(), &scriptKernel{})
		if err != nil || res.Status != Completed {
			b.Fatal(res, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed())/float64(b.N)/200/float64(time.Microsecond), "µs/cell")
}
