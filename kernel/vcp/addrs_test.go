package vcp

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Two state directories on one host never hand out the same address: the
// claims live in the runtime directory, not in either state directory.
func TestAddressesUniqueAcrossStateDirs(t *testing.T) {
	t.Setenv("OCS_RUNTIME_DIR", filepath.Join(t.TempDir(), "run"))
	ctx := context.Background()
	var addrs []string
	var managers []*Manager
	for i := range 2 {
		st, err := OpenStore(filepath.Join(t.TempDir(), fmt.Sprint("state", i)))
		if err != nil {
			t.Fatal(err)
		}
		m := &Manager{Store: st}
		managers = append(managers, m)
		if _, err := m.CreateGroup(ctx, "g"); err != nil {
			t.Fatal(err)
		}
		_, err = st.update(ctx, "g", func(g *GroupRecord, all []*GroupRecord) (*GroupRecord, error) {
			u := &UnitRecord{Name: "u", Provider: "local", NextNo: 1}
			g.Units = append(g.Units, u)
			ns, err := m.plan(localProvider{}, g, u, all, 2, &SpecRecord{})
			for _, n := range ns {
				addrs = append(addrs, n.Address)
			}
			return g, err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, a := range addrs {
		if seen[a] {
			t.Fatalf("address %s handed out to both state directories: %v", a, addrs)
		}
		seen[a] = true
	}
	fi, err := os.Stat(os.Getenv("OCS_RUNTIME_DIR"))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("runtime directory: %v %v", fi, err)
	}

	// Deleting a node releases its address at once.
	g, _ := managers[0].Store.Group(ctx, "g")
	first := g.Units[0].Nodes[0]
	if err := managers[0].deleteRecorded(ctx, "g", g.Units[0], []*NodeRecord{first}); err != nil {
		t.Fatal(err)
	}
	if c := claimsNow(t)[first.Address]; c != nil {
		t.Fatalf("address %s still claimed after its node was deleted: %+v", first.Address, c)
	}

	// A state directory removed by hand gives its addresses back once the
	// grace of a new claim has passed.
	old := claimGrace
	claimGrace = 0
	defer func() { claimGrace = old }()
	if err := os.RemoveAll(managers[1].Store.Dir); err != nil {
		t.Fatal(err)
	}
	claims := claimsNow(t)
	for _, c := range claims {
		if c.StateDir == managers[1].Store.Dir {
			t.Fatalf("claim of a removed state directory kept: %+v", c)
		}
	}
	if len(claims) != 1 {
		t.Fatalf("claims left: %v, want the one node of the first state dir", claims)
	}
}

func claimsNow(t *testing.T) map[string]*addressClaim {
	t.Helper()
	b, err := openAddressBook()
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]*addressClaim
	if err := b.change(func(c map[string]*addressClaim) bool { out = c; return false }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRuntimeDirRefusesOpenOrForeignDirs(t *testing.T) {
	base := t.TempDir()
	open := filepath.Join(base, "open")
	os.Mkdir(open, 0o755)
	os.Chmod(open, 0o755)
	link := filepath.Join(base, "link")
	priv := filepath.Join(base, "priv")
	os.Mkdir(priv, 0o700)
	os.Symlink(priv, link)
	for _, tc := range []struct {
		dir string
		ok  bool
	}{{open, false}, {link, false}, {priv, true}, {filepath.Join(base, "new"), true}} {
		t.Setenv("OCS_RUNTIME_DIR", tc.dir)
		_, err := RuntimeDir()
		if (err == nil) != tc.ok {
			t.Errorf("RuntimeDir(%s) = %v, want ok=%v", tc.dir, err, tc.ok)
		}
	}
}

// Powering on a node whose port someone else took says who holds it.
func TestPowerOnPortTakenBySomeoneElse(t *testing.T) {
	s := newTestSDK(t, nil)
	ug, err := s.CreateUGroup("taken")
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := s.GetSpec("local", "small")
	unit, err := ug.CreateUnit("u", spec)
	if err != nil {
		t.Fatal(err)
	}
	ns, _ := unit.FindNodes()
	if _, err := unit.PowerOffNodes(); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ns[0].CloudInstanceAddress, fmt.Sprint(ns[0].Port)))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = unit.PowerOnNodes()
	want := fmt.Sprintf("port %d is taken by pid %d", ns[0].Port, os.Getpid())
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("power on with the port taken: %v; want it to say %q", err, want)
	}
}
