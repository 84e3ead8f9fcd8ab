package jupyter

import (
	"context"
	"testing"
	"time"

	"ocs/kernel"
	"ocs/kernel/kerneltest"
)

// startKernel starts Debian's ipykernel for a test; it is closed when the
// test ends.
func startKernel(t *testing.T, opts Options) *Kernel {
	t.Helper()
	kerneltest.NeedKernel(t)
	if opts.Spec == nil {
		spec, err := Find("python3")
		if err != nil {
			t.Fatal(err)
		}
		opts.Spec = spec
	}
	if opts.RuntimeDir == "" {
		opts.RuntimeDir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	k, err := New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k.Close() })
	return k
}

// shared is a kernel the conformance cases share: each case leaves it
// usable, and a start costs half a second.
type shared struct{ *Kernel }

func (shared) Close() error { return nil }

func TestConformance(t *testing.T) {
	k := startKernel(t, Options{})
	kerneltest.Run(t, func(t *testing.T) kernel.Kernel { return shared{k} }, kerneltest.PythonCells)
}

// Finish asks the kernel to shut down: it exits by itself, before Close,
// which then ends at once.
func TestFinishShutsTheKernelDown(t *testing.T) {
	k := startKernel(t, Options{})
	if err := k.Execute(context.Background(), kernel.Cell{Source: "x = 1"}, &kerneltest.Recorder{}); err != nil {
		t.Fatal(err)
	}
	pid := k.PID()
	k.Finish()
	k.Finish() // a second one sends nothing more
	kerneltest.WaitGone(t, pid, 10*time.Second, "the kernel told to finish")
	if err := k.Close(); err != nil {
		t.Fatalf("close after finish: %v", err)
	}
}
