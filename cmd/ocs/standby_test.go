package main

// The standby worker (package kernel/gokernel/standby): a Go run adopts the
// worker its init started, and its cells cannot tell; runs that need no Go
// kernel leave none behind. Real processes: this test binary as ocs.

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"ocs/kernel/gokernel/standby"
	"ocs/kernel/kerneltest"
	"ocs/runner"
)

// standbyReportCell writes what a cell can see of its worker process to
// $STANDBY_REPORT: the session's environment, the working directory, GOMAXPROCS, signal dispositions and mask, open file
// descriptors, process group and session.
const standbyReportCell = `import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
)
session := os.Environ()
sort.Strings(session)
wd, _ := os.Getwd()
status, _ := os.ReadFile("/proc/self/status")
var sigs []string
for _, l := range strings.Split(string(status), "\n") {
	// SigBlk is the mask of whichever thread is busy then; SigQ counts
	// signals queued for the whole user.
	if strings.HasPrefix(l, "SigIgn") || strings.HasPrefix(l, "SigCgt") {
		sigs = append(sigs, l)
	}
}
func openFDs() []string {
	var fds []string
	entries, _ := os.ReadDir("/proc/self/fd")
	for _, e := range entries {
		target, _ := os.Readlink("/proc/self/fd/" + e.Name())
		fds = append(fds, e.Name()+" "+target)
	}
	return fds
}
fds := openFDs()
stat, _ := os.ReadFile("/proc/self/stat")
f := strings.Fields(string(stat)[strings.LastIndex(string(stat), ")")+1:])
report := fmt.Sprintf("session %q\nwd %s\ngomaxprocs %d\nsignals %q\nfds %q\nown group %v\nsession id %s tty %s\n",
	session, wd, runtime.GOMAXPROCS(0), sigs, fds, f[2] == fmt.Sprint(os.Getpid()), f[3], f[4])
if err := os.WriteFile(os.Getenv("STANDBY_REPORT"), []byte(report), 0o644); err != nil {
	panic(err)
}`

// standbyShellCell adds what a cell's shell command sees: environment,
// directory, signal mask and dispositions, open files.
const standbyShellCell = "!(env | sort; pwd; grep -E '^Sig(Blk|Ign|Cgt)' /proc/$$/status; ls -l /proc/$$/fd | sed 's/.* [0-9]* -> /fd -> /') >> \"$STANDBY_REPORT\""

// varyingRE matches what differs between any two runs: the private ocs
// folder, pipes' inode numbers, the opt-out variable the test sets.
var varyingRE = regexp.MustCompile(`run-[0-9]+|pipe:\[[0-9]+\]|` + standby.OptOutEnv + `=[01]`)

// workerReady returns the "go kernel worker ready" log line of a run's
// JSON log.
func workerReady(t *testing.T, stderr string) map[string]any {
	t.Helper()
	for _, line := range strings.Split(stderr, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["message"] == "go kernel worker ready" {
			return m
		}
	}
	t.Fatalf("no worker ready line in the log:\n%s", tail(stderr, 2000))
	return nil
}

func TestStandbyAdoptedAndInvisible(t *testing.T) {
	dir := t.TempDir()
	nb := filepath.Join(dir, "report.ipynb")
	writeGoNotebook(t, nb, standbyReportCell, standbyShellCell)
	cwd := filepath.Join(dir, "cells")
	if err := os.Mkdir(cwd, 0o755); err != nil {
		t.Fatal(err)
	}
	reports := map[string]string{}
	report := filepath.Join(dir, "report.txt")
	base := append(faultEnv(t, ""), "STANDBY_REPORT="+report)
	for _, mode := range []string{"1", "0"} {
		env := append(base[:len(base):len(base)], standby.OptOutEnv+"="+mode)
		code, p := runOCSProcess(t, env, "--log-level", "debug", "--log-format", "json", "run", nb, "-o", filepath.Join(dir, "rec-"+mode+".ipynb"), "--cwd", cwd)
		if code != 0 {
			t.Fatalf("OCS_STANDBY=%s: exit %d\n%s", mode, code, tail(p.stderr.String(), 3000))
		}
		ready := workerReady(t, p.stderr.String())
		if adopted, want := ready["standby"], mode == "1"; adopted != want {
			t.Errorf("OCS_STANDBY=%s: the ready line says standby=%v, want %v", mode, adopted, want)
		}
		data, err := os.ReadFile(report)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(report); err != nil {
			t.Fatal(err)
		}
		reports[mode] = varyingRE.ReplaceAllString(string(data), "<varies>")
	}
	if !strings.Contains(reports["1"], "wd "+cwd+"\n") {
		t.Errorf("the adopted worker's cell ran elsewhere than %s:\n%s", cwd, reports["1"])
	}
	standbyLines, freshLines := strings.Split(reports["1"], "\n"), strings.Split(reports["0"], "\n")
	if len(standbyLines) != len(freshLines) {
		t.Fatalf("a cell tells the standby from a fresh worker:\nstandby:\n%s\nfresh:\n%s", reports["1"], reports["0"])
	}
	for i := range standbyLines {
		if standbyLines[i] != freshLines[i] {
			t.Errorf("a cell tells the standby from a fresh worker:\nstandby: %s\nfresh:   %s", standbyLines[i], freshLines[i])
		}
	}
}

