package jupyter

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"ocs/kernel"
	"ocs/kernel/kerneltest"
)

// TestShellSemantics runs OCS shell semantics in one kernel, case after
// case: each leaves the kernel usable.
func TestShellSemantics(t *testing.T) {
	k := startKernel(t, Options{Env: append(os.Environ(), "OCS_TEST_VAR=from-env")})
	dir := t.TempDir()
	n := 0
	exec := func(src string, cell kernel.Cell, rec kernel.Host) error {
		n++
		cell.Source, cell.Index, cell.Count, cell.ID = src, n, n, "c"
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		return k.Execute(ctx, cell, rec)
	}
	mustRun := func(t *testing.T, src string) *kerneltest.Recorder {
		t.Helper()
		rec := &kerneltest.Recorder{}
		if err := exec(src, kernel.Cell{}, rec); err != nil {
			t.Fatalf("%q: %v (outputs %+v)", src, err, rec.Outputs())
		}
		return rec
	}
	commands := func(rec *kerneltest.Recorder) []string {
		var out []string
		for _, e := range rec.Effects() {
			out = append(out, e.Op+" "+e.Args["command"].(string))
		}
		return out
	}

	t.Run("expansion in loops", func(t *testing.T) {
		rec := mustRun(t, "name = 'z'\nfor i in range(2):\n    if i >= 0:\n        !echo {i} {{x}} $name {name.upper()}")
		if got := rec.Stream("stdout"); got != "0 {x} z Z\n1 {x} z Z\n" {
			t.Errorf("stdout %q", got)
		}
		if got := strings.Join(commands(rec), "|"); got != "shell echo 0 {x} z Z|shell echo 1 {x} z Z" {
			t.Errorf("effects %q", got)
		}
	})
	t.Run("locals of a function", func(t *testing.T) {
		rec := mustRun(t, "def f(word):\n    !echo {word}\nf('inner')")
		if got := rec.Stream("stdout"); got != "inner\n" {
			t.Errorf("stdout %q", got)
		}
	})
	t.Run("capture", func(t *testing.T) {
		rec := mustRun(t, "out = !echo a; echo b >&2; echo $OCS_TEST_VAR\nprint(out, type(out).__name__, out.n.count('\\n'))")
		if got := rec.Stream("stdout"); got != "['a', 'b', 'from-env'] SList 2\n" {
			t.Errorf("stdout %q", got)
		}
		if e := rec.Effects(); len(e) != 1 || e[0].Args["capture"] != true {
			t.Errorf("effects %+v", e)
		}
	})
	t.Run("failing command", func(t *testing.T) {
		rec := &kerneltest.Recorder{}
		err := exec("!echo before; exit 3\nprint('not reached')", kernel.Cell{}, rec)
		var ce *kernel.CellError
		if !errors.As(err, &ce) || ce.EName != "RuntimeError" || ce.EValue != "Unexpected exit code: 3" {
			t.Fatalf("err = %v", err)
		}
		if strings.Contains(rec.Stream("stdout"), "not reached") || !strings.Contains(rec.Stream("stdout"), "before") {
			t.Errorf("stdout %q", rec.Stream("stdout"))
		}
		if got := mustRun(t, "print(_exit_code)").Stream("stdout"); got != "3\n" {
			t.Errorf("_exit_code %q", got)
		}
		mustRun(t, "!false || true")
	})
	t.Run("cwd follows the kernel", func(t *testing.T) {
		rec := mustRun(t, "import os\nos.chdir("+pyString(dir)+")\n!pwd")
		if got := rec.Stream("stdout"); got != dir+"\n" {
			t.Errorf("pwd %q, want %q", got, dir)
		}
	})
	t.Run("replay runs nothing", func(t *testing.T) {
		marker := filepath.Join(dir, "marker")
		src := "!touch " + marker + "\nlines = !echo live\nreplayed = lines[0]"
		journal := []kernel.Effect{
			{Op: "shell", Args: map[string]any{"command": "touch " + marker}, Result: map[string]any{"exit": float64(0)}},
			{Op: "shell", Args: map[string]any{"command": "echo live", "capture": true}, Result: map[string]any{"exit": float64(0), "lines": []any{"from the journal"}}},
		}
		rec := &kerneltest.Recorder{}
		if err := exec(src, kernel.Cell{Mode: kernel.Replay, Journal: journal}, rec); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the replayed command ran: %v", err)
		}
		if got := mustRun(t, "print(replayed)").Stream("stdout"); got != "from the journal\n" {
			t.Errorf("replayed capture %q", got)
		}
		// A replay whose code makes another call diverges.
		err := exec("!echo other", kernel.Cell{Mode: kernel.Replay, Journal: journal[:1]}, rec)
		var d *kernel.DivergenceError
		if !errors.As(err, &d) || !strings.Contains(d.Error(), `"echo other"`) {
			t.Errorf("divergence: %v", err)
		}
		// So does one that leaves a journal entry unused.
		err = exec("x = 1", kernel.Cell{Mode: kernel.Replay, Journal: journal[:1]}, rec)
		if !errors.As(err, &d) {
			t.Errorf("unused entry: %v", err)
		}
	})
	t.Run("start journaled before the command runs", func(t *testing.T) {
		marker := filepath.Join(dir, "started")
		host := &startHost{marker: marker}
		if err := exec("!touch "+marker+"\nprint('after')", kernel.Cell{}, host); err != nil {
			t.Fatal(err)
		}
		if len(host.starts) != 1 || host.starts[0] != "shell touch "+marker+" (marker absent)" {
			t.Errorf("starts %q, want one start of the command, seen before it ran", host.starts)
		}
		if e := host.Effects(); len(e) != 1 || e[0].Result["exit"] != 0 {
			t.Errorf("the end was not journaled after the start: %+v", e)
		}
		// A start that cannot be journaled keeps the command from running.
		os.Remove(marker)
		host = &startHost{marker: marker, fail: errors.New("disk full")}
		err := exec("!touch "+marker+"\nprint('not reached')", kernel.Cell{}, host)
		if err == nil || !strings.Contains(err.Error(), "disk full") || strings.Contains(host.Stream("stdout"), "not reached") {
			t.Errorf("err = %v, stdout %q: want the cell failed by the start's error", err, host.Stream("stdout"))
		}
		if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the command ran although its start was not journaled: %v", err)
		}
	})
	t.Run("getpass", func(t *testing.T) {
		rec := &kerneltest.Recorder{Secrets: map[string]string{"db_pw": "hunter2", "token": "t0k"}}
		src := "from getpass import getpass\ndb_pw = getpass('Password: ')\ntoken = getpass()\n!echo {db_pw} {token} > /dev/null\nprint(len(db_pw), len(token))"
		if err := exec(src, kernel.Cell{}, rec); err != nil {
			t.Fatalf("%v %+v", err, rec.Outputs())
		}
		if got := rec.Stream("stdout"); got != "7 3\n" {
			t.Errorf("stdout %q", got)
		}
		var names, cmds []string
		for _, e := range rec.Effects() {
			switch e.Op {
			case "secret":
				names = append(names, e.Args["name"].(string))
			case "shell":
				cmds = append(cmds, e.Args["command"].(string))
			}
		}
		if strings.Join(names, ",") != "db_pw,token" || strings.Join(cmds, ",") != "echo ******** ******** > /dev/null" {
			t.Errorf("secrets %q, commands %q", names, cmds)
		}
		// A secret that is not there fails the cell, naming it.
		err := exec("pw = getpass()", kernel.Cell{}, &kerneltest.Recorder{})
		if err == nil || !strings.Contains(err.Error(), "pw") {
			t.Errorf("missing secret: %v", err)
		}
	})
	t.Run("input refused", func(t *testing.T) {
		rec := &kerneltest.Recorder{}
		err := exec("answer = input('Your name? ')", kernel.Cell{}, rec)
		var ce *kernel.CellError
		if !errors.As(err, &ce) || ce.EName != "StdinError" || !strings.Contains(ce.EValue, `"Your name? "`) || !strings.Contains(ce.EValue, "cell ") {
			t.Fatalf("err = %v", err)
		}
		mustRun(t, "print('still usable')")
	})
}

