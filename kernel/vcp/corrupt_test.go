package vcp

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// One corrupt group file does not block the state directory: the other
// groups are listed, made and removed; removing the corrupt group ends its
// node process and moves its files to quarantine.
func TestCorruptGroupIsIsolatedAndQuarantined(t *testing.T) {
	s := newTestSDK(t, nil)
	m := s.m
	ctx := context.Background()
	for _, g := range []string{"ga", "gb"} {
		if _, err := m.CreateGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
		if _, err := m.CreateUnit(ctx, UnitRequest{Group: g, Unit: "u", Provider: "local", Flavor: "small", Spec: SpecRecord{NumNodes: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	gb, _ := m.Store.Group(ctx, "gb")
	bad := gb.Units[0].Nodes[0]
	file := m.Store.groupFile("gb")
	data, _ := os.ReadFile(file)
	corrupt := data[:len(data)-40] // truncated: the node's address is still in it
	if err := os.WriteFile(file, corrupt, 0o600); err != nil {
		t.Fatal(err)
	}

	views, err := m.List(ctx)
	if err != nil || len(views) != 2 || views[0].Name != "ga" || views[0].Corrupt != "" || views[1].Name != "gb" || !strings.Contains(views[1].Corrupt, file) {
		t.Fatalf("List = %+v, %v; want ga and gb reported corrupt", views, err)
	}
	tab, err := m.GroupsTable(ctx)
	if err != nil || len(tab.Rows) != 2 || tab.Rows[1][2] != "gb" || tab.Rows[1][3] != StateCorrupt {
		t.Fatalf("GroupsTable = %v, %v; want gb as CORRUPT", tab, err)
	}
	// A new group beside it is made, and does not take the corrupt group's
	// address (read from what is left of its file).
	if _, err := m.CreateGroup(ctx, "gc"); err != nil {
		t.Fatal(err)
	}
	u, err := m.CreateUnit(ctx, UnitRequest{Group: "gc", Unit: "u", Provider: "local", Flavor: "small", Spec: SpecRecord{NumNodes: 1}})
	if err != nil || u.Nodes[0].Address == bad.Address {
		t.Fatalf("CreateUnit beside a corrupt group: %+v, %v (corrupt group's node at %s)", u, err, bad.Address)
	}
	if err := m.RemoveGroup(ctx, "ga"); err != nil {
		t.Fatalf("remove beside a corrupt group: %v", err)
	}

	if !processOf(bad.PID, m.Store.NodeDir("gb", bad.ID)) {
		t.Fatal("the corrupt group's node is not running before rm")
	}
	r, err := m.Remove(ctx, "gb")
	if err != nil {
		t.Fatal(err)
	}
	if r.Stopped != 1 || processOf(bad.PID, filepath.Join(r.Quarantined, "nodes", bad.ID)) || processOf(bad.PID, m.Store.NodeDir("gb", bad.ID)) {
		t.Fatalf("Remove = %+v; the node process %d must be stopped", r, bad.PID)
	}
	if !strings.HasPrefix(r.Quarantined, filepath.Join(m.Store.Dir, "quarantine", "gb-")) {
		t.Fatalf("quarantined in %q", r.Quarantined)
	}
	if b, err := os.ReadFile(filepath.Join(r.Quarantined, "ugroup.json")); err != nil || string(b) != string(corrupt) {
		t.Fatalf("quarantined state file: %v (changed: %v)", err, string(b) != string(corrupt))
	}
	if _, err := os.Stat(m.Store.GroupDir("gb")); !os.IsNotExist(err) {
		t.Fatalf("group directory still there: %v", err)
	}
	// The name is free again.
	if _, err := m.CreateGroup(ctx, "gb"); err != nil {
		t.Fatal(err)
	}
}
