package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"ocs/kernel/kerneltest"
	"ocs/notebook"
	"ocs/runner"
)

const slowNotebook = `{
 "cells": [
  {"cell_type": "code", "execution_count": null, "id": "params", "metadata": {"tags": ["parameters"]}, "outputs": [], "source": ["wait := \"60.0427\""]},
  {"cell_type": "code", "execution_count": null, "id": "first", "metadata": {}, "outputs": [], "source": ["!echo first done | tee -a marks.txt"]},
  {"cell_type": "code", "execution_count": null, "id": "slow", "metadata": {}, "outputs": [],
   "source": ["!echo started; sleep {wait}; echo never"]},
  {"cell_type": "code", "execution_count": null, "id": "last", "metadata": {}, "outputs": [], "source": ["!echo last"]}
 ],
 "metadata": {"kernelspec": {"display_name": "Go (ocs)", "language": "go", "name": "ocs-go"}},
 "nbformat": 4,
 "nbformat_minor": 5
}
`

// startSlowRun starts ocs (this test binary) on a notebook whose second
// cell runs for a minute, and waits until the record on disk shows that
// cell running with its first output saved.
func startSlowRun(t *testing.T) (*exec.Cmd, string) {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "slow.ipynb")
	if err := os.WriteFile(src, []byte(slowNotebook), 0o644); err != nil {
		t.Fatal(err)
	}
	record := filepath.Join(dir, "rec.ipynb")
	cmd := exec.Command(os.Args[0], "run", src, "-o", record)
	cmd.Env = append(os.Environ(), execAsOCS+"=ocs")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if nb, err := notebook.ReadFile(record); err == nil {
			c := nb.Cells[2]
			meta, _ := c.Metadata[notebook.OCSKey].(map[string]any)
			if meta["status"] == "running" && len(c.Outputs) > 0 && strings.Contains(c.Outputs[0].Text.String(), "started") {
				return cmd, record
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the slow cell never showed as running with its output saved")
	return nil, ""
}

func exitCodeOf(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(10 * time.Second):
		t.Fatal("ocs did not exit within 10 s")
		return -1
	}
}

func cellStatuses(t *testing.T, record string) []string {
	t.Helper()
	kerneltest.RequireValid(t, record)
	var s []string
	for _, row := range runner.Summarize(readRecord(t, record)) {
		s = append(s, string(row.Status))
	}
	return s
}

func TestSIGINTInterruptsTheCellAndSaves(t *testing.T) {
	cmd, record := startSlowRun(t)
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := exitCodeOf(t, cmd); code != exitInterrupted {
		t.Fatalf("exit code %d, want 130", code)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %v to stop after SIGINT", took)
	}
	if got := strings.Join(cellStatuses(t, record), ","); got != "completed,completed,interrupted,pending" {
		t.Fatalf("statuses %s", got)
	}
	resumeAndFinish(t, record)
}

// resumeAndFinish resumes an interrupted record with the slow cell made
// quick: it completes, and the first cell's command did not run again.
func resumeAndFinish(t *testing.T, record string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "run", record, "--resume", "-p", "wait=0")
	cmd.Env = append(os.Environ(), execAsOCS+"=ocs")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	if got := strings.Join(cellStatuses(t, record), ","); got != "completed,completed,completed,completed,completed" {
		t.Fatalf("statuses after resume %s (the injected parameters cell is new)", got)
	}
	marks, err := os.ReadFile(filepath.Join(filepath.Dir(record), "marks.txt"))
	if err != nil || string(marks) != "first done\n" {
		t.Fatalf("marks.txt = %q, %v: the replayed cell ran again", marks, err)
	}
}

func TestSecondSIGINTExitsAtOnce(t *testing.T) {
	cmd, record := startSlowRun(t)
	_ = cmd.Process.Signal(syscall.SIGINT)
	_ = cmd.Process.Signal(syscall.SIGINT)
	if code := exitCodeOf(t, cmd); code != exitInterrupted {
		t.Fatalf("exit code %d, want 130", code)
	}
	if got := cellStatuses(t, record); got[2] != "interrupted" {
		t.Fatalf("statuses %v", got)
	}
	requireGone(t, "sleep 60.0427")
}

