package main

// Fault tests: the real ocs (this test binary re-executed as ocs, see
// TestMain) against runaway output, corrupt files and nodes that die. Each
// asserts an outcome and a bound (exit code, a valid record, bytes left
// alone, peak memory), never a speed: bench/run measures speed.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ocs/kernel/kerneltest"
	"ocs/kernel/vcp"
	"ocs/notebook"
	"ocs/runner"
)

// ocsProc is one ocs process started by a fault test.
type ocsProc struct {
	cmd    *exec.Cmd
	ctx    context.Context // ends at the limit
	cancel context.CancelFunc
	stdout bytes.Buffer
	stderr syncBuffer
	limit  time.Duration
}

// syncBuffer is a bytes.Buffer that a test may read while the process
// writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// faultEnv is the environment of an ocs under test: this binary acting as
// ocs, with configuration, cache and VCP state in the test's own folders.
func faultEnv(t *testing.T, state string) []string {
	t.Helper()
	dir := t.TempDir()
	env := append(os.Environ(), execAsOCS+"=ocs",
		"OCS_CONFIG_DIR="+filepath.Join(dir, "config"),
		"OCS_CACHE_DIR="+filepath.Join(dir, "cache"))
	if state != "" {
		env = append(env, "OCS_STATE_DIR="+state)
	}
	return env
}

// startOCS starts ocs with args; the process is killed if it outlives limit,
// which the test then reports as a hang.
func startOCS(t *testing.T, env []string, limit time.Duration, args ...string) *ocsProc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return startOCSExeLimit(t, exe, env, limit, args...)
}

// startOCSExe starts the ocs binary exe (a copy of this one) with args.
func startOCSExe(t *testing.T, exe string, env []string, args ...string) *ocsProc {
	t.Helper()
	return startOCSExeLimit(t, exe, env, 60*time.Second, args...)
}

func startOCSExeLimit(t *testing.T, exe string, env []string, limit time.Duration, args ...string) *ocsProc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	p := &ocsProc{ctx: ctx, cancel: cancel, limit: limit}
	p.cmd = exec.CommandContext(ctx, exe, args...)
	p.cmd.Env = env
	p.cmd.Stdout = &p.stdout
	p.cmd.Stderr = &p.stderr
	p.cmd.WaitDelay = 5 * time.Second
	if err := p.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = p.cmd.Wait()
	})
	return p
}

