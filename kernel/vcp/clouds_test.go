package vcp

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseProviderMap(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "", want: ""},
		{in: "local", want: "local"},
		{in: "aws=local, azure=onpremises", want: "aws=local,azure=onpremises"},
		{in: "aws=local,local", want: "aws=local,local"},
		{in: "aws=ec2", err: `provider "ec2" is not available`},
		{in: "nimbus=local", err: `unknown provider "nimbus"`},
		{in: "aws=local,aws=onpremises", err: "mapped twice"},
		{in: "aws=", err: `provider "" is not available`},
	} {
		m, err := ParseProviderMap(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseProviderMap(%q) = %v, %v; want error %q", tc.in, m, err, tc.err)
			}
			continue
		}
		if err != nil || m.String() != tc.want {
			t.Errorf("ParseProviderMap(%q) = %q, %v; want %q", tc.in, m.String(), err, tc.want)
		}
	}
}

func FuzzParseProviderMap(f *testing.F) {
	for _, s := range []string{"local", "aws=local,azure=onpremises", "=,", "aws=local,aws=local"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseProviderMap(s)
		if err != nil {
			return
		}
		// What parses maps only to providers of this build, and its
		// printed form parses to the same mapping.
		for _, to := range m {
			if _, err := LookupProvider(to); err != nil {
				t.Fatalf("ParseProviderMap(%q) maps to %q: %v", s, to, err)
			}
		}
		again, err := ParseProviderMap(m.String())
		if err != nil || again.String() != m.String() {
			t.Fatalf("round trip of %q: %q, %v", m.String(), again.String(), err)
		}
	})
}

func TestProviderMapResolve(t *testing.T) {
	m := ProviderMap{"aws": "local", "*": "onpremises"}
	for asked, want := range map[string]string{"aws": "local", "azure": "onpremises", "onpremises": "onpremises"} {
		got, mapped := m.Resolve(asked)
		if got != want || mapped != (asked != want) {
			t.Errorf("Resolve(%q) = %q, %v; want %q", asked, got, mapped, want)
		}
	}
	if got, mapped := ProviderMap(nil).Resolve("aws"); got != "aws" || mapped {
		t.Errorf("nil map: Resolve(aws) = %q, %v", got, mapped)
	}
}

func TestFlavorAttrs(t *testing.T) {
	a, ok := FlavorAttrs("aws", "small")
	if !ok || a["instance_type"] != "m4.large" || a["volume_size"] != "8" {
		t.Errorf("FlavorAttrs(aws, small) = %v, %v", a, ok)
	}
	if _, ok := FlavorAttrs("aws", "huge"); ok {
		t.Error("FlavorAttrs(aws, huge) found a flavor")
	}
	if a, ok := FlavorAttrs("onpremises", "default"); !ok || len(a) != 0 {
		t.Errorf("FlavorAttrs(onpremises, default) = %v, %v", a, ok)
	}
	if _, err := FlavorTable("nimbus"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("FlavorTable(nimbus) = %v", err)
	}
}

// A template asks for aws with its own loopback address; mapped to local,
// the unit runs there, the records say both, and the node accepts the
// login name "vcp".
func TestMappedProviderWithAddress(t *testing.T) {
	s := newTestSDK(t, nil)
	if _, err := s.GetSpec("aws", "gpu"); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "--provider aws=local") {
		t.Fatalf("unmapped GetSpec(aws) = %v; want the unavailable error with the hint", err)
	}
	s.providers = ProviderMap{"aws": "local"}
	if _, err := s.GetSpec("aws", "tiny"); err == nil || !strings.Contains(err.Error(), "small, medium, large, gpu") {
		t.Fatalf("GetSpec(aws, tiny) = %v", err)
	}
	spec, err := s.GetSpec("aws", "gpu")
	if err != nil {
		t.Fatal(err)
	}
	ug, err := s.CreateUGroup("mapped")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"172.30.2.100", "127.0.0.1", "::1"} {
		spec.IPAddresses = []string{bad}
		if _, err := ug.CreateUnit("bad", spec); err == nil || !strings.Contains(err.Error(), "127.x.y.z") {
			t.Errorf("CreateUnit with address %q: %v; want the loopback hint", bad, err)
		}
	}
	spec.IPAddresses = []string{"127.42.200.7"}
	unit, err := ug.CreateUnit("web", spec)
	if err != nil {
		t.Fatal(err)
	}
	if unit.Provider != "local" || unit.AskedProvider != "aws" || unit.Flavor != "gpu" {
		t.Errorf("unit = %+v; want provider local asked aws, flavor gpu", unit)
	}
	spec.IPAddresses = []string{"127.42.200.7"}
	if _, err := ug.CreateUnit("twin", spec); err == nil || !strings.Contains(err.Error(), "already used") {
		t.Errorf("a second node on the same address: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	gs, err := s.m.List(ctx)
	if err != nil || len(gs) != 1 || len(gs[0].Nodes) != 1 {
		t.Fatalf("List = %+v, %v", gs, err)
	}
	n := gs[0].Nodes[0]
	if n.Address != "127.42.200.7" || n.Provider != "local" || n.AskedProvider != "aws" {
		t.Errorf("listed node = %+v", n)
	}
	tab, err := ug.DFNodes()
	if err != nil || tab.Column("provider")[0] != "aws->local" {
		t.Errorf("DFNodes provider = %v, %v", tab.Column("provider"), err)
	}
	ts, err := unit.Targets()
	if err != nil {
		t.Fatal(err)
	}
	ts[0].User = "vcp"
	if out, err := Output(ctx, ts[0], "echo $HOME"); err != nil || !strings.Contains(out, "/home") {
		t.Errorf("login as vcp: %q, %v", out, err)
	}
	ts[0].User = "nobody-here"
	if _, err := Output(ctx, ts[0], "true"); err == nil {
		t.Error("login as an unknown user succeeded")
	}
}
