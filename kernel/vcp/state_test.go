package vcp

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCorruptStateIsReportedNotOverwritten(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ name, content string }{
		{"garbage", "{not json"},
		{"truncated", `{"version":1,"name":"g","units":[`},
		{"wrong name", `{"version":1,"name":"other","id":"x","created":"2026-01-01T00:00:00Z","units":[]}`},
		{"future version", `{"version":99,"name":"g"}`},
		{"unknown field", `{"version":1,"name":"g","surprise":true}`},
		{"bad node", `{"version":1,"name":"g","units":[{"name":"u","next_no":1,"nodes":[{"no":5,"id":"a"}]}]}`},
		{"null unit", `{"version":1,"name":"g","units":[null]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := OpenStore(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			os.MkdirAll(st.GroupDir("g"), 0o700)
			path := st.groupFile("g")
			os.WriteFile(path, []byte(tc.content), 0o600)
			_, err = st.Group(ctx, "g")
			var ce *CorruptStateError
			if !errors.As(err, &ce) || ce.Path != path || !strings.Contains(err.Error(), path) {
				t.Fatalf("Group = %v; want a CorruptStateError naming %s", err, path)
			}
			m := &Manager{Store: st}
			if _, err := m.CreateGroup(ctx, "g"); !errors.As(err, &ce) {
				t.Fatalf("CreateGroup over a corrupt group = %v", err)
			}
			if _, err := m.CreateGroup(ctx, "h"); !errors.As(err, &ce) {
				t.Fatalf("CreateGroup beside a corrupt group = %v (allocation needs every group)", err)
			}
			if b, _ := os.ReadFile(path); string(b) != tc.content {
				t.Fatal("corrupt state file was overwritten")
			}
		})
	}
}

func TestStateRoundTrip(t *testing.T) {
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	g := &GroupRecord{Name: "g", ID: "abc", Created: time.Now().UTC().Truncate(time.Second), Units: []*UnitRecord{{
		Name: "u", Provider: "local", NextNo: 3, Spec: SpecRecord{ParamsE: []string{"A=1"}},
		Nodes: []*NodeRecord{{No: 1, ID: "n1", Address: "127.42.0.1", Port: 22, State: StateRunning}, {No: 2, ID: "n2", Address: "127.42.0.2", State: StateBooting}},
	}}}
	if err := st.writeGroup(g); err != nil {
		t.Fatal(err)
	}
	got, err := st.Group(context.Background(), "g")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(g)
	b, _ := json.Marshal(got)
	if string(a) != string(b) {
		t.Fatalf("round trip:\n%s\n%s", a, b)
	}
	if fi, _ := os.Stat(st.groupFile("g")); fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v", fi.Mode())
	}
}

// Managers on one state directory (as separate processes would be) never
// hand out the same address.
func TestConcurrentAllocation(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := OpenStore(dir)
			if err != nil {
				errs <- err
				return
			}
			m := &Manager{Store: st}
			name := string(rune('a' + i))
			if _, err := m.CreateGroup(context.Background(), name); err != nil {
				errs <- err
				return
			}
			// Plan only: record 5 nodes without booting them.
			_, err = st.update(context.Background(), name, func(g *GroupRecord, all []*GroupRecord) (*GroupRecord, error) {
				u := &UnitRecord{Name: "u", Provider: "local", NextNo: 1}
				g.Units = append(g.Units, u)
				_, err := m.plan(localProvider{}, g, u, all, 5, &SpecRecord{})
				return g, err
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st, _ := OpenStore(dir)
	gs, err := st.Groups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, g := range gs {
		for _, n := range g.Units[0].Nodes {
			if seen[n.Address] {
				t.Fatalf("address %s handed out twice", n.Address)
			}
			seen[n.Address] = true
		}
	}
	if len(seen) != 20 {
		t.Fatalf("%d addresses, want 20", len(seen))
	}
}

func FuzzParseGroup(f *testing.F) {
	f.Add([]byte(`{"version":1,"name":"g","id":"x","created":"2026-01-01T00:00:00Z","units":[{"name":"u","provider":"local","next_no":2,"nodes":[{"no":1,"id":"ab","address":"127.42.0.1","port":22,"user":"me","state":"RUNNING"}]}]}`))
	f.Add([]byte(`{"version":1,"name":"g"}`))
	f.Add([]byte(`{`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := parseGroup(data)
		if err != nil {
			return
		}
		out, err := json.Marshal(g)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parseGroup(out); err != nil {
			t.Fatalf("re-parse of a valid group failed: %v\n%s", err, out)
		}
	})
}

func TestCheckName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"moodle", true}, {"ug_1.a-b", true}, {"", false}, {"-x", false}, {"a/b", false},
		{"..", false}, {"a b", false}, {strings.Repeat("a", 63), true}, {strings.Repeat("a", 64), false},
	} {
		if err := checkName("unit", tc.name); (err == nil) != tc.ok {
			t.Errorf("checkName(%q) = %v", tc.name, err)
		}
	}
}

func TestTable(t *testing.T) {
	tab := &Table{Columns: []string{"a", "long_name"}, Rows: [][]string{{"xyz", "1"}, {"<b>", ""}}}
	want := "a    long_name\n---  ---------\nxyz  1\n<b>\n"
	if got := tab.String(); got != want {
		t.Errorf("String() =\n%q\nwant\n%q", got, want)
	}
	h := tab.HTML()
	if !strings.Contains(h, "<td>&lt;b&gt;</td>") || !strings.Contains(h, "<th>long_name</th>") {
		t.Errorf("HTML() = %s", h)
	}
	if got := tab.Column("a"); strings.Join(got, ",") != "xyz,<b>" {
		t.Errorf("Column = %v", got)
	}
}

func TestLockIsExclusiveAndBounded(t *testing.T) {
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := st.lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	old := lockWait
	lockWait = 100 * time.Millisecond
	defer func() { lockWait = old }()
	if _, err := st.Group(context.Background(), "g"); err == nil || !strings.Contains(err.Error(), "stayed locked") {
		t.Fatalf("second lock holder: %v", err)
	}
	unlock()
	if _, err := st.Group(context.Background(), "g"); err != nil {
		t.Fatal(err)
	}
}
