package vcp

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"ocs/kernel/kerneltest"
)

func TestLocalEndToEnd(t *testing.T) {
	sshBin := kerneltest.NeedTool(t, "ssh")
	scpBin := kerneltest.NeedTool(t, "scp")
	ansible := kerneltest.NeedTool(t, "ansible")
	s := newTestSDK(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var logs lockedBuffer
	logger := zerolog.New(&logs)
	s.ctxf = func() context.Context { return logger.WithContext(ctx) }

	ug, err := s.CreateUGroup("e2e")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := s.GetSpec("local", "small")
	if err != nil {
		t.Fatal(err)
	}
	spec.NumNodes = 3
	spec.ParamsE = append(spec.ParamsE, "GREETING=hello world")
	spec.ParamsV = []string{"/exported:/exported"}
	spec.Image = "harbor.example/vcp/base:1"
	unit, err := ug.CreateUnit("web", spec)
	if err != nil {
		t.Fatal(err)
	}
	ips, err := unit.FindIPAddresses(NodeState(StateRunning))
	if err != nil || len(ips) != 3 {
		t.Fatalf("FindIPAddresses = %v, %v; want 3 addresses", ips, err)
	}
	if got, _ := ug.FindIPAddresses(UnitName("web")); len(got) != 3 {
		t.Fatalf("ug.FindIPAddresses(UnitName) = %v", got)
	}
	if l := logs.String(); !strings.Contains(l, `"message":"spec field not honoured"`) || !strings.Contains(l, `"message":"BOOTING"`) {
		t.Errorf("logs lack the unhonoured-field warning or the progress line:\n%s", l)
	}
	if strings.Contains(logs.String(), "BEGIN OPENSSH") || strings.Contains(logs.String(), "token-not-used") {
		t.Error("a secret reached the log")
	}
	units, err := ug.FindUnits()
	if err != nil || len(units) != 1 || units[0].Name != "web" || units[0].Provider != "local" {
		t.Fatalf("FindUnits = %+v, %v", units, err)
	}
	dfu, err := ug.DFUnits()
	if err != nil || len(dfu.Rows) != 1 || dfu.Column("unit_state")[0] != StateRunning || dfu.Column("nodes")[0] != "3" {
		t.Fatalf("DFUnits = %v, %v", dfu, err)
	}
	dfg, err := s.DFUGroups()
	if err != nil || len(dfg.Rows) != 1 || dfg.Column("vcname")[0] != "e2e" || dfg.Column("state")[0] != StateRunning {
		t.Fatalf("DFUGroups = %v, %v", dfg, err)
	}
	df, err := ug.DFNodes()
	if err != nil {
		t.Fatal(err)
	}
	if notes := df.Column("notes"); len(notes) != 3 || !strings.Contains(notes[0], "image") || !strings.Contains(notes[0], "params_v") {
		t.Errorf("DFNodes notes = %q, want the unhonoured image and params_v", notes)
	}

	// Go client: exit status, environment, stderr.
	ts, err := unit.Targets()
	if err != nil || len(ts) != 3 {
		t.Fatalf("Targets = %v, %v", ts, err)
	}
	out, err := Output(ctx, ts[0], `echo "$GREETING from $HOME"; pwd`)
	if err != nil || !strings.HasPrefix(out, "hello world from ") {
		t.Fatalf("Output = %q, %v", out, err)
	}
	err = Run(ctx, ts[1], "echo oops >&2; exit 7", nil, nil, nil)
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Status != 7 || ee.Node != ts[1].Name {
		t.Fatalf("Run exit 7 = %v", err)
	}
	err = Run(ctx, ts[1], "kill -TERM $$", nil, nil, nil)
	if !errors.As(err, &ee) || ee.Status != 143 {
		t.Fatalf("Run killed by TERM = %v, want status 143", err)
	}
	var fo bytes.Buffer
	if err := FanOut(ctx, ts, "hostname >/dev/null; echo hi", &fo, &fo); err != nil {
		t.Fatalf("FanOut: %v", err)
	}
	if strings.Count(fo.String(), "| hi\n") != 3 {
		t.Fatalf("FanOut output %q", fo.String())
	}
	err = FanOut(ctx, ts, `test "$SSH_CONNECTION" != "" && exit 3`, nil, nil)
	var foe *FanOutError
	if !errors.As(err, &foe) || len(foe.Errors) != 3 {
		t.Fatalf("FanOut failing = %v", err)
	}

	// System OpenSSH with the group's ssh_config, by address and by name.
	cfg := ug.SSHConfig()
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, name, args...)
		b, err := cmd.CombinedOutput()
		if err != nil {
			if os.Getenv("VCPDEBUG") != "" {
				v := exec.Command(name, append([]string{"-v"}, args...)...)
				vb, _ := v.CombinedOutput()
				t.Logf("%s", vb)
			}
			t.Fatalf("%s %q: %v\n%s", name, args, err, b)
		}
		return string(b)
	}
	if got := run(sshBin, "-F", cfg, ips[0], "echo", "via-openssh"); got != "via-openssh\n" {
		t.Fatalf("ssh output %q", got)
	}
	if got := run(sshBin, "-F", cfg, "e2e-web-2", "echo $GREETING"); got != "hello world\n" {
		t.Fatalf("ssh by name output %q", got)
	}
	c := exec.CommandContext(ctx, sshBin, "-F", cfg, ips[0], "exit 5")
	if err := c.Run(); c.ProcessState == nil || c.ProcessState.ExitCode() != 5 {
		t.Fatalf("ssh exit 5: %v", err)
	}
	// scp both ways (SFTP mode, OpenSSH's default).
	local := filepath.Join(t.TempDir(), "up.txt")
	if err := os.WriteFile(local, []byte("payload\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(scpBin, "-F", cfg, local, ips[2]+":up.txt")
	if out, err := Output(ctx, ts[2], "cat up.txt"); err != nil || out != "payload\n" {
		t.Fatalf("after scp up: %q, %v", out, err)
	}
	back := filepath.Join(t.TempDir(), "back.txt")
	run(scpBin, "-F", cfg, ips[2]+":up.txt", back)
	if b, _ := os.ReadFile(back); string(b) != "payload\n" {
		t.Fatalf("scp down got %q", b)
	}
	// Go copy helpers.
	if err := CopyTo(ctx, ts[0], local, "go.txt"); err != nil {
		t.Fatal(err)
	}
	if err := CopyFrom(ctx, ts[0], "go.txt", back); err != nil {
		t.Fatal(err)
	}

	// Ansible with the group's inventory.
	inv := ug.Inventory()
	aenv := append(os.Environ(), "ANSIBLE_HOST_KEY_CHECKING=True", "ANSIBLE_NOCOLOR=1", "ANSIBLE_CONTROL_PATH_DIR="+t.TempDir())
	ac := exec.CommandContext(ctx, ansible, "-i", inv, "all", "-m", "ping")
	ac.Env = aenv
	if b, err := ac.CombinedOutput(); err != nil || strings.Count(string(b), "SUCCESS") != 3 {
		t.Fatalf("ansible ping: %v\n%s", err, b)
	}
	ac = exec.CommandContext(ctx, ansible, "-i", inv, "e2e_web", "-m", "command", "-a", "echo ansible-ok")
	ac.Env = aenv
	if b, err := ac.CombinedOutput(); err != nil || strings.Count(string(b), "ansible-ok") != 3 {
		t.Fatalf("ansible command: %v\n%s", err, b)
	}

	// Add two nodes, delete one by address.
	added, err := unit.AddNodes(Count(2))
	if err != nil || len(added) != 2 || added[0].State != StateRunning {
		t.Fatalf("AddNodes = %+v, %v", added, err)
	}
	deleted, err := unit.DeleteNodes(IPAddress(ips[1]))
	if err != nil || len(deleted) != 1 || deleted[0].CloudInstanceAddress != ips[1] {
		t.Fatalf("DeleteNodes = %+v, %v", deleted, err)
	}
	if got, _ := unit.FindIPAddresses(); len(got) != 4 || contains(got, ips[1]) {
		t.Fatalf("after delete: %v", got)
	}
	if err := Run(ctx, ts[1], "true", nil, nil, nil); err == nil {
		t.Fatalf("deleted node %s still answers", ips[1])
	}

	// Power off/on keeps the address and host key.
	before := hostKeyOf(t, s, "e2e", ips[0])
	off, err := unit.PowerOffNodes(IPAddress(ips[0]))
	if err != nil || len(off) != 1 || off[0].State != StatePowerOff {
		t.Fatalf("PowerOffNodes = %+v, %v", off, err)
	}
	if got, _ := unit.FindIPAddresses(NodeState(StatePowerOff)); len(got) != 1 || got[0] != ips[0] {
		t.Fatalf("powered off = %v", got)
	}
	if err := Run(ctx, ts[0], "true", nil, nil, nil); err == nil {
		t.Fatal("powered-off node answers")
	}
	on, err := unit.PowerOnNodes()
	if err != nil || len(on) != 4 {
		t.Fatalf("PowerOnNodes = %+v, %v", on, err)
	}
	if after := hostKeyOf(t, s, "e2e", ips[0]); after != before {
		t.Fatalf("host key changed over a power cycle")
	}
	if got := run(sshBin, "-F", cfg, ips[0], "cat go.txt"); got != "payload\n" {
		t.Fatalf("disk lost over a power cycle: %q", got)
	}

	// Cleanup: no node process, no state.
	if err := ug.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if pids := nodeProcessesUnder(s.m.Store.Dir); len(pids) > 0 {
		t.Fatalf("node processes left: %v", pids)
	}
	if g, err := s.GetUGroup("e2e"); g != nil || err != nil {
		t.Fatalf("GetUGroup after cleanup = %v, %v", g, err)
	}
	if _, err := os.Stat(s.m.Store.GroupDir("e2e")); !os.IsNotExist(err) {
		t.Fatalf("group directory left: %v", err)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func hostKeyOf(t *testing.T, s *SDK, group, ip string) string {
	t.Helper()
	g, err := s.m.Group(context.Background(), group)
	if err != nil || g == nil {
		t.Fatal(err)
	}
	for _, u := range g.Units {
		for _, n := range u.Nodes {
			if n.Address == ip {
				return n.HostKey
			}
		}
	}
	t.Fatalf("no node %s", ip)
	return ""
}
