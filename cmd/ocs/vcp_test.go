package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/creack/pty"

	"ocs/kernel/vcp"
)

func runOCS(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestVcpVerbs(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	m, err := vcp.NewManager(state)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.RemoveGroup(context.Background(), "cli") })
	ctx := context.Background()
	if _, err := m.CreateGroup(ctx, "cli"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.CreateUnit(ctx, vcp.UnitRequest{Group: "cli", Unit: "web", Provider: "local", Flavor: "small", Spec: vcp.SpecRecord{NumNodes: 2}}); err != nil {
		t.Fatal(err)
	}
	sd := "--state-dir=" + state

	code, out, errs := runOCS(t, "vcp", "ls", sd)
	if code != 0 || !strings.Contains(out, "cli") || !strings.Contains(out, "RUNNING") {
		t.Fatalf("ls: %d %q %q", code, out, errs)
	}
	code, out, _ = runOCS(t, "vcp", "ls", "--json", sd)
	var gs []vcp.GroupView
	if code != 0 || json.Unmarshal([]byte(out), &gs) != nil || len(gs) != 1 || len(gs[0].Nodes) != 2 {
		t.Fatalf("ls --json: %d %s", code, out)
	}
	code, out, _ = runOCS(t, "vcp", "nodes", "cli", sd)
	if code != 0 || strings.Count(out, "cli-web-") != 2 {
		t.Fatalf("nodes: %d %q", code, out)
	}
	code, out, _ = runOCS(t, "vcp", "ssh", "cli", sd, "--", "echo", "hi")
	if code != 0 || strings.Count(out, "| hi\n") != 2 || !strings.Contains(out, "cli/web/1") {
		t.Fatalf("ssh: %d %q", code, out)
	}
	code, _, _ = runOCS(t, "vcp", "ssh", "cli/web/2", sd, "--", "exit 9")
	if code != 9 {
		t.Fatalf("ssh exit 9 on one node: exit code %d", code)
	}
	code, out, _ = runOCS(t, "vcp", "ssh", "--json", "cli/web", sd, "--", "echo j")
	if code != 0 || !strings.Contains(out, `"stdout": "j\n"`) {
		t.Fatalf("ssh --json: %d %s", code, out)
	}
	code, out, _ = runOCS(t, "vcp", "ssh-config", "cli", sd)
	if code != 0 || !strings.Contains(out, "Host cli-web-1 web-1 127.") {
		t.Fatalf("ssh-config: %d %q", code, out)
	}
	code, out, _ = runOCS(t, "vcp", "inventory", "cli", sd)
	if code != 0 || !strings.Contains(out, "cli_web:") || !strings.Contains(out, "ansible_port:") {
		t.Fatalf("inventory: %d %q", code, out)
	}
	code, out, _ = runOCS(t, "vcp", "power-off", "cli/web/1", sd)
	if code != 0 || !strings.Contains(out, "POWER_OFF") {
		t.Fatalf("power-off: %d %q", code, out)
	}
	code, out, _ = runOCS(t, "vcp", "power-on", "cli", sd)
	if code != 0 || strings.Count(out, "RUNNING") != 2 {
		t.Fatalf("power-on: %d %q", code, out)
	}
	for _, bad := range [][]string{
		{"vcp", "nodes", "nosuch", sd},
		{"vcp", "ssh", "a/b/c/d", sd, "--", "true"},
		{"vcp", "ssh", "cli/web/x", sd, "--", "true"},
		{"vcp", "ssh", "cli", sd},
		{"vcp", "ssh", "cli/web/9", sd, "--", "true"},
		{"vcp", "rm", sd},
		{"vcp", "power-on", "cli/nosuch", sd},
	} {
		if code, _, errs := runOCS(t, bad...); code != 2 {
			t.Errorf("%q: exit %d, want 2 (%s)", bad, code, errs)
		}
	}
	// Off a terminal, rm needs --yes and deletes nothing without it.
	code, _, errs = runOCS(t, "vcp", "rm", "cli", sd)
	if code != 2 || !strings.Contains(errs, "off a terminal it needs --yes") {
		t.Fatalf("rm without --yes: %d %q", code, errs)
	}
	if code, out, _ = runOCS(t, "vcp", "ls", sd); !strings.Contains(out, "cli") {
		t.Fatalf("rm without --yes deleted the group: %q", out)
	}
	code, out, _ = runOCS(t, "vcp", "rm", "--yes", "cli", sd)
	if code != 0 || out != "removed cli\n" {
		t.Fatalf("rm: %d %q", code, out)
	}
	code, out, _ = runOCS(t, "vcp", "ls", "--json", sd)
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("ls after rm: %d %q", code, out)
	}
}

// On a terminal, rm asks; only a yes deletes.
func TestVcpRmAsksOnTerminal(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	m, err := vcp.NewManager(state)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.CreateGroup(context.Background(), "asked"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.RemoveGroup(context.Background(), "asked") })
	for _, tc := range []struct {
		answer  string
		removed bool
	}{{"n\n", false}, {"\n", false}, {"yes\n", true}} {
		ptm, tty, err := pty.Open()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ptm.WriteString(tc.answer); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		code := run([]string{"vcp", "rm", "asked", "--state-dir=" + state}, tty, &out, &errb)
		tty.Close()
		ptm.Close()
		if code != 0 || !strings.Contains(errb.String(), "Delete asked with every node") {
			t.Fatalf("answer %q: exit %d, stderr %q", tc.answer, code, errb.String())
		}
		if got := strings.Contains(out.String(), "removed asked"); got != tc.removed {
			t.Errorf("answer %q: removed = %v, want %v (%q)", tc.answer, got, tc.removed, out.String())
		}
	}
}
