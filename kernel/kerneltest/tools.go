// Package kerneltest holds what tests across ocs share: the conformance suite
// that every kernel.Kernel must pass, and the rule for tests that need an
// external program.
package kerneltest

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
)

// NeedTool returns the path of the named program. When it is missing the test
// is skipped on a developer's machine, and fails in CI (CI=true), where
// .ci/run installs every program the tests use.
func NeedTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI but not found on PATH: %v", name, err)
	}
	t.Skipf("%s not found on PATH; skipping (CI=true makes this a failure)", name)
	return ""
}

var (
	ipykernelOnce sync.Once
	ipykernelErr  error
)

// NeedKernel checks that Debian's ipykernel is installed (its kernelspec
// python3 and the module its argv starts). When it is missing the test is
// skipped on a developer's machine and fails in CI (CI=true), where .ci/run
// installs python3-ipykernel.
func NeedKernel(t testing.TB) {
	t.Helper()
	err := HaveKernel()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("python3-ipykernel is required in CI: %v", err)
	}
	t.Skipf("python3-ipykernel not installed; skipping (CI=true makes this a failure): %v", err)
}

// HaveKernel reports why Debian's ipykernel cannot be used, or nil.
func HaveKernel() error {
	ipykernelOnce.Do(func() {
		const spec = "/usr/share/jupyter/kernels/python3/kernel.json"
		if _, err := os.Stat(spec); err != nil {
			ipykernelErr = err
			return
		}
		if out, err := exec.Command("/usr/bin/python3", "-c", "import ipykernel_launcher").CombinedOutput(); err != nil {
			ipykernelErr = fmt.Errorf("/usr/bin/python3 cannot import ipykernel: %v: %s", err, out)
		}
	})
	return ipykernelErr
}
