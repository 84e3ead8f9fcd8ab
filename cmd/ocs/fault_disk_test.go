package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"ocs/kernel/kerneltest"
	"ocs/notebook"
)

// A cell floods a small disk through its side log: the record's next save
// fails, and the run stops there. The final save, into the room ocs kept,
// still says the run failed and why, and ocs exits 4 with the cause.
func TestFaultFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a full disk is a small tmpfs, which only root may mount")
	}
	kerneltest.NeedTool(t, "mount")
	disk := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", disk).CombinedOutput(); err != nil {
		t.Fatalf("mount a 4 MiB tmpfs: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", disk).Run() })
	nb := filepath.Join(t.TempDir(), "flood.ipynb")
	writeGoNotebook(t, nb, "!head -c 30000000 /dev/zero | tr '\\0' x | fold -w 99", "!echo never")
	rec := filepath.Join(disk, "rec.ipynb")
	code, p := runOCSProcess(t, faultEnv(t, ""), "run", "--quiet", "-o", rec, nb)
	stderr := p.stderr.String()
	if code != exitInfra || !strings.Contains(stderr, "no space left on device") {
		t.Fatalf("exit %d, want 4 with the cause; stderr:\n%s", code, tail(stderr, 2000))
	}
	kerneltest.RequireValid(t, rec)
	got, err := notebook.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	meta := got.Metadata[notebook.OCSKey].(map[string]any)
	fc, _ := meta["failed_cell"].(map[string]any)
	if meta["status"] != "failed" || fc == nil || !strings.Contains(fc["error"].(string), "no space left on device") {
		t.Fatalf("record status %v, failed_cell %v; want failed with the cause", meta["status"], fc)
	}
	// The flood's end is saved behind the run, so the next cell may have
	// started before that save failed: then the failure stopped it before
	// its command ran (the save of the command's start failed too), and
	// says why.
	next, _ := got.Cells[1].Metadata[notebook.OCSKey].(map[string]any)
	var printed strings.Builder
	for _, o := range got.Cells[1].Outputs {
		printed.WriteString(o.Text.String() + o.EValue)
	}
	ran := slices.Contains(strings.Split(printed.String(), "\n"), "never")
	effects, _ := next["effects"].([]any)
	for _, e := range effects {
		if _, ended := e.(map[string]any)["result"]; ended {
			ran = true
		}
	}
	switch {
	case next["status"] == "pending":
	case next["status"] != "failed" || ran:
		t.Errorf("the cell after the flood has status %v, effects %v, output %q; the run must stop at the failed save, before its command", next["status"], effects, printed.String())
	case !strings.Contains(printed.String(), "no space left on device"):
		t.Errorf("the cell after the flood was stopped with %q; want the failed save's cause", printed.String())
	}
	if _, err := os.Stat(filepath.Join(disk, ".rec.ipynb.reserve")); !os.IsNotExist(err) {
		t.Errorf("the reserve file is left behind: %v", err)
	}
}
