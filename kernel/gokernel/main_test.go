package gokernel_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"ocs/kernel"
	"ocs/kernel/gokernel"
	"ocs/kernel/kerneltest"
)

// TestMain makes the test binary its own kernel worker, so the package's
// tests need no built ocs.
func TestMain(m *testing.M) {
	if os.Getenv(gokernel.WorkerEnv) == "1" {
		if err := gokernel.ServeWorker(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func newKernel(t testing.TB) *gokernel.Kernel {
	t.Helper()
	k, err := gokernel.New(context.Background(), gokernel.Options{
		Dir:           t.TempDir(),
		WorkerCommand: []string{os.Args[0]},
	})
	if err != nil {
		t.Fatalf("new kernel: %v", err)
	}
	t.Cleanup(func() { _ = k.Close() })
	return k
}

func TestConformance(t *testing.T) {
	kerneltest.Run(t, func(t *testing.T) kernel.Kernel { return newKernel(t) }, kerneltest.GoCells)
}
