package main

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"ocs/kernel/kerneltest"
	"ocs/kernel/pyvcp"
	"ocs/kernel/vcp"
)

func TestVcpFlagsPythonKernel(t *testing.T) {
	py := kerneltest.NeedTool(t, "/usr/bin/python3")
	t.Setenv(vcp.EnvProviderMap, "")
	t.Setenv("PYTHONPATH", "/theirs")
	f := &vcpFlags{providers: "aws=local"}
	if err := f.setup(); err != nil {
		t.Fatal(err)
	}
	if got := os.Getenv(vcp.EnvProviderMap); got != "aws=local" {
		t.Errorf("%s = %q; Go workers would not see the mapping", vcp.EnvProviderMap, got)
	}
	dir := t.TempDir()
	env, sel, err := f.pythonKernel(context.Background(), py, nil, dir)
	if err != nil || sel.Served != pyvcp.ServeOcs {
		t.Fatalf("pythonKernel = %v, %+v, %v", env, sel, err)
	}
	if !slices.Contains(env, "PYTHONPATH="+dir+":/theirs") || !slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "PATH=") }) {
		t.Errorf("kernel environment = %v", env)
	}
	f = &vcpFlags{sdk: "native"}
	if err := f.setup(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.pythonKernel(context.Background(), py, []string{"PATH=/usr/bin"}, dir); err == nil || !strings.Contains(err.Error(), "cannot import vcpsdk") {
		t.Errorf("--vcp native without an SDK: %v", err)
	}
	for _, bad := range []vcpFlags{{providers: "aws=ec2"}, {sdk: "cloud"}} {
		if err := bad.setup(); err == nil {
			t.Errorf("setup(%+v) accepted", bad)
		}
	}
}