// wait returns the exit code; a process that had to be killed at the limit
// fails the test.
func (p *ocsProc) wait(t *testing.T) int {
	t.Helper()
	err := p.cmd.Wait()
	hung := errors.Is(p.ctx.Err(), context.DeadlineExceeded)
	p.cancel()
	if hung {
		t.Fatalf("ocs %s did not finish within %v (hang); stderr:\n%s", strings.Join(p.cmd.Args[1:], " "), p.limit, tail(p.stderr.String(), 2000))
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("ocs: %v", err)
	return -1
}

// maxRSSMB is the peak resident set of ocs and of the children it reaped
// (its kernel worker), from wait4's rusage.
func (p *ocsProc) maxRSSMB() float64 {
	ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	return float64(ru.Maxrss) / 1024 // kilobytes on Linux
}

// runOCSProcess runs ocs to the end and returns its exit code.
func runOCSProcess(t *testing.T, env []string, args ...string) (int, *ocsProc) {
	t.Helper()
	p := startOCS(t, env, 60*time.Second, args...)
	return p.wait(t), p
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// writeGoNotebook writes a template of Go cells.
func writeGoNotebook(t testing.TB, path string, cells ...string) {
	t.Helper()
	nb := &notebook.Notebook{Format: 4, FormatMinor: 5, Metadata: map[string]any{
		"kernelspec": map[string]any{"name": "ocs-go", "display_name": "Go (ocs)", "language": "go"}}}
	for i, src := range cells {
		c := notebook.NewCell(notebook.Code, src)
		c.ID = fmt.Sprintf("cell-%d", i)
		nb.Cells = append(nb.Cells, c)
	}
	if err := nb.WriteFile(path); err != nil {
		t.Fatal(err)
	}
}

// hwmWatcher samples the peak resident set (VmHWM) of a process and of its
// children while they run: the worker's own figure, which rusage folds into
// its parent's.
type hwmWatcher struct {
	mu     sync.Mutex
	peakKB map[string]int64 // "ocs" and "worker"
	stop   chan struct{}
	done   chan struct{}
}

func watchHWM(pid int) *hwmWatcher {
	w := &hwmWatcher{peakKB: map[string]int64{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			w.sample("ocs", pid)
			// A Go program forks from any of its threads, and each
			// thread lists only the children it forked.
			threads, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
			for _, list := range threads {
				children, _ := os.ReadFile(list)
				for _, f := range strings.Fields(string(children)) {
					if child, err := strconv.Atoi(f); err == nil {
						w.sample("worker", child)
					}
				}
			}
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

func (w *hwmWatcher) sample(role string, pid int) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			w.mu.Lock()
			w.peakKB[role] = max(w.peakKB[role], kb)
			w.mu.Unlock()
		}
	}
}

func (w *hwmWatcher) result() (ocsMB, workerMB float64) {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return float64(w.peakKB["ocs"]) / 1024, float64(w.peakKB["worker"]) / 1024
}

// A cell that writes without end, stopped by --cell-timeout: ocs exits 3,
// the record is valid and holds about the cap of output, the rest is in the
// side log, and memory stays bounded however much the cell wrote.
func TestFaultRunawayOutput(t *testing.T) {
	const line = "runaway output: the same line again and again, without end"
	const rssBoundMB = 200
	for _, tc := range []struct{ name, cell string }{
		{"go-loop", "import \"fmt\"\n\nfor {\n\tfmt.Println(\"" + line + "\")\n}"},
		{"shell-yes", "!yes '" + line + "'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.name == "shell-yes" {
				kerneltest.NeedTool(t, "yes")
			}
			dir := t.TempDir()
			nb := filepath.Join(dir, "runaway.ipynb")
			rec := filepath.Join(dir, "record.ipynb")
			writeGoNotebook(t, nb, tc.cell, "never := 1")
			p := startOCS(t, faultEnv(t, ""), 60*time.Second, "run", "--quiet", "--cell-timeout", "2s", "-o", rec, nb)
			hwm := watchHWM(p.cmd.Process.Pid)
			code := p.wait(t)
			ocsMB, workerMB := hwm.result()
			if code != exitTimeout {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, exitTimeout, tail(p.stderr.String(), 2000))
			}
			kerneltest.RequireValid(t, rec)

			got, err := notebook.ReadFile(rec)
			if err != nil {
				t.Fatal(err)
			}
			cell := got.Cells[0]
			if meta, _ := cell.Metadata[notebook.OCSKey].(map[string]any); meta["status"] != string(runner.TimedOut) {
				t.Errorf("cell status %v, want %s", meta["status"], runner.TimedOut)
			}
			if meta, _ := got.Cells[1].Metadata[notebook.OCSKey].(map[string]any); meta["status"] != string(runner.Pending) {
				t.Errorf("the cell after the runaway one has status %v, want it not run", meta["status"])
			}
			stream, kept := 0, ""
			for _, o := range cell.Outputs {
				if o.Type == notebook.StreamOutput {
					stream += o.Text.Len()
					kept += o.Text.String()
				}
			}
			// The head and the tail, half the cap each, and a note between.
			capBytes := runner.DefaultOutputCap
			if stream < capBytes*9/10 || stream > capBytes+4096 {
				t.Errorf("the record keeps %d bytes of stream output; want about the cap, %d", stream, capBytes)
			}
			if !strings.Contains(kept, "bytes of output omitted here") || !strings.Contains(kept, line) {
				t.Errorf("the record's output lacks the omission note or the cell's lines: %q", tail(kept, 300))
			}
			side, err := os.Stat(rec + ".d/cell-cell-0.log")
			if err != nil {
				t.Fatalf("side log: %v", err)
			}
			if side.Size() <= int64(capBytes) {
				t.Errorf("side log holds %d bytes; want more than the cap", side.Size())
			}

			peak := p.maxRSSMB()
			t.Logf("%s: %.1f MB written; peak RSS: ocs %.1f MB, kernel worker %.1f MB (VmHWM); %.1f MB for both (rusage)",
				tc.name, float64(side.Size())/(1<<20), ocsMB, workerMB, peak)
			for name, mb := range map[string]float64{"ocs and its worker (rusage)": peak, "ocs (VmHWM)": ocsMB, "the kernel worker (VmHWM)": workerMB} {
				if mb > rssBoundMB {
					t.Errorf("peak RSS of %s is %.1f MB; want under %d MB", name, mb, rssBoundMB)
				}
			}
		})
	}
}

