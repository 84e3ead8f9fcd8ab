package jupyter

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ocs/kernel"
	"ocs/kernel/kerneltest"
)

// recordingStep is a SetupStep that keeps what each kernel process printed
// for it and adds a variable to the cells' shell environment.
type recordingStep struct {
	mu    sync.Mutex
	seen  []string
	fails error
}

func (s *recordingStep) Code() string {
	return "import os as _os\nprint('step ran in', _os.getpid())\n_ocs_step_mark = 'set'\ndel _os\n"
}

func (s *recordingStep) Done(stdout string, env []string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, stdout)
	if s.fails != nil {
		return nil, s.fails
	}
	return append(env, fmt.Sprintf("OCS_STEP_RUNS=%d", len(s.seen))), nil
}

func (s *recordingStep) runs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

// cancelOnOutput is a host that cancels the cell at its first output.
type cancelOnOutput struct {
	kerneltest.Recorder
	cancel context.CancelFunc
}

func (h *cancelOnOutput) Output(o kernel.Output) {
	h.Recorder.Output(o)
	h.cancel()
}

// TestSetUp: the set-up code (shell semantics, steps, Setup) runs in each
// kernel process, a restarted one included; each step gets its own output
// and sets the cells' shell environment; a headless IPython kernel writes
// no history into the profile; language_info is the kernel's; Close leaves
// no process.
func TestSetUp(t *testing.T) {
	ipythonDir := t.TempDir()
	step := &recordingStep{}
	k := startKernel(t, Options{
		Env:   append(os.Environ(), "IPYTHONDIR="+ipythonDir, "PYTHONPATH=/nowhere/theirs"),
		Steps: []SetupStep{step},
		Setup: []string{"print('setup ran')\n_ocs_setup_mark = 'set'\n"},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first := k.PID()
	if runs := step.runs(); len(runs) != 1 || runs[0] != fmt.Sprintf("step ran in %d\n", first) {
		t.Fatalf("step outputs %q, want one of its own from process %d", runs, first)
	}
	check := func(wantRuns string) {
		t.Helper()
		rec := &kerneltest.Recorder{}
		if err := k.Execute(ctx, kernel.Cell{Source: "print(_ocs_step_mark, _ocs_setup_mark)\n!printenv OCS_STEP_RUNS"}, rec); err != nil {
			t.Fatalf("cell: %v (%+v)", err, rec.Outputs())
		}
		if got := rec.Stream("stdout"); got != "set set\n"+wantRuns+"\n" {
			t.Errorf("stdout %q, want the set-up's names and OCS_STEP_RUNS=%s", got, wantRuns)
		}
	}
	check("1")
	// The kernel started without its debugger and IPython's completer
	// without jedi; a cell's import of either finds the real one, and the
	// path is the user's again.
	rec := &kerneltest.Recorder{}
	src := "import ipykernel.debugger, IPython.core.completer as c, os, sys\n" +
		"print(ipykernel.debugger._is_debugpy_available, c.JEDI_INSTALLED, os.environ['PYTHONPATH'], [p for p in sys.path if 'headless' in p])\n" +
		"import debugpy, jedi\nprint(debugpy.__file__.startswith('/usr/'), jedi.__file__.startswith('/usr/'))"
	if err := k.Execute(ctx, kernel.Cell{Source: src}, rec); err != nil {
		t.Fatalf("headless cell: %v (%+v)", err, rec.Outputs())
	}
	if got := rec.Stream("stdout"); got != "False False /nowhere/theirs []\nTrue True\n" {
		t.Errorf("headless cell: stdout %q, want no debugger and no jedi at start, the user's PYTHONPATH, the real debugpy and jedi", got)
	}
	if li := k.LanguageInfo(); li["name"] != "python" || li["pygments_lexer"] != "ipython3" || li["version"] == nil {
		t.Errorf("language_info = %v", li)
	}

	// A cell that ignores the interrupt gets its kernel killed; the next
	// cell runs in a new process, set up again.
	ictx, icancel := context.WithCancel(ctx)
	defer icancel()
	deaf := &cancelOnOutput{cancel: icancel}
	err := k.Execute(ictx, kernel.Cell{Source: "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nprint('deaf', flush=True)\ntime.sleep(20)"}, deaf)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("ignored interrupt: %v", err)
	}
	check("2")
	second := k.PID()
	if runs := step.runs(); second == first || len(runs) != 2 || runs[1] != fmt.Sprintf("step ran in %d\n", second) {
		t.Errorf("after the restart: processes %d then %d, step outputs %q", first, second, runs)
	}

	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range []int{first, second} {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("kernel %d still exists after Close: %v", pid, err)
		}
	}
	if _, err := os.Stat(filepath.Join(ipythonDir, "profile_default", "history.sqlite")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the kernel wrote an IPython history into the profile: %v", err)
	}
}

// TestSetUpFailure: a failing snippet fails the start naming its place
// among the set-up code; a step's refusal is its own error, not ErrDead.
func TestSetUpFailure(t *testing.T) {
	kerneltest.NeedKernel(t)
	spec, err := Find("python3")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	refused := errors.New("the kernel's answer is not acceptable")
	for _, tc := range []struct {
		name  string
		opts  Options
		check func(error) bool
	}{
		{"syntax error in Setup", Options{Steps: []SetupStep{&recordingStep{}}, Setup: []string{"x = (", "print(1)"}},
			func(err error) bool {
				return errors.Is(err, kernel.ErrDead) && strings.Contains(err.Error(), "set-up code 3: SyntaxError")
			}},
		{"step refuses", Options{Steps: []SetupStep{&recordingStep{fails: refused}}},
			func(err error) bool { return errors.Is(err, refused) && !errors.Is(err, kernel.ErrDead) }},
	} {
		tc.opts.Spec, tc.opts.RuntimeDir, tc.opts.CacheDir = spec, t.TempDir(), t.TempDir()
		k, err := New(ctx, tc.opts)
		if err == nil {
			k.Close()
		}
		if err == nil || !tc.check(err) {
			t.Errorf("%s: New = %v", tc.name, err)
		}
	}
}
