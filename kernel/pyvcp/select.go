package pyvcp

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

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

// Select decides which SDK serves a kernel: choice is --vcp ("ocs",
// "native", or "" for the default: native when the kernel's Python can
// import a vcpsdk that is not ocs's, ocs otherwise). python is the kernel's
// interpreter (its kernelspec's argv[0]), env its environment, dir the
// folder ocs installed its modules in (pybridge.InstallPython's group
// PythonGroup).
func Select(ctx context.Context, choice, python string, env []string, dir string) (Selection, error) {
	switch choice {
	case ServeOcs:
		return Selection{Served: ServeOcs, PythonPath: dir}, nil
	case "", ServeNative:
	default:
		return Selection{}, fmt.Errorf("--vcp %q: want %q or %q", choice, ServeOcs, ServeNative)
	}
	native, err := findNative(ctx, python, env)
	if err != nil && choice == ServeNative {
		return Selection{}, err
	}
	if native != "" {
		return Selection{Served: ServeNative, Native: native}, nil
	}
	if choice == ServeNative {
		return Selection{}, fmt.Errorf("--vcp native: the kernel's Python (%s) cannot import vcpsdk, so there is no VCP SDK of the environment to serve; install it there (an OCS environment has it), or run with --vcp ocs", python)
	}
	return Selection{Served: ServeOcs, PythonPath: dir}, nil
}

// probe prints where the kernel's Python finds vcpsdk without importing it
// (an SDK's import may reach its controller), and whether it is ocs's.
const probe = `import importlib.util as u
s = u.find_spec("vcpsdk")
o = (s.origin or (list(s.submodule_search_locations or [""])[0])) if s else ""
ocs = False
if o and o.endswith(".py"):
    try:
        ocs = "__ocs__ = True" in open(o, encoding="utf-8", errors="replace").read()
    except OSError:
        pass
print("ocs" if ocs else "other", o)
`

// findNative returns where the kernel's Python imports a vcpsdk from that
// is not ocs's, or "".
func findNative(ctx context.Context, python string, env []string) (string, error) {
	if python == "" || !strings.HasPrefix(filepath.Base(python), "python") {
		return "", fmt.Errorf("cannot tell whether the kernel has its own vcpsdk: its interpreter %q is not a python", python)
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-c", probe)
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("ask the kernel's Python (%s) for its vcpsdk: %w", python, err)
	}
	kind, where, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	if kind == "other" && where != "" {
		return where, nil
	}
	return "", nil
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
