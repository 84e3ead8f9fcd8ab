package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"ocs/catalog"
	"ocs/kernel"
	"ocs/kernel/gokernel"
	"ocs/kernel/gokernel/standby"
	"ocs/kernel/jupyter"
	"ocs/kernel/pybridge"
	"ocs/kernel/pyvcp"
	"ocs/notebook"
	"ocs/runner"
)

// kernelFlags choose and bound the Jupyter kernel of a Python notebook.
type kernelFlags struct {
	name         string
	startTimeout time.Duration
}

func addKernelFlags(fl *pflag.FlagSet, f *kernelFlags) {
	fl.StringVar(&f.name, "kernel", "", "run the cells in the Jupyter kernel `NAME` instead of the one the notebook names")
	durationVar(fl, &f.startTimeout, "start-timeout", jupyter.DefaultStartTimeout, "give up when a Jupyter kernel has not started within `DURATION` (90s, or seconds)")
}

// startKernel starts the kernel the notebook is written for: ocs's own Go
// kernel for Go notebooks, the Jupyter kernel its kernelspec names (or
// --kernel) for any other. dir is the cells' working directory, env the
// environment of the kernel and of the cells' commands.
func startKernel(ctx context.Context, nb *notebook.Notebook, f *runFlags, dir string, env []string) (kernel.Kernel, error) {
	name := f.kernel.name
	if name == "" {
		if runner.IsGo(nb) {
			return gokernel.Start(ctx, gokernel.Options{Dir: dir, Env: env})
		}
		name = runner.KernelName(nb)
		if name == "" {
			return nil, inputError{fmt.Errorf("the notebook is written in %q but names no kernel (metadata.kernelspec.name): choose one with --kernel NAME", runner.Language(nb))}
		}
	}
	if name == gokernel.Spec.Name {
		return gokernel.Start(ctx, gokernel.Options{Dir: dir, Env: env})
	}
	// A Jupyter kernel runs the cells: the Go worker waiting for them is
	// not needed, nor the core it may still be using.
	standby.Discard()
	spec, err := jupyter.Find(name)
	var missing *jupyter.NotInstalledError
	if errors.As(err, &missing) {
		return nil, inputError{hinted{err: err, hint: "install Debian's Python kernel: " + jupyter.InstallHint + " (or choose an installed one with --kernel NAME)"}}
	}
	if err != nil {
		return nil, inputError{err}
	}
	paths, err := catalog.DefaultPaths()
	if err != nil {
		return nil, err
	}
	opts := jupyter.Options{Spec: spec, Dir: dir, Env: env, StartTimeout: f.kernel.startTimeout, CacheDir: paths.CacheDir}
	if spec.Language == "python" {
		// The VCP SDK: ocs's own modules on the module path, or the
		// environment's SDK; the first cell journals which serves.
		dirs, err := pybridge.InstallPython(paths.CacheDir)
		if err != nil {
			return nil, err
		}
		sel, err := f.vcp.selector(dirs[pyvcp.PythonGroup])
		if err != nil {
			return nil, err
		}
		opts.Steps = []jupyter.SetupStep{sel}
		opts.FirstCell = func() error { return f.vcp.announce(sel.Selection()) }
	}
	k, err := jupyter.New(ctx, opts)
	var noNative *pyvcp.NoNativeError
	if errors.As(err, &noNative) {
		return nil, usageError{err}
	}
	return k, err
}
