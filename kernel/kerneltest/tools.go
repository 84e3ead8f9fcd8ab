// Package kerneltest holds what tests across ocs share: the conformance suite
// that every kernel.Kernel must pass, and the rule for tests that need an
// external program.
package kerneltest

import (
	"os"
	"os/exec"
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
