package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"ocs/notebook"
	"ocs/runner"
)

// A kill -9 while a `!` command runs, before any save of the record after
// its cell started: the effect's start is only in the effect log beside
// the record (the cell before it made an effect, so its end was saved at
// once, and the start of the next waited for that save only). ocs status
// shows the cell running, --resume refuses to run the command again,
// --from reruns it deliberately (replaying the cell before it, whose
// command does not run again), and a run that ends leaves no log.
func TestKill9BeforeAnySaveOfTheEffect(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "deploy.ipynb")
	const command = "echo ran >> marks.txt; touch started.txt; [ -e quick ] || exec sleep 60.0431"
	writeGoNotebook(t, src,
		"x := 41\n!echo first >> first.txt",
		"!"+command,
		"!echo last >> last.txt\nx++\nprintln(\"answer\", x)")
	record := filepath.Join(dir, "rec.ipynb")
	logFile := filepath.Join(dir, ".rec.ipynb.effects")
	env := faultEnv(t, t.TempDir())
	p := startOCS(t, env, 60*time.Second, "run", "-q", "--autosave-every", "1h", src, "-o", record)
	started := false
	for i := 0; i < 30000 && !started; i++ {
		_, err := os.Stat(filepath.Join(dir, "started.txt"))
		started = err == nil
		if !started {
			time.Sleep(time.Millisecond)
		}
	}
	if !started {
		t.Fatalf("the command never started; stderr:\n%s", tail(p.stderr.String(), 2000))
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
	requireGone(t, "sleep 60.0431")

	logged, err := os.ReadFile(logFile)
	if err != nil || !strings.Contains(string(logged), `"cell":"cell-1"`) || !strings.Contains(string(logged), "touch started.txt") {
		t.Fatalf("the effect log does not hold the command's start: %v\n%s", err, logged)
	}
	if fi, err := os.Stat(logFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the effect log's mode: %v, %v; want 0600", fi, err)
	}
	// The record file itself: the first cell's end, nothing of the next.
	raw, err := notebook.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := raw.Cells[0].Metadata[notebook.OCSKey].(map[string]any)
	next, _ := raw.Cells[1].Metadata[notebook.OCSKey].(map[string]any)
	if first["status"] != "completed" || next["status"] != "pending" || next["effects"] != nil {
		t.Fatalf("the record file shows cell 0 %v and cell 1 %v; want cell 0 completed, cell 1 pending (its start in the log only)", first, next)
	}

	code, st := runOCSProcess(t, env, "status", "--json", record)
	var doc struct {
		Run   struct{ Status string }
		Cells []struct{ Status string }
	}
	if err := json.Unmarshal(st.stdout.Bytes(), &doc); err != nil || code != exitInfra || len(doc.Cells) != 3 || doc.Cells[1].Status != "running" || doc.Run.Status != "abandoned" {
		t.Fatalf("ocs status: exit %d, %v, %+v; want exit 4, abandoned, cell 1 running\n%s", code, err, doc, st.stdout.String())
	}

	// ocs report reads the log too.
	page := filepath.Join(dir, "rec.html")
	if code, rep := runOCSProcess(t, env, "report", record, "-o", page); code != exitOK {
		t.Fatalf("ocs report: exit %d\n%s", code, rep.stderr.String())
	}
	// Its count of cells by status: the killed one is running (the record
	// file alone has it pending).
	if html, _ := os.ReadFile(page); !strings.Contains(string(html), `<span class="badge st-running">1 running</span>`) {
		t.Errorf("the report does not count the killed cell as running")
	}

	// A copy of the record whose log has a line that is not torn but
	// wrong: exit 2, naming the log and the line.
	data, _ := os.ReadFile(record)
	copied := filepath.Join(dir, "copy.ipynb")
	header, _, _ := strings.Cut(string(logged), "\n")
	if err := os.WriteFile(copied, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".copy.ipynb.effects"), []byte(header+"\n{\"cell\": 7}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, bad := runOCSProcess(t, env, "status", copied); code != exitUsage || !strings.Contains(bad.stderr.String(), ".copy.ipynb.effects, line 2") {
		t.Fatalf("ocs status with a bad log line: exit %d, want 2 naming the log and the line\n%s", code, bad.stderr.String())
	}

	resume := ocsCommand(env, "run", record, "--resume")
	requireResumeRefused(t, resume, record, command, 1)
	if marks, _ := os.ReadFile(filepath.Join(dir, "marks.txt")); string(marks) != "ran\n" {
		t.Fatalf("marks.txt after the refused resume: %q; the command ran again", marks)
	}

	if err := os.WriteFile(filepath.Join(dir, "quick"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, from := runOCSProcess(t, env, "run", record, "--from", "1")
	if code != exitOK || !strings.Contains(from.stdout.String()+from.stderr.String(), "answer 42") {
		t.Fatalf("--from 1: exit %d\n%s\n%s", code, from.stdout.String(), tail(from.stderr.String(), 2000))
	}
	marks, _ := os.ReadFile(filepath.Join(dir, "marks.txt"))
	firsts, _ := os.ReadFile(filepath.Join(dir, "first.txt"))
	last, _ := os.ReadFile(filepath.Join(dir, "last.txt"))
	if string(marks) != "ran\nran\n" || string(firsts) != "first\n" || string(last) != "last\n" {
		t.Fatalf("marks.txt %q, first.txt %q, last.txt %q: want the command run once by the killed run and once by --from, the other cells' once", marks, firsts, last)
	}
	if got := strings.Join(cellStatuses(t, record), ","); got != "completed,completed,completed" {
		t.Fatalf("statuses after --from 1: %s", got)
	}
	if _, err := os.Stat(logFile); !os.IsNotExist(err) {
		t.Fatalf("a completed run left its effect log: %v", err)
	}
}

// readRecord reads a record the way ocs does: with its effect log.
func readRecord(t *testing.T, record string) *notebook.Notebook {
	t.Helper()
	nb, err := notebook.ReadFile(record)
	if err != nil {
		t.Fatalf("record unreadable: %v", err)
	}
	if _, err := runner.ApplyEffectLog(nb, record); err != nil {
		t.Fatalf("effect log unreadable: %v", err)
	}
	return nb
}

// ocsCommand is ocs (this test binary) with args, in env.
func ocsCommand(env []string, args ...string) *exec.Cmd {
	c := exec.Command(os.Args[0], args...)
	c.Env = env
	return c
}
