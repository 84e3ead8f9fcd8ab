package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"ocs/kernel/pyvcp"
	"ocs/kernel/vcp"
)

// vcpFlags are run's flags for the VCP SDK of templates.
type vcpFlags struct {
	providers string
	sdk       string
	mapping   vcp.ProviderMap // the parsed --provider, after setup
}

const vcpFlagsHelp = `VCP SDK: templates name clouds (get_spec('aws', 'small')); this build
has the local and onpremises providers. --provider local runs every unit
on local nodes whatever cloud it names; --provider aws=local,azure=onpremises
maps chosen ones. The record, df_* tables and ocs vcp ls show both the
provider asked for and the one that ran. Python notebooks import ocs's own
vcpsdk (--vcp ocs) unless the kernel's Python has a VCP SDK of its own,
which then serves (--vcp native; a real OCS environment).`

func addVcpFlags(fl *pflag.FlagSet, f *vcpFlags) {
	fl.StringVar(&f.providers, "provider", "", "run units of the providers templates name on this build's: `MAP` like local, or aws=local,azure=onpremises")
	fl.StringVar(&f.sdk, "vcp", "", "VCP SDK of Python notebooks: `WHICH` is ocs (ocs's own) or native (the kernel environment's); default native when the kernel has one")
}

// setup checks the flags and makes them hold for every kernel of the run:
// the provider mapping reaches Go cells' worker processes through the
// environment, and Python cells' SDK calls through the bridge's handler.
func (f *vcpFlags) setup() error {
	if f.sdk != "" && f.sdk != pyvcp.ServeOcs && f.sdk != pyvcp.ServeNative {
		return usageError{fmt.Errorf("--vcp %q: want %s or %s", f.sdk, pyvcp.ServeOcs, pyvcp.ServeNative)}
	}
	spec := f.providers
	if spec == "" {
		spec = os.Getenv(vcp.EnvProviderMap)
	}
	m, err := vcp.ParseProviderMap(spec)
	if err != nil {
		return usageError{fmt.Errorf("--provider: %w", err)}
	}
	if f.providers != "" {
		os.Setenv(vcp.EnvProviderMap, m.String())
	}
	f.mapping = m
	pyvcp.Register(pyvcp.Options{Providers: m, Version: version})
	return nil
}

// selector prepares a Python kernel for the VCP SDK: the set-up step that
// asks the kernel's own Python which SDK serves (vcpsdkDir is where
// pybridge installed ocs's modules) and puts ocs's modules first on its
// module path when ocs does. Call announce in the first cell's window.
func (f *vcpFlags) selector(vcpsdkDir string) (*pyvcp.Selector, error) {
	sel, err := pyvcp.NewSelector(f.sdk, vcpsdkDir)
	if err != nil {
		return nil, usageError{err}
	}
	return sel, nil
}

// announce journals which SDK serves, in the first cell of a kernel.
func (f *vcpFlags) announce(sel pyvcp.Selection) error {
	return pyvcp.Announce(sel, f.mapping)
}