// A valid record, then damaged copies of it, given to run, status and
// validate: each exits 2 with an error naming the file, and no file is
// written or changed.
func TestFaultCorruptRecords(t *testing.T) {
	dir := t.TempDir()
	env := faultEnv(t, "")
	nb := filepath.Join(dir, "tiny.ipynb")
	writeGoNotebook(t, nb, "x := 1\nx + 1")
	good := filepath.Join(dir, "good-record.ipynb")
	if code, p := runOCSProcess(t, env, "run", "--quiet", "-o", good, nb); code != 0 {
		t.Fatalf("making a record: exit %d: %s", code, p.stderr.String())
	}
	valid, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	garbage := bytes.Clone(valid)
	copy(garbage[len(garbage)/2:], "\xff\x00\xfe not json at all")
	variants := map[string][]byte{
		"truncated":  valid[:len(valid)/2],
		"cut-at-end": valid[:len(valid)-3],
		"garbage":    garbage,
		"empty":      {},
		"nul-bytes":  make([]byte, 512),
		"bad-schema": []byte(`{"cells": 5, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}`),
	}
	previous := []byte("a record from an earlier run; must survive\n")
	for name, data := range variants {
		t.Run(name, func(t *testing.T) {
			sub := filepath.Join(dir, name)
			if err := os.MkdirAll(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			bad := filepath.Join(sub, "record.ipynb")
			out := filepath.Join(sub, "out.ipynb")
			for path, content := range map[string][]byte{bad: data, out: previous} {
				if err := os.WriteFile(path, content, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, args := range [][]string{
				{"run", "--quiet", "-o", out, bad},
				{"status", bad},
				{"validate", bad},
			} {
				code, p := runOCSProcess(t, env, args...)
				if code != exitUsage {
					t.Errorf("ocs %s: exit %d, want %d; stderr: %s", args[0], code, exitUsage, p.stderr.String())
				}
				if !strings.Contains(p.stderr.String(), bad) {
					t.Errorf("ocs %s: the error does not name %s: %q", args[0], bad, p.stderr.String())
				}
			}
			if b, _ := os.ReadFile(bad); !bytes.Equal(b, data) {
				t.Errorf("the damaged file was changed")
			}
			if b, _ := os.ReadFile(out); !bytes.Equal(b, previous) {
				t.Errorf("-o %s was overwritten: %q", out, tail(string(b), 200))
			}
			ents, _ := os.ReadDir(sub)
			if len(ents) != 2 {
				var names []string
				for _, e := range ents {
					names = append(names, e.Name())
				}
				t.Errorf("files beside the damaged record: %v; want only record.ipynb and out.ipynb", names)
			}
		})
	}
}

// A damaged unit group state file under `ocs vcp ls`: exit 2, an error
// naming the file, and the file left as it was.
func TestFaultCorruptVCPState(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	m, err := vcp.NewManager(state)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.CreateGroup(context.Background(), "damaged"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(m.Store.GroupDir("damaged"), "ugroup.json")
	valid, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	env := faultEnv(t, state)
	variants := map[string][]byte{
		"truncated":      valid[:len(valid)/2],
		"empty":          {},
		"garbage":        []byte("\xff\xfe\x00garbage"),
		"trailing-data":  append(bytes.Clone(valid), []byte(`{"version": 1}`)...),
		"future-version": bytes.Replace(valid, []byte(`"version": 1`), []byte(`"version": 999`), 1),
		"unknown-field":  bytes.Replace(valid, []byte(`{`), []byte(`{"surprise": true, `), 1),
	}
	if bytes.Equal(variants["future-version"], valid) {
		t.Fatalf("the state file has no \"version\": 1 to damage: %s", valid)
	}
	for name, data := range variants {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"vcp", "ls"}, {"vcp", "ls", "--json"}} {
				code, p := runOCSProcess(t, env, args...)
				if code != exitUsage {
					t.Errorf("ocs %s: exit %d, want %d; stderr: %s", strings.Join(args, " "), code, exitUsage, p.stderr.String())
				}
				if !strings.Contains(p.stderr.String(), file) {
					t.Errorf("ocs %s: the error does not name %s: %q", strings.Join(args, " "), file, p.stderr.String())
				}
			}
			if b, _ := os.ReadFile(file); !bytes.Equal(b, data) {
				t.Errorf("the state file was changed: %q", b)
			}
		})
	}
}

