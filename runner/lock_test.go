package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRecordLockIsExclusive(t *testing.T) {
	record := filepath.Join(t.TempDir(), "builds", "r.ipynb")
	first, err := LockRecord(record)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockRecord(record)
	var locked *LockedError
	if !errors.As(err, &locked) || !errors.Is(err, ErrInput) {
		t.Fatalf("second lock: err = %v, want a *LockedError", err)
	}
	host, _ := os.Hostname()
	if locked.PID != os.Getpid() || locked.Host != host || !strings.Contains(err.Error(), fmt.Sprintf("pid %d on host %s", os.Getpid(), host)) {
		t.Errorf("the error does not name the holder: %v", err)
	}
	if !first.Holds(record) {
		t.Error("Holds is false for the holder")
	}
	if inUse, known := recordInUse(record); !inUse || !known {
		t.Errorf("recordInUse = %v, %v while held", inUse, known)
	}
	if err := first.Unlock(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(lockPath(record)); !os.IsNotExist(err) {
		t.Errorf("lock file left after Unlock: %v", err)
	}
	again, err := LockRecord(record)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	again.Unlock()
}

func TestAbandoned(t *testing.T) {
	host, _ := os.Hostname()
	dir := t.TempDir()
	held := filepath.Join(dir, "held.ipynb")
	lk, err := LockRecord(held)
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Unlock()
	// A lock file nobody holds: the run's process died and left it.
	left := filepath.Join(dir, "left.ipynb")
	if err := os.WriteFile(lockPath(left), []byte(`{"pid":1,"host":"x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	copied := filepath.Join(dir, "copy.ipynb") // no lock file: the pid decides
	for _, tc := range []struct {
		name string
		path string
		info RunInfo
		want bool
	}{
		{"held", held, RunInfo{Status: "running", PID: os.Getpid(), Host: host}, false},
		{"lock left by a dead run", left, RunInfo{Status: "running", PID: os.Getpid(), Host: host}, true},
		{"copy, process alive", copied, RunInfo{Status: "running", PID: os.Getpid(), Host: host}, false},
		{"copy, process gone", copied, RunInfo{Status: "running", PID: 1 << 30, Host: host}, true},
		{"finished", left, RunInfo{Status: "failed", PID: 1 << 30, Host: host}, false},
		{"another host", left, RunInfo{Status: "running", PID: 1 << 30, Host: host + "-elsewhere"}, false},
		{"no pid (an older record)", left, RunInfo{Status: "running", Host: host}, false},
	} {
		if got := tc.info.Abandoned(tc.path); got != tc.want {
			t.Errorf("%s: Abandoned = %v, want %v", tc.name, got, tc.want)
		}
	}
}
