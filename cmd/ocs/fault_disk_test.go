package main

import (
	"os"
	"os/exec"
	"path/filepath"
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
	if s, _ := got.Cells[1].Metadata[notebook.OCSKey].(map[string]any); s["status"] != "pending" {
		t.Errorf("the cell after the flood has status %v; the run must stop at the failed save", s["status"])
	}
	if _, err := os.Stat(filepath.Join(disk, ".rec.ipynb.reserve")); !os.IsNotExist(err) {
		t.Errorf("the reserve file is left behind: %v", err)
	}
}
