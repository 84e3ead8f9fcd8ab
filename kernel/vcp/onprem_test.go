package vcp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"ocs/kernel/kerneltest"
)

// The "existing servers" are node processes of another state directory,
// authorized for a key that the onpremises unit then uses.
func TestOnpremises(t *testing.T) {
	sshBin := kerneltest.NeedTool(t, "ssh")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "id_test")
	pub, err := ensureKeyFile(keyPath, "test")
	if err != nil {
		t.Fatal(err)
	}
	_ = pub

	servers := newTestSDK(t, nil)
	sg, err := servers.CreateUGroup("servers")
	if err != nil {
		t.Fatal(err)
	}
	sspec, _ := servers.GetSpec("local", "small")
	sspec.NumNodes = 3
	if err := sspec.SetSSHPubkey(keyPath + ".pub"); err != nil {
		t.Fatal(err)
	}
	if _, err := sg.CreateUnit("hosts", sspec); err != nil {
		t.Fatal(err)
	}
	sts, err := sg.Targets("")
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, st := range sts {
		addrs = append(addrs, fmt.Sprintf("%s:%d", st.Address, st.Port))
	}
	knownHosts := servers.m.Store.KnownHostsPath("servers")

	s := newTestSDK(t, nil)
	if _, err := s.GetSpec("onpremises", "small"); err == nil {
		t.Error("GetSpec onpremises small: want an unknown-flavor error")
	}
	ug, err := s.CreateUGroup("onp")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := s.GetSpec("onpremises", "default")
	if err != nil {
		t.Fatal(err)
	}
	spec.UserName = currentUser()
	spec.SSHKeyPath = keyPath

	// A host key that is not pinned is refused (no trust on first use).
	spec.IPAddresses = addrs[:1]
	spec.KnownHostsPath = filepath.Join(dir, "empty_known_hosts")
	os.WriteFile(spec.KnownHostsPath, nil, 0o600)
	u, err := ug.CreateUnit("bad", spec)
	if err == nil || !strings.Contains(err.Error(), "is not in") {
		t.Fatalf("CreateUnit with unknown host key: %v", err)
	}
	if u == nil {
		t.Fatal("a failed unit is still returned")
	}
	if ns, _ := u.FindNodes(); len(ns) != 1 || ns[0].State != StateError {
		t.Fatalf("failed node = %+v", ns)
	}
	if err := ug.DeleteUnits("bad", false); err == nil {
		t.Fatal("DeleteUnits without force on a unit with nodes: want an error")
	}
	if err := ug.DeleteUnits("bad", true); err != nil {
		t.Fatal(err)
	}

	spec.IPAddresses = addrs[:2]
	spec.KnownHostsPath = knownHosts
	unit, err := ug.CreateUnit("srv", spec)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := unit.Targets()
	if err != nil || len(ts) != 2 {
		t.Fatalf("targets %v, %v", ts, err)
	}
	if out, err := Output(ctx, ts[1], "echo on-prem"); err != nil || out != "on-prem\n" {
		t.Fatalf("Output = %q, %v", out, err)
	}
	out, err := exec.CommandContext(ctx, sshBin, "-F", ug.SSHConfig(), "onp-srv-1", "echo", "sys").CombinedOutput()
	if err != nil || string(out) != "sys\n" {
		t.Fatalf("system ssh: %v %s", err, out)
	}
	if _, err := unit.PowerOffNodes(); !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "not supported by onpremises") {
		t.Fatalf("PowerOffNodes = %v", err)
	}
	if _, err := unit.PowerOnNodes(Count(1)); err == nil {
		t.Fatal("PowerOnNodes on onpremises: want an error")
	}
	added, err := unit.AddNodes(IPAddress(addrs[2]))
	if err != nil || len(added) != 1 || added[0].State != StateRunning {
		t.Fatalf("AddNodes = %+v, %v", added, err)
	}
	if _, err := unit.DeleteNodes(IPAddress(strings.Split(addrs[0], ":")[0])); err != nil {
		t.Fatal(err)
	}
	if err := ug.Cleanup(); err != nil {
		t.Fatal(err)
	}
	// The existing servers are not ours: they still run.
	if err := FanOut(ctx, sts, "true", nil, nil); err != nil {
		t.Fatalf("servers after onpremises cleanup: %v", err)
	}
}

func TestUnavailableProviders(t *testing.T) {
	s := newTestSDK(t, nil)
	for _, p := range []string{"aws", "azure", "oracle", "sakura", "gcp"} {
		_, err := s.GetSpec(p, "small")
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "not available in this build") {
			t.Errorf("GetSpec(%q) = %v", p, err)
		}
		// The flavors of the clouds templates name are known (their
		// parameter checks call df_flavors); an unknown one is an error.
		tab, err := s.DFFlavors(p)
		if p == "gcp" {
			if !errors.Is(err, ErrUnavailable) {
				t.Errorf("DFFlavors(%q) = %v, %v; want ErrUnavailable", p, tab, err)
			}
		} else if err != nil || !slices.Contains(tab.Column("flavor"), "small") {
			t.Errorf("DFFlavors(%q) = %v, %v", p, tab, err)
		}
	}
	tab, err := s.DFFlavors("local")
	if err != nil || strings.Join(tab.Column("flavor"), ",") != "small,medium,large" {
		t.Errorf("DFFlavors(local) = %v, %v", tab, err)
	}
}
