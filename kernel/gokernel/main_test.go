package gokernel_test

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"testing"

	"ocs/kernel/effects"

	"ocs/kernel"
	"ocs/kernel/gokernel"
	"ocs/kernel/gokernel/standby"
	"ocs/kernel/kerneltest"
)

// TestMain makes the test binary its own kernel worker, so the package's
// tests need no built ocs.
func TestMain(m *testing.M) {
	standby.Await() // a standby of the tests' own (standby.Launch) is this binary
	if os.Getenv(gokernel.WorkerEnv) == "1" {
		registerTestPackage()
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

// registerTestPackage registers a host package that routes its operation
// through the effects gateway, as the VCP SDK does.
func registerTestPackage() {
	gokernel.RegisterPackage("ocs/testsdk", map[string]reflect.Value{
		// The worker process's own environment, which host packages read.
		"ProcessGetenv": reflect.ValueOf(os.Getenv),
		"CreateUnit": reflect.ValueOf(func(name string) (string, error) {
			res, err := effects.Do("testsdk.create_unit", map[string]any{"name": name}, func(ctx context.Context) (map[string]any, error) {
				return map[string]any{"id": "unit-" + name + "-live"}, nil
			})
			if err != nil {
				return "", err
			}
			id, _ := res["id"].(string)
			return id, nil
		}),
	})
}
