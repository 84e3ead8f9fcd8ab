package gokernel_test

import (
	"context"
	"testing"

	"ocs/kernel"
	"ocs/kernel/kerneltest"
)

// BenchmarkGoCell measures the round trip of a trivial Go cell: protocol,
// rewrite, split, eval and result formatting.
func BenchmarkGoCell(b *testing.B) {
	benchCell(b, "x := 1\nx + 1")
}

// BenchmarkGoStatementCell is a trivial cell without a result.
func BenchmarkGoStatementCell(b *testing.B) {
	benchCell(b, "y := 2")
}

// BenchmarkShellCell measures a trivial `!true` cell: the above plus
// starting bash and reporting the effect.
func BenchmarkShellCell(b *testing.B) {
	kerneltest.NeedTool(b, "bash")
	benchCell(b, "!true")
}

func benchCell(b *testing.B, src string) {
	k := newKernel(b)
	rec := &kerneltest.Recorder{}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := k.Execute(ctx, kernel.Cell{Source: src, Count: i}, rec); err != nil {
			b.Fatal(err)
		}
		rec.Reset()
	}
}

// BenchmarkWorkerStart measures a worker process from its start to its
// ready message, and its shutdown: what every `ocs run` waits for before
// its first Go cell (here the test binary is the worker).
func BenchmarkWorkerStart(b *testing.B) {
	for i := 0; i < b.N; i++ {
		k := newKernel(b)
		if err := k.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
