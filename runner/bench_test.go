package runner

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ocs/kernel"
	"ocs/kernel/kerneltest"
)

// BenchmarkRun200Cells measures the runner's own cost per cell (statuses,
// timing, masking, and the record's saves: the first and the last, and the
// delayed saves that take the ends of quick cells together) on a 200-cell
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

// spewKernel prints total bytes of 100-byte lines in chunks of chunk bytes,
// each chunk a fresh string as a kernel's decoder hands it over.
type spewKernel struct{ total, chunk int }

func (k *spewKernel) Close() error { return nil }

func (k *spewKernel) Execute(ctx context.Context, cell kernel.Cell, host kernel.Host) error {
	line := strings.Repeat("0123456789", 10)[:99] + "\n"
	for n := 0; n < k.total; n += k.chunk {
		host.Output(kernel.Output{Kind: kernel.Stream, Name: "stdout", Text: strings.Repeat(line, k.chunk/len(line))})
	}
	return nil
}

// BenchmarkOutput20MB is the runner's memory for one cell that prints 20
// MB: masking, the output cap (the default 1 MiB, the rest to the side
// log), and saves of the record while the cell streams. The chunks are the
// sizes the kernels deliver: the Go kernel flushes every 64 KiB, ipykernel
// every couple of MB. peak-heap-MB is the runner's (and the fake kernel's
// chunk in hand); the heap before the run is not counted.
func BenchmarkOutput20MB(b *testing.B) {
	for _, bc := range []struct {
		name       string
		chunk, cap int
	}{
		{"chunk=64KiB", 64 << 10, 0},
		{"chunk=2MB", 2 << 20, 0},
		{"chunk=64KiB/cap=64MiB", 64 << 10, 64 << 20},
	} {
		b.Run(bc.name, func(b *testing.B) {
			dir := b.TempDir()
			var peak kerneltest.Peak
			for b.Loop() {
				p := kerneltest.MeasurePeak(b, func() {
					r, err := New(makeNotebook("spew"), Options{Record: filepath.Join(dir, "rec.ipynb"), OutputCap: bc.cap, SaveInterval: 20 * time.Millisecond})
					if err != nil {
						b.Fatal(err)
					}
					res, err := r.Execute(context.Background(), &spewKernel{total: 20 << 20, chunk: bc.chunk})
					if err != nil || res.Status != Completed {
						b.Fatal(res, err)
					}
				})
				peak.Heap, peak.RSS = max(peak.Heap, p.Heap), max(peak.RSS, p.RSS)
			}
			peak.Report(b)
		})
	}
}
