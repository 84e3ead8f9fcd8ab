package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ocs/kernel"
	"ocs/kernel/gokernel"
	"ocs/kernel/kerneltest"
	"ocs/kernel/vcp"
)

// useStateDir gives the test a fresh VCP state directory (through the
// environment, as a worker and its shell lines see it) and removes every
// unit group left in it at the end, so no node process outlives the test.
func useStateDir(t *testing.T) string {
	t.Helper()
	state := filepath.Join(t.TempDir(), "state")
	t.Setenv("OCS_STATE_DIR", state)
	t.Cleanup(func() { removeGroups(t, context.Background(), state) })
	return state
}

// removeGroups removes every unit group in the state, and so its nodes.
func removeGroups(t *testing.T, ctx context.Context, state string) {
	t.Helper()
	m, err := vcp.NewManager(state)
	if err != nil {
		t.Errorf("cleanup: %v", err)
		return
	}
	names, _ := m.Store.GroupNames()
	for _, g := range names {
		if err := m.RemoveGroup(ctx, g); err != nil {
			t.Errorf("cleanup of unit group %q: %v", g, err)
		}
	}
}

func newCellKernel(t *testing.T) *gokernel.Kernel {
	t.Helper()
	k, err := gokernel.New(context.Background(), gokernel.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("new kernel: %v", err)
	}
	t.Cleanup(func() { _ = k.Close() })
	return k
}

// execCell runs one cell and returns the recorder and the cell's error.
func execCell(t *testing.T, k kernel.Kernel, src string, mode kernel.Mode, journal []kernel.Effect) (*kerneltest.Recorder, error) {
	t.Helper()
	rec := &kerneltest.Recorder{}
	err := k.Execute(context.Background(), kernel.Cell{Source: src, Mode: mode, Journal: journal}, rec)
	return rec, err
}

func streamText(rec *kerneltest.Recorder) string {
	var b strings.Builder
	for _, o := range rec.Outputs() {
		switch o.Kind {
		case kernel.Stream:
			b.WriteString(o.Text)
		case kernel.Error:
			b.WriteString(o.EName + ": " + o.EValue + "\n")
		}
	}
	return b.String()
}

