package vcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ocs/kernel/kerneltest"
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
			// One corrupt group does not block the state directory.
			if _, err := m.CreateGroup(ctx, "h"); err != nil {
				t.Fatalf("CreateGroup beside a corrupt group = %v", err)
			}
			gs, bad, err := st.Groups(ctx)
			if err != nil || len(gs) != 1 || gs[0].Name != "h" || len(bad) != 1 || bad[0].Group != "g" || bad[0].Path != path {
				t.Fatalf("Groups beside a corrupt group = %v, %v, %v", gs, bad, err)
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
	gs, _, err := st.Groups(context.Background())
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

// holdLock makes another process (util-linux flock) hold the state lock,
// exclusive or shared, until the test ends; it returns its pid.
func holdLock(t *testing.T, dir string, shared bool) int {
	t.Helper()
	bin := kerneltest.NeedTool(t, "flock")
	mode := "-x"
	if shared {
		mode = "-s"
	}
	path := filepath.Join(dir, "lock")
	cmd := exec.Command(bin, mode, path, "sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := 0; ; i++ { // until the holder has it: our try fails
		how := syscall.LOCK_SH
		if shared {
			how = syscall.LOCK_EX
		}
		if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
			return cmd.Process.Pid
		}
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		if i > 500 {
			t.Fatal("flock never took the lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A wait for the state lock says that it waits and for whom, and gives up
// with ErrStateLocked; reads share the lock with each other.
func TestLockWaitSaysWhoHoldsIt(t *testing.T) {
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	oldWait, oldNotice := lockWait, lockNoticeAfter
	lockWait, lockNoticeAfter = 600*time.Millisecond, 100*time.Millisecond
	defer func() { lockWait, lockNoticeAfter = oldWait, oldNotice }()

	pid := holdLock(t, st.Dir, false)
	var notices bytes.Buffer
	ctx := WithNotices(context.Background(), &notices)
	_, err = st.Group(ctx, "g")
	if !errors.Is(err, ErrStateLocked) || !strings.Contains(err.Error(), fmt.Sprintf("held by pid %d (", pid)) {
		t.Fatalf("read under another's exclusive lock: %v; want ErrStateLocked naming pid %d", err, pid)
	}
	if n := notices.String(); !strings.Contains(n, "waiting for the VCP state lock") || !strings.Contains(n, fmt.Sprintf("held by pid %d (", pid)) || !strings.Contains(n, "flock") {
		t.Fatalf("notices = %q; want a wait notice naming pid %d and its command", n, pid)
	}

	st2, _ := OpenStore(t.TempDir())
	holdLock(t, st2.Dir, true)
	notices.Reset()
	start := time.Now()
	if _, err := st2.Group(ctx, "g"); err != nil || notices.Len() != 0 {
		t.Fatalf("read beside a shared holder: %v, notices %q; want no wait", err, notices.String())
	}
	if time.Since(start) > lockNoticeAfter {
		t.Errorf("shared read waited %s", time.Since(start))
	}
	if _, err := st2.update(ctx, "g", func(g *GroupRecord, _ []*GroupRecord) (*GroupRecord, error) { return nil, nil }); !errors.Is(err, ErrStateLocked) {
		t.Fatalf("write beside a shared holder: %v; want it to wait and give up", err)
	}
}
