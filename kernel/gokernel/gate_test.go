package gokernel_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"ocs/kernel"
	"ocs/kernel/kerneltest"
)

// gateHost journals starts (kernel.EffectStarter); at each it waits for
// the command's bash to wait at cellenv's gate, and notes whether the
// command had made its marker.
type gateHost struct {
	kerneltest.Recorder
	marker string
	fail   error
	starts []string
}

func (h *gateHost) EffectStarted(e kernel.Effect) error {
	seen := "shell not started"
	if shellAtGate(h.marker) {
		seen = "shell waiting"
	}
	if _, err := os.Stat(h.marker); err == nil {
		seen += ", marker present"
	}
	h.starts = append(h.starts, seen)
	return h.fail
}

// shellAtGate waits up to 5 s for a process whose command line holds
// word to block reading its fd 4: a gated bash that waits to run its line.
func shellAtGate(word string) bool {
	want := fmt.Sprintf("%d 0x4 ", syscall.SYS_READ)
	for i := 0; i < 250; i++ {
		procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range procs {
			cmdline, err := os.ReadFile(p)
			if err != nil || !strings.Contains(string(cmdline), word) {
				continue
			}
			if sc, err := os.ReadFile(filepath.Join(filepath.Dir(p), "syscall")); err == nil && strings.HasPrefix(string(sc), want) {
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// A Go cell's `!` line starts its shell while the supervisor journals the
// start, and runs only once that is done; a start that cannot be journaled
// kills the shell before the line ran.
func TestShellStartsWhileItsStartIsJournaled(t *testing.T) {
	kerneltest.NeedTool(t, "bash")
	k := newKernel(t)
	marker := filepath.Join(t.TempDir(), "ran")
	src := "!touch " + marker + "\nprintln(\"after\")"
	host := &gateHost{marker: marker}
	if err := k.Execute(context.Background(), kernel.Cell{Source: src}, host); err != nil {
		t.Fatal(err)
	}
	if strings.Join(host.starts, ";") != "shell waiting" {
		t.Errorf("starts %q, want the shell waiting and no marker", host.starts)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the line did not run: %v", err)
	}
	os.Remove(marker)
	host = &gateHost{marker: marker, fail: errors.New("disk full")}
	err := k.Execute(context.Background(), kernel.Cell{Source: src}, host)
	if err == nil || !strings.Contains(err.Error(), "disk full") || strings.Contains(host.Stream("stdout")+host.Stream("stderr"), "after") {
		t.Errorf("err = %v, output %q: want the cell failed by the start's error", err, host.Streams())
	}
	if strings.Join(host.starts, ";") != "shell waiting" {
		t.Errorf("starts %q, want the shell waiting and no marker", host.starts)
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the line ran although its start was not journaled: %v", err)
	}
}
