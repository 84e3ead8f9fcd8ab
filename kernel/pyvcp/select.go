package pyvcp

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"

	"ocs/kernel/effects"
	"ocs/kernel/vcp"
)

// Which SDK serves a Python notebook's `from vcpsdk.vcpsdk import VcpSDK`.
const (
	// ServeOcs is ocs's own modules (this package): units run on ocs's
	// providers.
	ServeOcs = "ocs"
	// ServeNative is the kernel environment's own VCP SDK (a real OCS
	// environment and its VC controller): ocs leaves it in charge.
	ServeNative = "native"
)

// Selection is which SDK serves a kernel, and what the kernel needs for it.
type Selection struct {
	// Served is ServeOcs or ServeNative.
	Served string `json:"served"`
	// PythonPath is the folder to put first on the kernel's module path
	// (PYTHONPATH), "" when the environment's own SDK serves.
	PythonPath string `json:"-"`
	// Native is where the environment's own vcpsdk is ("" when there is
	// none).
	Native string `json:"native,omitempty"`
}

// Selector decides which SDK serves a kernel, by asking the kernel's own
// Python where it finds vcpsdk: a set-up step of the kernel
// (jupyter.SetupStep), run with ocs's other set-up code in one silent
// request once the kernel is up, so that the question costs no interpreter
// start of its own. ocs's modules then go first on the kernel's sys.path
// (and PYTHONPATH, for what the kernel and its cells' commands start) when
// ocs serves. The first answer holds for the kernel's restarts: a restarted
// kernel is served by the SDK its first process had.
type Selector struct {
	dir string // ocs's installed modules (pybridge group PythonGroup)

	mu     sync.Mutex
	choice string // --vcp, then what the first kernel process was served
	sel    Selection
}

// NewSelector returns the selector for choice, --vcp: "ocs", "native", or
// "" for the default (native when the kernel's Python can import a vcpsdk
// that is not ocs's, ocs otherwise). dir is the folder ocs installed its
// modules in (pybridge.InstallPython's group PythonGroup).
func NewSelector(choice, dir string) (*Selector, error) {
	switch choice {
	case "", ServeOcs, ServeNative:
	default:
		return nil, fmt.Errorf("--vcp %q: want %q or %q", choice, ServeOcs, ServeNative)
	}
	return &Selector{choice: choice, dir: dir}, nil
}

// answerPrefix starts the line in which the set-up code answers.
const answerPrefix = "ocs-vcp-sdk "

// selectCode finds where the kernel's Python imports vcpsdk from without
// importing it (an SDK's import may reach its controller) and whether it is
// ocs's, then puts ocs's modules first when ocs serves; it prints the
// answer as one JSON line. It runs in a function, leaving the user's
// namespace as it was.
const selectCode = `def _ocs_select_vcp(choice, ours):
    import importlib, importlib.util, json, os, sys
    native = ""
    if choice != "ocs":
        s = importlib.util.find_spec("vcpsdk")
        o = (s.origin or (list(s.submodule_search_locations or [""])[0])) if s else ""
        mine = False
        if o and o.endswith(".py"):
            try:
                with open(o, encoding="utf-8", errors="replace") as f:
                    mine = "__ocs__ = True" in f.read()
            except OSError:
                pass
        if o and not mine:
            native = o
    served = "native" if native else ("" if choice == "native" else "ocs")
    if served == "ocs":
        if ours in sys.path:
            sys.path.remove(ours)
        sys.path.insert(0, ours)
        old = os.environ.get("PYTHONPATH", "")
        os.environ["PYTHONPATH"] = ours + (os.pathsep + old if old else "")
        importlib.invalidate_caches()
    print(%q + json.dumps({"served": served, "native": native, "python": sys.executable}))
_ocs_select_vcp(%q, %q)
del _ocs_select_vcp
`

// Code is the Python code of the step (see selectCode).
func (s *Selector) Code() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf(selectCode, answerPrefix, s.choice, s.dir)
}

// Done reads the kernel's answer: it returns the environment of the cells'
// shell commands (ocs's modules first on PYTHONPATH when ocs serves, as in
// the kernel), or a *NoNativeError for --vcp native in a kernel whose
// Python has no VCP SDK of its own.
func (s *Selector) Done(stdout string, env []string) ([]string, error) {
	var answer struct {
		Served string `json:"served"`
		Native string `json:"native"`
		Python string `json:"python"`
	}
	found := false
	for _, line := range strings.Split(stdout, "\n") {
		if rest, ok := strings.CutPrefix(line, answerPrefix); ok {
			found = json.Unmarshal([]byte(rest), &answer) == nil
		}
	}
	if !found {
		return nil, fmt.Errorf("ask the kernel's Python for its vcpsdk: no answer in %q", stdout)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch answer.Served {
	case ServeNative:
		s.sel = Selection{Served: ServeNative, Native: answer.Native}
	case ServeOcs:
		s.sel = Selection{Served: ServeOcs, PythonPath: s.dir}
	default:
		return nil, &NoNativeError{Python: answer.Python}
	}
	s.choice = s.sel.Served
	return s.sel.Env(env), nil
}

// Selection returns which SDK serves, once the kernel answered.
func (s *Selector) Selection() Selection {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sel
}

// NoNativeError is --vcp native for a kernel whose Python cannot import a
// vcpsdk of its own.
type NoNativeError struct {
	// Python is the kernel's interpreter.
	Python string
}

func (e *NoNativeError) Error() string {
	return fmt.Sprintf("--vcp native: the kernel's Python (%s) cannot import vcpsdk, so there is no VCP SDK of the environment to serve; install it there (an OCS environment has it), or run with --vcp ocs", e.Python)
}

// Env returns env with the selection's folder first on PYTHONPATH (env
// unchanged when the environment's own SDK serves).
func (s Selection) Env(env []string) []string {
	if s.PythonPath == "" {
		return env
	}
	out := make([]string, 0, len(env)+1)
	path := s.PythonPath
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PYTHONPATH="); ok {
			if v != "" {
				path += string(os.PathListSeparator) + v
			}
			continue
		}
		out = append(out, kv)
	}
	return append(out, "PYTHONPATH="+path)
}

// Announce journals which SDK serves the kernel (and the provider
// mapping), once per kernel: call it in the first cell's window, after the
// cell's gateway is installed. The record then says which served, and a
// resumed build that would be served by another diverges instead of mixing
// the two.
func Announce(s Selection, providers vcp.ProviderMap) error {
	args := map[string]any{"served": s.Served}
	if len(providers) > 0 {
		args["providers"] = providers.String()
	}
	_, err := effects.Do("vcp.sdk", args, func(context.Context) (map[string]any, error) {
		res := map[string]any{}
		if s.Native != "" {
			res["native"] = s.Native
		}
		return res, nil
	})
	return err
}