// A node process killed (SIGKILL) while a cell runs a command on it over
// SSH: the cell fails with a message naming the node, the record is valid,
// and ocs exits 1 instead of waiting out the command.
func TestFaultNodeKilledDuringSSH(t *testing.T) {
	kerneltest.NeedTool(t, "ssh")
	state := filepath.Join(t.TempDir(), "state")
	m, err := vcp.NewManager(state)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t.Cleanup(func() { _ = m.RemoveGroup(context.Background(), "faults") })
	if _, err := m.CreateGroup(ctx, "faults"); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, unit string
		cell       func(unit string) string
		names      string // what the failure must name
	}{
		{"ssh", "viassh", func(u string) string {
			return fmt.Sprintf("!ssh -F %s faults-%s-1 'echo node ready; sleep 30'", m.Store.SSHConfigPath("faults"), u)
		}, "faults-viassh-1"},
		{"ocs-vcp-ssh", "viavcp", func(u string) string {
			return fmt.Sprintf("!%s vcp ssh faults/%s/1 -- 'echo node ready; sleep 30'", exe, u)
		}, "faults/viavcp/1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := m.CreateUnit(ctx, vcp.UnitRequest{Group: "faults", Unit: tc.unit, Provider: "local", Flavor: "small", Spec: vcp.SpecRecord{NumNodes: 1}})
			if err != nil {
				t.Fatal(err)
			}
			pid := u.Nodes[0].PID
			if pid <= 0 {
				t.Fatalf("node has no pid: %+v", u.Nodes[0])
			}
			dir := t.TempDir()
			nb := filepath.Join(dir, "ssh.ipynb")
			rec := filepath.Join(dir, "record.ipynb")
			writeGoNotebook(t, nb, tc.cell(tc.unit), "never := 1")

			// The 30 s command is the hang the limit catches: ocs must end
			// soon after the node dies, not when the command would have.
			p := startOCS(t, faultEnv(t, state), 25*time.Second, "run", "-o", rec, nb)
			waitFor(t, &p.stderr, "node ready", 20*time.Second)
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			code := p.wait(t)
			stderr := p.stderr.String()
			if code != exitCellFailed {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, exitCellFailed, tail(stderr, 2000))
			}
			kerneltest.RequireValid(t, rec)
			got, err := notebook.ReadFile(rec)
			if err != nil {
				t.Fatal(err)
			}
			var failure string
			for _, o := range got.Cells[0].Outputs {
				if o.Type == notebook.ErrorOutput {
					failure += o.EName + ": " + o.EValue + "\n"
				}
			}
			if failure == "" {
				t.Fatalf("the cell has no error output; outputs: %+v", got.Cells[0].Outputs)
			}
			t.Logf("the cell failed with: %s", strings.TrimSpace(failure))
			if !strings.Contains(failure, tc.names) {
				t.Errorf("the cell's error does not name the node %s: %q", tc.names, failure)
			}
			if !strings.Contains(stderr, tc.names) {
				t.Errorf("ocs's error does not name the node %s: %q", tc.names, tail(stderr, 1000))
			}
			if meta, _ := got.Cells[1].Metadata[notebook.OCSKey].(map[string]any); meta["status"] != string(runner.Pending) {
				t.Errorf("the cell after the failed one has status %v, want it not run", meta["status"])
			}
		})
	}
}

// waitFor waits until w holds want.
func waitFor(t *testing.T, w interface{ String() string }, want string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !strings.Contains(w.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q within %v; output so far:\n%s", want, limit, tail(w.String(), 2000))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