func TestKill9LeavesAValidRecord(t *testing.T) {
	cmd, record := startSlowRun(t)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = exitCodeOf(t, cmd)
	got := cellStatuses(t, record)
	if strings.Join(got, ",") != "completed,completed,running,pending" {
		t.Fatalf("statuses %v", got)
	}
	nb, _ := notebook.ReadFile(record)
	if !strings.Contains(nb.Cells[1].Outputs[0].Text.String(), "first done") || !strings.Contains(nb.Cells[2].Outputs[0].Text.String(), "started") {
		t.Fatal("saved outputs lost")
	}
	requireGone(t, "sleep 60.0427")
	// The slow cell's command started and its end was never journaled: a
	// resume does not run it again by itself, and says how to.
	resume := exec.Command(os.Args[0], "run", record, "--resume", "-p", "wait=0")
	resume.Env = append(os.Environ(), execAsOCS+"=ocs")
	requireResumeRefused(t, resume, record, "echo started; sleep 60.0427; echo never", 2)
}

// requireResumeRefused runs resume, a --resume of record after a kill -9
// during command in cell from: it must exit 2 naming the command and
// `--from N`, and leave the record as the kill left it.
func requireResumeRefused(t *testing.T, resume *exec.Cmd, record, command string, from int) {
	t.Helper()
	before := strings.Join(cellStatuses(t, record), ",")
	out, err := resume.CombinedOutput()
	var ee *exec.ExitError
	fromFlag := fmt.Sprintf("--from %d", from)
	if !errors.As(err, &ee) || ee.ExitCode() != exitUsage || !strings.Contains(string(out), fmt.Sprintf("was killed during the command %q", command)) || !strings.Contains(string(out), fromFlag) {
		t.Fatalf("resume after kill -9 during a command: %v, want exit 2 naming the command and %s:\n%s", err, fromFlag, out)
	}
	if got := strings.Join(cellStatuses(t, record), ","); got != before {
		t.Fatalf("the refused resume changed the record: %s, was %s", got, before)
	}
}

// requireGone fails unless no process runs cmdline within 3 s: a cell's
// shell command dies with ocs rather than linger.
func requireGone(t *testing.T, cmdline string) {
	t.Helper()
	for i := 0; i < 100 && len(processesRunning(cmdline)) > 0; i++ {
		time.Sleep(30 * time.Millisecond)
	}
	if left := processesRunning(cmdline); len(left) > 0 {
		t.Fatalf("%q outlived ocs: pids %v", cmdline, left)
	}
}

// processesRunning returns the pids whose command line is cmdline.
func processesRunning(cmdline string) []string {
	var pids []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.ReplaceAll(strings.TrimRight(string(data), "\x00"), "\x00", " ") == cmdline {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

// A kill -9 during a long silent cell that follows quick cells: the record
// lists the quick cells completed, though none of them was saved on its
// own (docs/record.md, "Saving": within the 100 ms save delay).
func TestKill9AfterQuickCellsKeepsThem(t *testing.T) {
	const quick = 40
	dir := t.TempDir()
	marker := filepath.Join(dir, "long-cell-started")
	cells := make([]string, 0, quick+1)
	for i := range quick {
		cells = append(cells, fmt.Sprintf("q%d := %d", i, i))
	}
	cells = append(cells, fmt.Sprintf("import (\n\t\"os\"\n\t\"time\"\n)\n\n_ = os.WriteFile(%q, nil, 0o644)\ntime.Sleep(time.Minute)", marker))
	src := filepath.Join(dir, "quick.ipynb")
	writeGoNotebook(t, src, cells...)
	record := filepath.Join(dir, "rec.ipynb")
	p := startOCS(t, faultEnv(t, t.TempDir()), 60*time.Second, "run", src, "-o", record, "-q")
	var started time.Time
	for i := 0; i < 2000 && started.IsZero(); i++ {
		if _, err := os.Stat(marker); err == nil {
			started = time.Now()
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if started.IsZero() {
		t.Fatalf("the long cell never started; stderr:\n%s", tail(p.stderr.String(), 2000))
	}
	// Well past the 100 ms delay (the machine may be loaded), well short
	// of the two seconds after which the running cell's own timer saves.
	time.Sleep(time.Until(started.Add(time.Second)))
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
	got := cellStatuses(t, record)
	want := strings.TrimSuffix(strings.Repeat("completed,", quick), ",") + ",running"
	if strings.Join(got, ",") != want {
		t.Fatalf("after kill -9 1 s into the long cell, statuses %v; want %d completed, then running", got, quick)
	}
}
