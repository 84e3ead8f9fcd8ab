package main

import (
	"os"
	"testing"

	"ocs/kernel/vcp"
)

func TestVcpFlagsSetup(t *testing.T) {
	t.Setenv(vcp.EnvProviderMap, "")
	f := &vcpFlags{providers: "aws=local"}
	if err := f.setup(); err != nil {
		t.Fatal(err)
	}
	if got := os.Getenv(vcp.EnvProviderMap); got != "aws=local" {
		t.Errorf("%s = %q; Go workers would not see the mapping", vcp.EnvProviderMap, got)
	}
	if _, err := (&vcpFlags{sdk: "cloud"}).selector(t.TempDir()); err == nil {
		t.Error("selector accepted --vcp cloud")
	}
	for _, bad := range []vcpFlags{{providers: "aws=ec2"}, {sdk: "cloud"}} {
		if err := bad.setup(); err == nil {
			t.Errorf("setup(%+v) accepted", bad)
		}
	}
}
