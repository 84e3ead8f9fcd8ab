package jupyter

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"ocs/kernel"
	"ocs/kernel/cellenv"
	"ocs/kernel/effects"
	"ocs/kernel/pybridge"
)

// PythonGroup is the pybridge group of this package's Python module
// (ocs_ipython: OCS shell semantics).
const PythonGroup = "jupyter"

//go:embed python
var ownPython embed.FS

var registerOnce sync.Once

// register adds the shell handler and the Python module, once per process.
func register() {
	registerOnce.Do(func() {
		sub, err := fs.Sub(ownPython, "python")
		if err != nil {
			panic(err) // the embedded folder is part of the build
		}
		pybridge.AddPython(PythonGroup, sub)
		pybridge.Handle("shell", serveShell)
	})
}

// setupCode installs OCS shell semantics in the kernel: the module path,
// then `!` and `x = !cmd` through the bridge. It runs in a function so that
// the user's namespace gets none of its names.
func setupCode(sysPath []string) string {
	paths, _ := json.Marshal(sysPath)
	return "def _ocs_setup():\n" +
		"    import sys\n" +
		"    for p in reversed(" + string(paths) + "):\n" +
		"        if p not in sys.path:\n" +
		"            sys.path.insert(0, p)\n" +
		"    import ocs_ipython\n" +
		"    ocs_ipython.install(get_ipython())\n" +
		"    ocs_ipython.quicken(get_ipython())\n" +
		// ipykernel sends what was printed every 200 ms: a cell printing
		// fast sends messages of megabytes, which ocs holds whole while
		// it reads them (docs/python-templates.md).
		"    for s in (sys.stdout, sys.stderr):\n" +
		"        if hasattr(s, 'flush_interval'):\n" +
		"            s.flush_interval = 0.05\n" +
		"_ocs_setup()\n" +
		"del _ocs_setup\n"
}

// cellConfig is what the shell handler needs from the kernel whose cell is
// running; it travels in the bridge window's context.
type cellConfig struct {
	env   []string
	shell string // by absolute path, found once per kernel
	masks *masks
}

type cellConfigKey struct{}

// serveShell runs one `!` line or capture of a Python cell, through the
// cell's journal: Live runs it in the ocs process (the cells' environment,
// the shell by absolute path, cwd the kernel's) and streams its output to
// the cell; Replay answers it from the journal without running it.
func serveShell(ctx context.Context, call *pybridge.Call) (map[string]any, error) {
	cc, ok := ctx.Value(cellConfigKey{}).(*cellConfig)
	_, gw, running := effects.Current()
	if !ok || !running {
		return nil, effects.ErrNoCell
	}
	command, _ := call.Args["command"].(string)
	cwd, _ := call.Args["cwd"].(string)
	capture, _ := call.Args["capture"].(bool)
	args := map[string]any{"command": command}
	if capture {
		args["capture"] = true
	}
	res, err := gw.Do(ctx, "shell", args, func(ctx context.Context) (map[string]any, error) {
		c := cellenv.Command{Shell: cc.shell, Line: command, Dir: cwd, Env: cc.env, Stdout: call.Stdout, Stderr: call.Stderr}
		var out strings.Builder
		if capture {
			// As IPython's getoutput: stderr is captured with stdout.
			c.Stdout, c.Stderr = &out, &out
		}
		status, err := cellenv.Run(ctx, c)
		if err != nil {
			return nil, err
		}
		r := map[string]any{"exit": status}
		if capture {
			lines := []string{}
			if text := strings.TrimSuffix(out.String(), "\n"); text != "" {
				lines = strings.Split(text, "\n")
			}
			r["lines"] = lines
		}
		return r, nil
	})
	var d *kernel.DivergenceError
	switch {
	case errors.As(err, &d):
		return nil, &pybridge.Error{EName: "DivergenceError", EValue: d.Error()}
	case err != nil:
		return nil, fmt.Errorf("command %q: %s", cc.masks.mask(command), cc.masks.mask(err.Error()))
	}
	return res, nil
}

// masked replaces secret values in what the journal keeps.
const masked = "********"

// masks are the secret values of one cell run: the runner's, and the ones
// the cell's getpass calls were answered with.
type masks struct {
	mu     sync.Mutex
	values []string
}

func newMasks(values []string) *masks {
	m := &masks{}
	m.add(values...)
	return m
}

// add keeps values longest first, so that a secret holding another is
// masked whole.
func (m *masks) add(values ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range values {
		if v != "" && !slices.Contains(m.values, v) {
			m.values = append(m.values, v)
		}
	}
	slices.SortFunc(m.values, func(a, b string) int { return len(b) - len(a) })
}

func (m *masks) mask(s string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range m.values {
		s = strings.ReplaceAll(s, v, masked)
	}
	return s
}

// syncHost lets the execute loop and the bridge's handlers report to one
// kernel.Host one call at a time.
type syncHost struct {
	mu sync.Mutex
	h  kernel.Host
}

func (s *syncHost) Output(o kernel.Output) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h.Output(o)
}

func (s *syncHost) Effect(e kernel.Effect) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h.Effect(e)
}

// EffectStarted passes an effect's start to the host; the host is a
// kernel.EffectStarter (Execute sets the journal's OnStart only then).
func (s *syncHost) EffectStarted(e kernel.Effect) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.h.(kernel.EffectStarter).EffectStarted(e)
}

func (s *syncHost) Secret(name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.h.Secret(name)
}
