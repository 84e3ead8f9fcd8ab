package gokernel

import (
	"context"
	"io"
	"testing"

	"ocs/kernel"
)

// BenchmarkNewWorker measures the interpreter set-up inside a worker: the
// packages loaded before the first cell and the worker's own imports.
func BenchmarkNewWorker(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := newWorker(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunCell measures a trivial cell inside the worker, without the
// protocol: rewrite, split, check, eval and the done report.
func BenchmarkRunCell(b *testing.B) {
	w, err := newWorker(io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if d := w.runCell(ctx, kernel.Cell{Index: i, Source: "y := 2", Count: i}); d.Status != statusOK {
			b.Fatalf("cell: %+v", d)
		}
	}
}
