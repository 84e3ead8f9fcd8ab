package jupyter

import (
	"embed"
	"encoding/json"
	"io/fs"
	"os"
	"strings"
	"sync"

	"ocs/kernel/pybridge"
)

// headlessGroup is the pybridge group of the stand-in packages that keep an
// IPython kernel from loading what only a frontend uses while it starts:
// debugpy (ipykernel's debugger) and jedi (IPython's completer).
const headlessGroup = "jupyter-headless"

//go:embed all:headless
var headlessPython embed.FS

var headlessOnce sync.Once

func registerHeadless() {
	headlessOnce.Do(func() {
		sub, err := fs.Sub(headlessPython, "headless")
		if err != nil {
			panic(err) // the embedded folder is part of the build
		}
		pybridge.AddPython(headlessGroup, sub)
	})
}

// isIPyKernel says whether the kernelspec starts ipykernel (`python -m
// ipykernel_launcher`, or `-m ipykernel`).
func isIPyKernel(spec *Spec) bool {
	for i, a := range spec.Argv {
		if a == "-m" && i+1 < len(spec.Argv) && (spec.Argv[i+1] == "ipykernel_launcher" || spec.Argv[i+1] == "ipykernel") {
			return true
		}
	}
	return false
}

// headlessArgs are what ocs adds to an IPython kernel's command line: no
// history database. A headless run's cells are in its record; IPython's
// history of them would be written into the user's profile
// (~/.ipython/profile_default/history.sqlite, with an fsync at start and
// at exit) for no one. In and Out, _i and %history of the running session
// keep working, in memory.
func headlessArgs(spec *Spec) []string {
	if isIPyKernel(spec) {
		return []string{"--HistoryManager.hist_file=:memory:"}
	}
	return nil
}

// headless is how an ipykernel starts without its debugger and IPython's
// completer without jedi: stub is put first on PYTHONPATH for the start
// (ipykernel treats the ImportError of debugpy as "no debugger", IPython
// that of jedi as "complete without jedi"), and restore is set-up code that
// takes it off sys.path, forgets the stand-ins and gives PYTHONPATH its own
// value back.
type headless struct {
	stub    string
	restore string
}

// newHeadless returns the headless start of a kernel whose environment
// (its PYTHONPATH) is env, or nil for a kernel that is not an ipykernel.
func newHeadless(spec *Spec, env []string, dirs map[string]string) *headless {
	if !isIPyKernel(spec) {
		return nil
	}
	stub := dirs[headlessGroup]
	path, had := "", false
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PYTHONPATH="); ok {
			path, had = v, true
		}
	}
	if v, ok := spec.Env["PYTHONPATH"]; ok {
		path, had = v, true
	}
	stubJSON, _ := json.Marshal(stub)
	restore := "del os.environ['PYTHONPATH']"
	if had {
		value, _ := json.Marshal(path)
		restore = "os.environ['PYTHONPATH'] = " + string(value)
	}
	return &headless{stub: stub, restore: "def _ocs_headless():\n" +
		"    import os, sys\n" +
		"    while " + string(stubJSON) + " in sys.path:\n" +
		"        sys.path.remove(" + string(stubJSON) + ")\n" +
		"    for name in ('debugpy', 'jedi'):\n" +
		"        sys.modules.pop(name, None)\n" +
		"    " + restore + "\n" +
		"_ocs_headless()\n" +
		"del _ocs_headless\n"}
}

// pythonPath is the kernel process's PYTHONPATH: the stub first.
func (h *headless) pythonPath(env []string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PYTHONPATH="); ok && v != "" {
			return h.stub + string(os.PathListSeparator) + v
		}
	}
	return h.stub
}