// standbyWorkers returns the worker processes (standby or not) of this test
// binary that are alive: what a run may have left behind.
func standbyWorkers(t *testing.T) []int {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		proc := filepath.Join("/proc", e.Name())
		if target, err := os.Readlink(filepath.Join(proc, "exe")); err != nil || target != exe {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join(proc, "stat")); err != nil || strings.Contains(string(stat), ") Z ") {
			continue // a zombie runs nothing
		}
		env, _ := os.ReadFile(filepath.Join(proc, "environ"))
		if strings.Contains("\x00"+string(env), "\x00"+standby.WorkerEnv+"=") {
			pids = append(pids, pid)
		}
	}
	return pids
}

// requireNoWorkers fails unless no worker of this binary is alive within 2 s.
func requireNoWorkers(t *testing.T, what string) {
	t.Helper()
	var left []int
	for i := 0; i < 100; i++ {
		if left = standbyWorkers(t); len(left) == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("%s left worker processes %v", what, left)
}

const standbyPythonNotebook = `{
 "cells": [
  {"cell_type": "code", "execution_count": null, "id": "look", "metadata": {}, "outputs": [],
   "source": ["import os\n", "ocs = os.getppid()\n", "n = 0\n",
    "for pid in filter(str.isdigit, os.listdir('/proc')):\n",
    "    try:\n",
    "        stat = open(f'/proc/{pid}/stat').read()\n",
    "        env = open(f'/proc/{pid}/environ', 'rb').read().split(b'\\0')\n",
    "    except OSError:\n",
    "        continue\n",
    "    if int(stat.rsplit(')', 1)[1].split()[1]) == ocs and any(e.startswith(b'OCS_KERNEL_WORKER=') for e in env):\n",
    "        n += 1\n",
    "print('go workers beside the kernel:', n)"]}
 ],
 "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "name": "python3"}},
 "nbformat": 4,
 "nbformat_minor": 5
}
`

// A run that needs no Go kernel kills its standby as soon as it knows: a
// Python run before its kernel starts (the notebook's kernelspec names no
// language, so the run's init could not tell and started a standby), a run
// that fails on its input or shows its help when it ends; none leaves a
// worker behind.
func TestStandbyNotLeftBehind(t *testing.T) {
	dir := t.TempDir()
	env := faultEnv(t, "")
	t.Run("python", func(t *testing.T) {
		kerneltest.NeedKernel(t)
		nb := filepath.Join(dir, "look.ipynb")
		if err := os.WriteFile(nb, []byte(standbyPythonNotebook), 0o644); err != nil {
			t.Fatal(err)
		}
		code, p := runOCSProcess(t, env, "run", nb, "-o", filepath.Join(dir, "py-rec.ipynb"))
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, tail(p.stderr.String(), 3000))
		}
		if !strings.Contains(p.stderr.String(), "go workers beside the kernel: 0") {
			t.Errorf("the Python cell saw a Go worker of its run:\n%s", tail(p.stderr.String(), 2000))
		}
		requireNoWorkers(t, "a Python run")
	})
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"help", []string{"run", "--help"}, 0},
		{"missing file", []string{"run", filepath.Join(dir, "missing.ipynb")}, 2},
		{"bad flag", []string{"run", "--no-such-flag", filepath.Join(dir, "missing.ipynb")}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, p := runOCSProcess(t, env, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, tail(p.stderr.String(), 2000))
			}
			requireNoWorkers(t, "ocs "+strings.Join(tc.args, " "))
		})
	}
}

// BenchmarkRunStartup runs a one-cell Go notebook through this binary as
// ocs, with the standby worker and without: the start-up the standby
// overlaps. go test ./cmd/ocs -run '^$' -bench RunStartup -count 10
func BenchmarkRunStartup(b *testing.B) {
	dir := b.TempDir()
	nb := filepath.Join(dir, "one.ipynb")
	writeGoNotebook(b, nb, `x := 1`)
	for _, mode := range []string{"0", "1"} {
		b.Run("standby="+mode, func(b *testing.B) {
			exe, err := os.Executable()
			if err != nil {
				b.Fatal(err)
			}
			env := append(os.Environ(), execAsOCS+"=ocs", standby.OptOutEnv+"="+mode,
				"OCS_CONFIG_DIR="+filepath.Join(dir, "config"), "OCS_CACHE_DIR="+filepath.Join(dir, "cache"))
			for b.Loop() {
				cmd := exec.Command(exe, "run", "--quiet", "-o", filepath.Join(dir, "rec.ipynb"), nb)
				cmd.Env = env
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("%v\n%s", err, out)
				}
			}
		})
	}
}

// standby.RunValueFlags, which the standby's init uses to find SOURCE
// among the arguments of ocs run, names every flag of ocs run and every
// global flag that takes a value, and no other.
func TestStandbyKnowsTheValueFlags(t *testing.T) {
	g := &globals{masker: runner.NewMasker()}
	root := newRoot(g, strings.NewReader(""), io.Discard, newConsole(io.Discard, io.Discard))
	run, _, err := root.Find([]string{"run"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	visit := func(f *pflag.Flag) {
		if f.Value.Type() == "bool" {
			return
		}
		want["--"+f.Name] = true
		if f.Shorthand != "" {
			want["-"+f.Shorthand] = true
		}
	}
	run.Flags().VisitAll(visit)
	root.PersistentFlags().VisitAll(visit)
	got := map[string]bool{}
	for _, f := range standby.RunValueFlags {
		got[f] = true
	}
	for f := range want {
		if !got[f] {
			t.Errorf("standby.RunValueFlags lacks %s, which takes a value", f)
		}
	}
	for f := range got {
		if !want[f] {
			t.Errorf("standby.RunValueFlags has %s, which is no value flag of ocs run", f)
		}
	}
}
