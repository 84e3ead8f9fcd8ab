package vcp

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ocs/kernel/kerneltest"
)

// When port 22 is taken (or cannot be bound, as for a non-root user), a
// node listens on another port, which state, known_hosts, ssh_config and
// the inventory carry: the system ssh and Ansible still reach it.
func TestNodeOnNonDefaultPort(t *testing.T) {
	sshBin := kerneltest.NeedTool(t, "ssh")
	ansible := kerneltest.NeedTool(t, "ansible")
	// A private address book: this state directory then gets 127.42.0.1
	// and .2, the addresses whose port 22 the test holds.
	t.Setenv("OCS_RUNTIME_DIR", filepath.Join(t.TempDir(), "run"))
	held := true
	for _, ip := range []string{"127.42.0.1", "127.42.0.2"} {
		ln, err := net.Listen("tcp", ip+":22")
		if err != nil {
			held = false // taken by someone else, or not allowed: the node cannot have it either
			continue
		}
		t.Cleanup(func() { ln.Close() })
	}
	s := newTestSDK(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ug, err := s.CreateUGroup("port")
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := s.GetSpec("local", "small")
	spec.NumNodes = 2
	unit, err := ug.CreateUnit("u", spec)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := unit.FindNodes()
	if err != nil || len(ns) != 2 {
		t.Fatalf("FindNodes = %v, %v", ns, err)
	}
	for _, n := range ns {
		if held && n.Port == 22 {
			t.Fatalf("node %s got port 22, which the test holds", n.Name)
		}
	}
	out, err := exec.CommandContext(ctx, sshBin, "-F", ug.SSHConfig(), ns[0].CloudInstanceAddress, "echo", "ok").CombinedOutput()
	if err != nil || string(out) != "ok\n" {
		t.Fatalf("ssh to port %d: %v %q", ns[0].Port, err, out)
	}
	inv, _ := os.ReadFile(ug.Inventory())
	if !strings.Contains(string(inv), "ansible_port: ") {
		t.Fatalf("inventory without ansible_port:\n%s", inv)
	}
	ac := exec.CommandContext(ctx, ansible, "-i", ug.Inventory(), "port_u", "-m", "ping")
	ac.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_CONTROL_PATH_DIR="+t.TempDir())
	if b, err := ac.CombinedOutput(); err != nil || strings.Count(string(b), "SUCCESS") != 2 {
		t.Fatalf("ansible ping: %v\n%s", err, b)
	}
	// Power cycle keeps the recorded port.
	if _, err := unit.PowerOffNodes(NodeNo(1)); err != nil {
		t.Fatal(err)
	}
	on, err := unit.PowerOnNodes(NodeNo(1))
	if err != nil || len(on) != 1 || on[0].Port != ns[0].Port || on[0].CloudInstanceAddress != ns[0].CloudInstanceAddress {
		t.Fatalf("after power cycle %+v (was port %d), %v", on, ns[0].Port, err)
	}
}
