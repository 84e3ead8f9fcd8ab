package jupyter

import (
	"context"
	"testing"

	"ocs/kernel"
	"ocs/kernel/kerneltest"
)

// BenchmarkStart starts a kernel (process, handshake, OCS set-up) and
// closes it.
func BenchmarkStart(b *testing.B) {
	kerneltest.NeedKernel(b)
	spec, err := Find("python3")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		k, err := New(context.Background(), Options{Spec: spec, RuntimeDir: b.TempDir(), CacheDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = k.Close()
		b.StartTimer()
	}
}

func benchCell(b *testing.B, src string) {
	kerneltest.NeedKernel(b)
	spec, err := Find("python3")
	if err != nil {
		b.Fatal(err)
	}
	k, err := New(context.Background(), Options{Spec: spec, RuntimeDir: b.TempDir(), CacheDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer k.Close()
	rec := &kerneltest.Recorder{}
	for b.Loop() {
		rec.Reset()
		if err := k.Execute(context.Background(), kernel.Cell{Source: src}, rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrivialCell is one execute request of `x = 1`, to reply and idle.
func BenchmarkTrivialCell(b *testing.B) { benchCell(b, "x = 1") }

// BenchmarkShellTrue is a cell of `!true`: through the bridge, journaled.
func BenchmarkShellTrue(b *testing.B) { benchCell(b, "!true") }
