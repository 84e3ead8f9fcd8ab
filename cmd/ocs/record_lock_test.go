package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// While a run holds a record, a second run of it (here a --resume) is
// refused with exit 2 naming the holder; once the holder is killed with -9,
// ocs status calls the run abandoned, and the record can be resumed.
func TestRecordLockAndAbandonedRun(t *testing.T) {
	cmd, record := startSlowRun(t)
	second := exec.Command(os.Args[0], "run", record, "--resume", "-p", "wait=0")
	second.Env = append(os.Environ(), execAsOCS+"=ocs")
	out, err := second.CombinedOutput()
	host, _ := os.Hostname()
	holder := fmt.Sprintf("pid %d on host %s", cmd.Process.Pid, host)
	if code := exitCodeOfErr(err); code != exitUsage || !strings.Contains(string(out), holder) {
		t.Fatalf("second run of a record in use: exit %d, want 2 naming %q; output:\n%s", code, holder, out)
	}
	if got := strings.Join(cellStatuses(t, record), ","); got != "completed,completed,running,pending" {
		t.Fatalf("the refused run changed the record: statuses %s", got)
	}

	status := func() string {
		t.Helper()
		c := exec.Command(os.Args[0], "status", record)
		c.Env = append(os.Environ(), execAsOCS+"=ocs")
		out, err := c.CombinedOutput()
		// A run that did not finish (running, abandoned) has no success to
		// report: ocs status exits 4.
		if code := exitCodeOfErr(err); code != exitInfra {
			t.Fatalf("ocs status: exit %d, want %d\n%s", code, exitInfra, out)
		}
		return string(out)
	}
	if s := status(); !strings.Contains(s, "run: running") {
		t.Fatalf("status of a live run:\n%s", s)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = exitCodeOf(t, cmd)
	if s := status(); !strings.Contains(s, "run: abandoned") || !strings.Contains(s, fmt.Sprintf("pid %d", cmd.Process.Pid)) {
		t.Fatalf("status after kill -9 does not say abandoned with the pid:\n%s", s)
	}
}

func exitCodeOfErr(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}