// TestVCPInCells drives the SDK, SSH from Go, the system OpenSSH client
// with the group's ssh_config, `ocs` from shell lines and the %%ssh magic
// through the real kernel and real local nodes.
func TestVCPInCells(t *testing.T) {
	kerneltest.NeedTool(t, "ssh")
	state := useStateDir(t)
	k := newCellKernel(t)

	create := `import "ocs/vcp"
sdk := vcp.MustSDK(vcp.New(""))
ug := vcp.MustUGroup(sdk.CreateUGroup("cells"))
spec := vcp.MustSpec(sdk.GetSpec("local", "small"))
spec.NumNodes = 2
unit := vcp.MustUnit(ug.CreateUnit("web", spec))
vcp.MustTable(ug.DFNodes())`
	rec, err := execCell(t, k, create, kernel.Live, nil)
	if err != nil {
		t.Fatalf("create: %v\n%s", err, streamText(rec))
	}
	out, ok := rec.Find(kernel.Result)
	if !ok || !strings.Contains(out.Data["text/html"].(string), "cells-web-2") {
		t.Errorf("DFNodes result = %v, want an HTML table naming cells-web-2", out.Data)
	}
	var ops []string
	for _, e := range rec.Effects() {
		ops = append(ops, e.Op)
	}
	if got := strings.Join(ops, " "); got != "vcp.create_ugroup vcp.get_spec vcp.create_unit vcp.df_nodes" {
		t.Errorf("effects = %s", got)
	}
	journal := rec.Effects()

	rec, err = execCell(t, k, `import "fmt"
out, err := sdk.SSH("cells/web", "echo go-$((20+22))")
vcp.Check(err)
fmt.Print(out)`, kernel.Live, nil)
	if text := streamText(rec); err != nil || strings.Count(text, "| go-42\n") != 2 || !strings.Contains(text, "cells/web/2 |") {
		t.Errorf("SSH from Go: err %v, output %q", err, text)
	}

	rec, err = execCell(t, k, `!ssh -F $(ocs vcp ssh-config --path cells) cells-web-2 echo openssh-ok
!ocs vcp ssh cells/web/1 -- echo cli-ok
!test "$OCS_STATE_DIR" = `+state, kernel.Live, nil)
	if text := streamText(rec); err != nil || !strings.Contains(text, "openssh-ok") || !strings.Contains(text, "cells/web/1 | cli-ok") {
		t.Errorf("shell lines: err %v, output %q", err, text)
	}

	// The magic's target is interpolated; node 2 gets a marker that makes
	// the script fail there only.
	rec, err = execCell(t, k, `g := "cells"
vcp.MustString(sdk.SSH(g+"/web/2", "touch ~/bad"))`, kernel.Live, nil)
	if err != nil {
		t.Fatalf("mark node 2: %v %s", err, streamText(rec))
	}
	rec, err = execCell(t, k, "%%ssh {g}/web\necho script-ran\ntest ! -e ~/bad", kernel.Live, nil)
	text := streamText(rec)
	if err == nil || !strings.Contains(text, "SSHError") || !strings.Contains(text, `"cells/web/2"`) || strings.Contains(text, `"cells/web/1"`) {
		t.Errorf("%%%%ssh with node 2 failing: err %v, output %q", err, text)
	}
	if strings.Count(text, "| script-ran\n") != 2 {
		t.Errorf("%%%%ssh output not labelled per node: %q", text)
	}
	if effs := rec.Effects(); len(effs) != 1 || effs[0].Op != "vcp.ssh_script" || effs[0].Args["arg"] != "cells/web" || effs[0].Err == "" {
		t.Errorf("%%%%ssh effects = %+v, want one failed vcp.ssh_script", effs)
	}

	// A replay of the creating cell in a fresh session is answered from the
	// journal: no new group appears in a fresh state directory.
	t.Setenv("OCS_STATE_DIR", filepath.Join(t.TempDir(), "replay-state"))
	replay := newCellKernel(t)
	rec, err = execCell(t, replay, create, kernel.Replay, journal)
	if err != nil {
		t.Fatalf("replay: %v %s", err, streamText(rec))
	}
	if out, ok := rec.Find(kernel.Result); !ok || !strings.Contains(out.Data["text/plain"].(string), "cells-web-1") {
		t.Errorf("replayed DFNodes = %v, want the journal's table", out.Data)
	}
	if _, err := os.Stat(filepath.Join(os.Getenv("OCS_STATE_DIR"), "ugroups", "cells")); !os.IsNotExist(err) {
		t.Errorf("replay created the unit group (stat: %v)", err)
	}
	t.Setenv("OCS_STATE_DIR", state)

	rec, err = execCell(t, k, `vcp.Check(ug.Cleanup())
vcp.MustUGroup(sdk.GetUGroup("cells")) == nil`, kernel.Live, nil)
	if out, _ := rec.Find(kernel.Result); err != nil || out.Data["text/plain"] != "true" {
		t.Errorf("cleanup: err %v, result %v, %s", err, out.Data, streamText(rec))
	}

	// Check fails the cell with the SDK's message.
	rec, err = execCell(t, k, `vcp.MustSpec(sdk.GetSpec("local", "huge"))`, kernel.Live, nil)
	if text := streamText(rec); err == nil || !strings.Contains(text, `VCPError: provider "local" has no flavor "huge"`) {
		t.Errorf("Must on an error: err %v, output %q", err, text)
	}

	// A CreateUnit that makes no unit fails its cell with the SDK's reason,
	// not two cells later with "no reachable node".
	rec, err = execCell(t, k, `ug2 := vcp.MustUGroup(sdk.CreateUGroup("cells2"))
vcp.MustUnit(ug2.CreateUnit("op", vcp.MustSpec(sdk.GetSpec("onpremises", "default"))))`, kernel.Live, nil)
	if text := streamText(rec); err == nil || !strings.Contains(text, "VCPError: ") || !strings.Contains(text, "needs spec ip_addresses") {
		t.Errorf("MustUnit of a unit not made: err %v, output %q", err, text)
	}
}
