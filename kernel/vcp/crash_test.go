package vcp

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A process is killed with SIGKILL while it boots a 5-node unit: every node
// that was started is listed, and removing the group leaves no process.
func TestCrashDuringBoot(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewManager(state)
	if err != nil {
		t.Fatal(err)
	}
	m.NodeCommand = testNodeCommand(t)
	t.Cleanup(func() { cleanupState(t, m) })

	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), "OCS_VCP_TEST_ROLE=create", "OCS_STATE_DIR="+state, "OCS_VCP_TEST_NODES=5")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	// Wait until two nodes run, then kill the creator mid-boot.
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatal("the creator did not boot two nodes within 20s")
		}
		if len(nodeProcessesUnder(state)) >= 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	started := nodeProcessesUnder(state)
	if len(started) < 2 || len(started) >= 5 {
		t.Fatalf("%d node processes after the kill; want between 2 and 4", len(started))
	}

	g, err := m.Group(ctx, "crash")
	if err != nil || g == nil || g.unit("u") == nil {
		t.Fatalf("state after crash: %v, %v", g, err)
	}
	// Every node is recorded (before boot), and every started one is seen.
	views := m.Nodes(ctx, g)
	if len(views) != 5 {
		t.Fatalf("ls shows %d nodes; want all 5 recorded", len(views))
	}
	running := 0
	for _, v := range views {
		if v.Live == StateRunning {
			running++
		}
	}
	if running != len(started) {
		t.Errorf("ls shows %d running nodes, %d node processes exist", running, len(started))
	}
	tab, err := m.GroupsTable(ctx)
	if err != nil || len(tab.Rows) != 1 || tab.Rows[0][7] != "5" {
		t.Errorf("groups table after crash = %v, %v", tab, err)
	}

	if err := m.RemoveGroup(ctx, "crash"); err != nil {
		t.Fatal(err)
	}
	for _, pid := range started {
		if processAliveNotZombie(pid) {
			t.Errorf("node process %d survived rm", pid)
		}
	}
	if names, _ := m.Store.GroupNames(); len(names) != 0 {
		t.Errorf("groups left: %v", names)
	}
}