// startHost is a Recorder that journals starts too (kernel.EffectStarter),
// noting whether the command had already made its marker.
type startHost struct {
	kerneltest.Recorder
	marker string
	fail   error
	starts []string
}

func (h *startHost) EffectStarted(e kernel.Effect) error {
	seen := "marker absent"
	if _, err := os.Stat(h.marker); err == nil {
		seen = "marker present"
	}
	cmd, _ := e.Args["command"].(string)
	h.starts = append(h.starts, e.Op+" "+cmd+" ("+seen+")")
	return h.fail
}

func pyString(s string) string { return "'" + strings.ReplaceAll(s, "'", "\\'") + "'" }

// TestKernelDeath kills the kernel process during a cell: the cell ends with
// an error wrapping kernel.ErrDead that carries the kernel's stderr, and no
// kernel process is left.
func TestKernelDeath(t *testing.T) {
	k := startKernel(t, Options{})
	pid := k.PID()
	rec := &kerneltest.Recorder{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// ipykernel forwards what reaches its fd 2 to ocs's pipe from a thread:
	// give it time before the kill.
	src := "import os, sys, signal, time\nprint('last words', file=sys.__stderr__, flush=True)\ntime.sleep(0.5)\nos.kill(os.getpid(), signal.SIGKILL)"
	err := k.Execute(ctx, kernel.Cell{Index: 3, Source: src}, rec)
	if !errors.Is(err, kernel.ErrDead) || !strings.Contains(err.Error(), "last words") || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("err = %v, want ErrDead with the kernel's stderr", err)
	}
	if out, ok := rec.Find(kernel.Error); !ok || out.EName != "KernelDied" {
		t.Errorf("outputs %+v", rec.Outputs())
	}
	if err := k.Execute(ctx, kernel.Cell{Source: "1"}, rec); !errors.Is(err, kernel.ErrDead) {
		t.Errorf("after death: %v", err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kernel %d still exists: %v", pid, err)
	}
}
