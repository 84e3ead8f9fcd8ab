package vcp

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// The test binary plays the ocs binary: OCS_VCP_TEST_ROLE=node makes it a
// node process, =create a process that boots a unit slowly (crash test).
func TestMain(m *testing.M) {
	switch os.Getenv("OCS_VCP_TEST_ROLE") {
	case "node":
		os.Exit(nodeMain(os.Args[1:]))
	case "create":
		os.Exit(createMain())
	}
	os.Exit(m.Run())
}

func nodeMain(args []string) int {
	dir := ""
	for i, a := range args {
		if a == "--dir" && i+1 < len(args) {
			dir = args[i+1]
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := RunNode(ctx, dir, os.NewFile(3, "ready")); err != nil {
		fmt.Fprintln(os.Stderr, "node:", err)
		return 1
	}
	return 0
}

func testNodeCommand(t testing.TB) NodeCommand {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"OCS_VCP_TEST_ROLE=node"}
	if v := os.Getenv("GORACE"); v != "" { // race reports of node processes
		env = append(env, "GORACE="+v)
	}
	return NodeCommand{Path: exe, Env: env}
}

// createMain boots a 5-node unit one node at a time, slowly.
func createMain() int {
	m, err := NewManager(os.Getenv("OCS_STATE_DIR"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	exe, _ := os.Executable()
	m.NodeCommand = NodeCommand{Path: exe, Env: []string{"OCS_VCP_TEST_ROLE=node"}}
	m.BootParallel = 1
	m.afterBoot = func() { time.Sleep(400 * time.Millisecond) }
	ctx := context.Background()
	if _, err := m.CreateGroup(ctx, "crash"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	n, _ := strconv.Atoi(os.Getenv("OCS_VCP_TEST_NODES"))
	if _, err := m.CreateUnit(ctx, UnitRequest{Group: "crash", Unit: "u", Provider: "local", Flavor: "small", Spec: SpecRecord{NumNodes: n}}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// newTestSDK returns an SDK on a fresh state directory whose node processes
// are this test binary; every node left at the end is removed.
func newTestSDK(t testing.TB, gw Gateway) *SDK {
	t.Helper()
	dir := t.TempDir()
	nc := testNodeCommand(t)
	s, err := NewWithOptions("token-not-used", Options{StateDir: filepath.Join(dir, "state"), Gateway: gw, NodeCommand: &nc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cleanupState(t, s.m) })
	return s
}

// cleanupState removes every group of m's state and checks that no node
// process of it is left.
func cleanupState(t testing.TB, m *Manager) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	names, err := m.Store.GroupNames()
	if err != nil {
		t.Error(err)
		return
	}
	for _, n := range names {
		if err := m.RemoveGroup(ctx, n); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
	if pids := nodeProcessesUnder(m.Store.Dir); len(pids) > 0 {
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		t.Errorf("node processes left after cleanup: %v", pids)
	}
}

// nodeProcessesUnder lists live node processes whose directory is under dir.
func nodeProcessesUnder(dir string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		if containsArgPrefix(cmd, "\x00--dir\x00"+dir+"/") && processAliveNotZombie(pid) {
			out = append(out, pid)
		}
	}
	return out
}

func containsArgPrefix(cmd []byte, s string) bool {
	return len(cmd) > 0 && (string(cmd) != "" && (len(s) > 0) && (indexOf(string(cmd), s) >= 0))
}

func indexOf(a, b string) int {
	for i := 0; i+len(b) <= len(a); i++ {
		if a[i:i+len(b)] == b {
			return i
		}
	}
	return -1
}

func processAliveNotZombie(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(stat)
	i := indexOf(s, ") ")
	return i > 0 && s[i+2] != 'Z' && s[i+2] != 'X'
}
