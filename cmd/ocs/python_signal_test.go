package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"ocs/kernel/kerneltest"
	"ocs/notebook"
)

const slowPythonNotebook = `{
 "cells": [
  {"cell_type": "code", "execution_count": null, "id": "first", "metadata": {}, "outputs": [], "source": ["!echo first done | tee -a marks.txt\n", "x = 41"]},
  {"cell_type": "code", "execution_count": null, "id": "slow", "metadata": {}, "outputs": [],
   "source": ["import os\n", "if not os.path.exists('quick'):\n", "    !echo started | tee -a started.txt; exec sleep 60.0429"]},
  {"cell_type": "code", "execution_count": null, "id": "last", "metadata": {}, "outputs": [], "source": ["print('answer', x + 1)"]}
 ],
 "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}},
 "nbformat": 4,
 "nbformat_minor": 5
}
`

// startSlowPythonRun starts ocs on a Python notebook whose second cell
// runs for a minute, and waits until the record shows it running with its
// first output saved. It returns the run and the kernel's pid.
func startSlowPythonRun(t *testing.T) (*exec.Cmd, string, int) {
	t.Helper()
	return startSlowPython(t, false)
}

// startSlowPython starts the slow notebook's run; with atMarker it returns
// as soon as the slow cell's command has written its marker (started.txt),
// the record as it happens to be, else once the record shows the cell's
// output.
func startSlowPython(t *testing.T, atMarker bool) (*exec.Cmd, string, int) {
	t.Helper()
	kerneltest.NeedKernel(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "slow.ipynb")
	if err := os.WriteFile(src, []byte(slowPythonNotebook), 0o644); err != nil {
		t.Fatal(err)
	}
	record := filepath.Join(dir, "rec.ipynb")
	cmd := exec.Command(os.Args[0], "run", src, "-o", record)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), execAsOCS+"=ocs", "OCS_CACHE_DIR="+filepath.Join(dir, "cache"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if atMarker {
			// Written, not just there: tee makes the file before it writes,
			// and a kill between the two would leave it empty.
			if data, err := os.ReadFile(filepath.Join(dir, "started.txt")); err == nil && string(data) == "started\n" {
				kernels := kernelsOf(cmd.Process.Pid)
				if len(kernels) != 1 {
					t.Fatalf("kernels of ocs %d: %v", cmd.Process.Pid, kernels)
				}
				return cmd, record, kernels[0]
			}
			time.Sleep(time.Millisecond)
			continue
		}
		if nb, err := notebook.ReadFile(record); err == nil {
			c := nb.Cells[1]
			meta, _ := c.Metadata[notebook.OCSKey].(map[string]any)
			if meta["status"] == "running" && len(c.Outputs) > 0 && strings.Contains(c.Outputs[0].Text.String(), "started") {
				kernels := kernelsOf(cmd.Process.Pid)
				if len(kernels) != 1 {
					t.Fatalf("kernels of ocs %d: %v", cmd.Process.Pid, kernels)
				}
				return cmd, record, kernels[0]
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the slow cell never showed as running with its output saved")
	return nil, "", 0
}

// kernelsOf returns the pids of the ipykernel processes that the ocs
// process pid started (other tests' kernels may run beside them).
func kernelsOf(pid int) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.Contains(string(cmdline), "ipykernel_launcher") {
			continue
		}
		env, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if strings.Contains("\x00"+string(env)+"\x00", "\x00JPY_PARENT_PID="+strconv.Itoa(pid)+"\x00") {
			n, _ := strconv.Atoi(e.Name())
			pids = append(pids, n)
		}
	}
	return pids
}

// requireKernelGone fails unless the kernel process ends within 3 s.
func requireKernelGone(t *testing.T, pid int) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
			return
		}
		// A zombie is gone for our purpose: it runs nothing.
		if data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat")); err == nil && strings.Contains(string(data), ") Z ") {
			return
		}
		time.Sleep(30 * time.Millisecond)
	}
	t.Fatalf("kernel %d outlived ocs", pid)
}

func resumePython(t *testing.T, record string, how ...string) {
	t.Helper()
	dir := filepath.Dir(record)
	if err := os.WriteFile(filepath.Join(dir, "quick"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if len(how) == 0 {
		how = []string{"--resume"}
	}
	cmd := exec.Command(os.Args[0], append([]string{"run", record}, how...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), execAsOCS+"=ocs", "OCS_CACHE_DIR="+filepath.Join(dir, "cache"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "answer 42") {
		t.Errorf("the resumed cells did not see x: %s", out)
	}
	if got := strings.Join(cellStatuses(t, record), ","); got != "completed,completed,completed" {
		t.Fatalf("statuses after resume %s", got)
	}
	marks, err := os.ReadFile(filepath.Join(dir, "marks.txt"))
	if err != nil || string(marks) != "first done\n" {
		t.Fatalf("marks.txt = %q, %v: the replayed cell's command ran again", marks, err)
	}
}

func TestPythonSIGINT(t *testing.T) {
	cmd, record, kernel := startSlowPythonRun(t)
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := exitCodeOf(t, cmd); code != exitInterrupted {
		t.Fatalf("exit code %d, want 130", code)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v to stop after SIGINT", took)
	}
	if got := strings.Join(cellStatuses(t, record), ","); got != "completed,interrupted,pending" {
		t.Fatalf("statuses %s", got)
	}
	requireKernelGone(t, kernel)
	requireGone(t, "sleep 60.0429")
	resumePython(t, record)
}

// TestPythonKill9 kills ocs the moment a `!` command has started (its
// first act writes a marker): the record on disk already says the command
// started, so --resume refuses to run it again by itself, as for Go cells,
// and --from reruns it deliberately.
func TestPythonKill9(t *testing.T) {
	cmd, record, kernel := startSlowPython(t, true)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = exitCodeOf(t, cmd)
	if got := strings.Join(cellStatuses(t, record), ","); got != "completed,running,pending" {
		t.Fatalf("statuses %s", got)
	}
	requireKernelGone(t, kernel)
	// The command was `exec sleep`: the shell itself, which dies with ocs.
	requireGone(t, "sleep 60.0429")
	dir := filepath.Dir(record)
	resume := exec.Command(os.Args[0], "run", record, "--resume")
	resume.Dir = dir
	resume.Env = append(os.Environ(), execAsOCS+"=ocs", "OCS_CACHE_DIR="+filepath.Join(dir, "cache"))
	requireResumeRefused(t, resume, record, "echo started | tee -a started.txt; exec sleep 60.0429", 1)
	resumePython(t, record, "--from", "1")
	if started, err := os.ReadFile(filepath.Join(dir, "started.txt")); err != nil || string(started) != "started\n" {
		t.Fatalf("started.txt = %q, %v: the killed command ran again", started, err)
	}
}

func TestPythonKernelKilled(t *testing.T) {
	cmd, record, kernel := startSlowPythonRun(t)
	if err := syscall.Kill(kernel, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := exitCodeOf(t, cmd); code != exitInfra {
		t.Fatalf("exit code %d, want 4", code)
	}
	if got := strings.Join(cellStatuses(t, record), ","); got != "completed,failed,pending" {
		t.Fatalf("statuses %s", got)
	}
	data, _ := os.ReadFile(record)
	if !strings.Contains(string(data), "KernelDied") || !strings.Contains(string(data), "signal: killed") {
		t.Errorf("the record does not say the kernel died")
	}
	requireGone(t, "sleep 60.0429")
}
