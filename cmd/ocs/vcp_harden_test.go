package main

// Hardening tests of the VCP verbs (issue 12, findings 10 and 28).

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"ocs/kernel/kerneltest"
	"ocs/kernel/vcp"
)

// A corrupt group file: ls lists the others and names the bad one (exit
// 2), rm of another group works, rm of the bad one stops its node and says
// where its files went.
func TestVcpCorruptGroupIsolated(t *testing.T) {
	state := useStateDir(t)
	m, err := vcp.NewManager(state)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, g := range []string{"ga", "gb"} {
		if _, err := m.CreateGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
		if _, err := m.CreateUnit(ctx, vcp.UnitRequest{Group: g, Unit: "u", Provider: "local", Flavor: "small", Spec: vcp.SpecRecord{NumNodes: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	gb, _ := m.Group(ctx, "gb")
	pid := gb.Units[0].Nodes[0].PID
	file := filepath.Join(m.Store.GroupDir("gb"), "ugroup.json")
	if err := os.WriteFile(file, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	sd := "--state-dir=" + state
	code, out, errs := runOCS(t, "vcp", "ls", sd)
	if code != exitUsage || !strings.Contains(out, "ga") || !strings.Contains(out, "RUNNING") || !strings.Contains(out, "CORRUPT") || !strings.Contains(errs, file) || !strings.Contains(errs, "ocs vcp rm gb") {
		t.Fatalf("ls: exit %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := runOCS(t, "vcp", "rm", "--yes", "ga", sd); code != 0 || out != "removed ga\n" {
		t.Fatalf("rm ga beside a corrupt group: %d %q %q", code, out, errs)
	}
	code, out, errs = runOCS(t, "vcp", "rm", "--yes", "gb", sd)
	quarantine := filepath.Join(state, "quarantine", "gb-")
	if code != 0 || !strings.Contains(out, "stopped 1 node process(es)") || !strings.Contains(out, quarantine) {
		t.Fatalf("rm gb: %d %q %q", code, out, errs)
	}
	// rm returns once the process has stopped being a node (its command
	// line is gone as it exits); give its exit a moment to finish.
	for i := 0; syscall.Kill(pid, 0) == nil && processAliveNotZombie(pid); i++ {
		if i > 250 {
			t.Fatalf("node process %d of the corrupt group still runs 5 s after rm", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, out, _ := runOCS(t, "vcp", "ls", "--json", sd); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("ls after rm: %d %q", code, out)
	}
}

// holdStateLock makes another process hold the state lock exclusively.
func holdStateLock(t *testing.T, state string) int {
	t.Helper()
	bin := kerneltest.NeedTool(t, "flock")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(state, "lock")
	cmd := exec.Command(bin, "-x", lock, "sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for i := 0; ; i++ {
		if b, _ := os.ReadFile("/proc/locks"); strings.Contains(string(b), " "+strconv.Itoa(cmd.Process.Pid)+" ") {
			return cmd.Process.Pid
		}
		if i > 500 {
			t.Fatal("flock never took the lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// While another process holds the state lock, ocs says it waits and for
// whom, and gives up with exit 4: `vcp ls`, and a run whose cell needs the
// state.
func TestVcpStateLockWait(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	pid := holdStateLock(t, state)
	env := append(faultEnv(t, state), "OCS_STATE_LOCK_WAIT=1500ms")
	held := "held by pid " + strconv.Itoa(pid) + " ("

	code, p := runOCSProcess(t, env, "vcp", "ls")
	if errs := p.stderr.String(); code != exitInfra || !strings.Contains(errs, "waiting for the VCP state lock") || !strings.Contains(errs, held) || !strings.Contains(errs, "giving up") {
		t.Fatalf("vcp ls under another's lock: exit %d\n%s", code, errs)
	}

	nb := filepath.Join(t.TempDir(), "locked.ipynb")
	writeGoNotebook(t, nb, `import "ocs/vcp"
sdk := vcp.MustSDK(vcp.New(""))
vcp.MustUGroup(sdk.CreateUGroup("locked"))`)
	record := filepath.Join(t.TempDir(), "out.ipynb")
	code, p = runOCSProcess(t, env, "run", nb, "-o", record)
	if code != exitInfra {
		t.Fatalf("run under another's lock: exit %d, want %d\n%s", code, exitInfra, p.stderr.String())
	}
	if text := recordText(t, record); !strings.Contains(text, "waiting for the VCP state lock") || !strings.Contains(text, held) || !strings.Contains(text, "VCPStateLocked") {
		t.Fatalf("the record does not say who held the lock:\n%s", text)
	}
}
