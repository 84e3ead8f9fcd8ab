package pyvcp

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ocs/kernel/effects"
	"ocs/kernel/vcp"
)

// The test binary plays the ocs binary for node processes.
func TestMain(m *testing.M) {
	if os.Getenv("OCS_PYVCP_TEST_ROLE") == "node" {
		dir := ""
		for i, a := range os.Args {
			if a == "--dir" && i+1 < len(os.Args) {
				dir = os.Args[i+1]
			}
		}
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		if err := vcp.RunNode(ctx, dir, os.NewFile(3, "ready")); err != nil {
			fmt.Fprintln(os.Stderr, "node:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// journal is a live effects gateway that records each operation.
type journal struct {
	mu   sync.Mutex
	ops  []string
	args []string // JSON of each operation's arguments
}

func (j *journal) Do(ctx context.Context, op string, args map[string]any, live func(context.Context) (map[string]any, error)) (map[string]any, error) {
	j.mu.Lock()
	j.ops = append(j.ops, op)
	b, _ := json.Marshal(args)
	j.args = append(j.args, string(b))
	j.mu.Unlock()
	return live(ctx)
}

// newTestService returns a Service on a fresh state directory whose nodes
// are this test binary, with a recording gateway installed as the cell's;
// every node left at the end is removed.
func newTestService(t testing.TB, providers vcp.ProviderMap) (*Service, *journal) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "state")
	s := New(Options{StateDir: state, Providers: providers, Version: "test",
		NodeCommand: &vcp.NodeCommand{Path: exe, Env: []string{"OCS_PYVCP_TEST_ROLE=node"}}})
	j := &journal{}
	uninstall := effects.Install(context.Background(), j)
	t.Cleanup(func() {
		uninstall()
		m, err := vcp.NewManager(state)
		if err != nil {
			t.Error(err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		names, _ := m.Store.GroupNames()
		for _, n := range names {
			if err := m.RemoveGroup(ctx, n); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
	return s, j
}

func serve(t testing.TB, s *Service, out *strings.Builder, args map[string]any) map[string]any {
	t.Helper()
	res, err := s.Serve(context.Background(), args, out)
	if err != nil {
		t.Fatalf("%v: %v", args["method"], err)
	}
	return res
}

func TestServeErrors(t *testing.T) {
	s, _ := newTestService(t, nil)
	for _, tc := range []struct {
		args       map[string]any
		name, want string
	}{
		{map[string]any{"method": "find_ugroups"}, "NotImplementedError", `"find_ugroups" is not implemented`},
		{map[string]any{"method": "get_spec", "provider": "aws", "flavor": "small"}, "", "--provider aws=local"},
		{map[string]any{"method": "df_flavors", "provider": "nimbus"}, "", `provider "nimbus" is not available`},
		{map[string]any{"method": "get_vpn_catalog", "provider": "nimbus"}, "", `provider "nimbus" is not available`},
		{map[string]any{"method": "create_ugroup", "name": "disks", "ugroup_type": "storage"}, "NotImplementedError", "not available in ocs"},
		{map[string]any{"method": "get_spec", "provider": 3}, "", "bad arguments"},
	} {
		_, err := s.Serve(context.Background(), tc.args, nil)
		e, ok := err.(*Error)
		if !ok || e.Name != tc.name || !strings.Contains(e.Msg, tc.want) {
			t.Errorf("%v: %#v; want %s %q", tc.args, err, tc.name, tc.want)
		}
	}
	var out strings.Builder
	if res := serve(t, s, &out, map[string]any{"method": "get_ugroup", "name": "none"}); res["ugroup"] != nil {
		t.Errorf("get_ugroup of an unknown group = %v", res)
	}
	v := serve(t, s, &out, map[string]any{"method": "version"})["yaml"].(string)
	if !strings.Contains(v, "vc_controller:\n  vc_controller: 25.04.0+ocs\n") {
		t.Errorf("version yaml:\n%s", v)
	}
}

// A unit asked on aws runs on local at the template's own address, the
// SDK's operations are journaled, and boot progress streams as log lines.
func TestServeUnitLifecycle(t *testing.T) {
	s, j := newTestService(t, vcp.ProviderMap{"aws": "local"})
	var out strings.Builder
	cat := serve(t, s, &out, map[string]any{"method": "get_vpn_catalog", "provider": "aws"})["catalog"].(map[string]any)
	if cat["private_network_ipmask"] != "127.0.0.0/8" || cat["runs_on"] != "local" {
		t.Errorf("vpn catalog = %v", cat)
	}
	sp := serve(t, s, &out, map[string]any{"method": "get_spec", "provider": "aws", "flavor": "small"})["spec"].(map[string]any)
	if sp["runs_on"] != "local" || sp["attrs"].(map[string]string)["instance_type"] != "m4.large" {
		t.Errorf("spec = %v", sp)
	}
	ug := serve(t, s, &out, map[string]any{"method": "create_ugroup", "name": "tut"})["ugroup"]
	res := serve(t, s, &out, map[string]any{"method": "create_unit", "ugroup": ug, "name": "srv",
		"spec": map[string]any{"provider": "aws", "flavor": "small", "ip_addresses": []any{"127.42.77.1"}}})
	unit := res["unit"].(*vcp.Unit)
	if unit.Provider != "local" || unit.AskedProvider != "aws" {
		t.Errorf("unit = %+v", unit)
	}
	if !strings.Contains(out.String(), " - vcpsdk - INFO - BOOTING ... 0 sec (srv: 1 nodes)") {
		t.Errorf("progress lines:\n%s", out.String())
	}
	addrs := serve(t, s, &out, map[string]any{"method": "find_ip_addresses", "ugroup": ug, "node_state": "RUNNING"})["addresses"]
	if fmt.Sprint(addrs) != "[127.42.77.1]" {
		t.Errorf("find_ip_addresses = %v", addrs)
	}
	added := serve(t, s, &out, map[string]any{"method": "add_nodes", "unit": unit, "count": 2})["nodes"].([]*vcp.Node)
	if len(added) != 2 || added[0].State != "RUNNING" {
		t.Fatalf("add_nodes = %+v", added)
	}
	gone := serve(t, s, &out, map[string]any{"method": "delete_nodes", "unit": unit, "ip_addresses": []any{added[0].CloudInstanceAddress}})["nodes"].([]*vcp.Node)
	if len(gone) != 1 || gone[0].No != added[0].No {
		t.Errorf("delete_nodes = %+v", gone)
	}
	off := serve(t, s, &out, map[string]any{"method": "power_off_nodes", "unit": unit, "node_nos": []any{1}})["nodes"].([]*vcp.Node)
	if len(off) != 1 || off[0].State != "POWER_OFF" {
		t.Errorf("power_off_nodes = %+v", off)
	}
	on := serve(t, s, &out, map[string]any{"method": "power_on_nodes", "unit": unit})["nodes"].([]*vcp.Node)
	if len(on) != 2 {
		t.Errorf("power_on_nodes = %+v", on)
	}
	tab := serve(t, s, &out, map[string]any{"method": "df_nodes", "ugroup": ug})
	cols := strings.Join(tab["columns"].([]string), ",")
	if !strings.HasPrefix(cols, "vcno,vcname,unit_name,unit_state,node_no,node_id,node_state,cloud_instance_address,cloud_instance_id,cloud_instance_name") {
		t.Errorf("df_nodes columns = %s", cols)
	}
	if rows := tab["rows"].([][]string); len(rows) != 2 || rows[0][6] != "RUNNING" || rows[0][7] != "127.42.77.1" {
		t.Errorf("df_nodes rows = %v", rows)
	}
	serve(t, s, &out, map[string]any{"method": "cleanup", "ugroup": ug})
	if res := serve(t, s, &out, map[string]any{"method": "get_ugroup", "name": "tut"}); res["ugroup"] != nil {
		t.Errorf("after cleanup get_ugroup = %v", res)
	}
	want := "vcp.get_spec vcp.create_ugroup vcp.create_unit vcp.find_nodes vcp.add_nodes vcp.delete_nodes vcp.power_off_nodes vcp.power_on_nodes vcp.df_nodes vcp.cleanup vcp.get_ugroup"
	if got := strings.Join(j.ops, " "); got != want {
		t.Errorf("journaled ops:\n got %s\nwant %s", got, want)
	}
}
