package pybridge

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"ocs/kernel/kerneltest"
)

// The handlers the tests register, once for the process (Handle is
// process-wide, as it is in ocs).
var (
	cancelled atomic.Int32
	started   = make(chan struct{}, 1)
)

func init() {
	Handle("test.echo", func(ctx context.Context, c *Call) (map[string]any, error) {
		return map[string]any{"args": c.Args}, nil
	})
	Handle("test.stream", func(ctx context.Context, c *Call) (map[string]any, error) {
		text, _ := c.Args["text"].(string)
		// Byte by byte: every character arrives whole all the same.
		for i := 0; i < len(text); i++ {
			if _, err := c.Stdout.Write([]byte{text[i]}); err != nil {
				return nil, err
			}
		}
		if c.Args["err"] == true {
			fmt.Fprint(c.Stderr, "to stderr")
		}
		return map[string]any{"done": true}, nil
	})
	Handle("test.fail", func(ctx context.Context, c *Call) (map[string]any, error) {
		if c.Args["typed"] == true {
			return nil, fmt.Errorf("wrapped: %w", &Error{EName: "VCPError", EValue: "no such unit group"})
		}
		return nil, errors.New("plain failure")
	})
	Handle("test.panic", func(ctx context.Context, c *Call) (map[string]any, error) {
		panic("handler bug")
	})
	Handle("test.block", func(ctx context.Context, c *Call) (map[string]any, error) {
		started <- struct{}{}
		select {
		case <-ctx.Done():
			cancelled.Add(1)
			return nil, ctx.Err()
		case <-time.After(90 * time.Second):
			return nil, errors.New("never cancelled")
		}
	})
}

// python runs script with the bridge module importable and the socket
// named, and returns its combined output.
func python(t *testing.T, s *Server, script string) (string, error) {
	t.Helper()
	py := kerneltest.NeedTool(t, "python3")
	dirs, err := InstallPython(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", script)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+dirs["ocs"], EnvSocket+"="+s.Path())
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func listen(t *testing.T) *Server {
	t.Helper()
	s, err := Listen(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestCalls(t *testing.T) {
	s := listen(t)
	end := s.Begin(context.Background())
	defer end()
	tests := []struct {
		name, script, want string
	}{
		{"result", `import ocs_bridge; print(ocs_bridge.call("test.echo", {"n": 3, "s": "日本"})["args"])`, "{'n': 3, 's': '日本'}"},
		{"stream order", `import ocs_bridge, sys; print("before"); sys.stdout.flush(); r = ocs_bridge.call("test.stream", {"text": "hé 日本\n"}); print("after", r["done"])`, "before\nhé 日本\nafter True"},
		{"collected stream", `import io, ocs_bridge; o, e = io.StringIO(), io.StringIO(); ocs_bridge.call("test.stream", {"text": "x", "err": True}, stdout=o, stderr=e); print(repr(o.getvalue()), repr(e.getvalue()))`, "'x' 'to stderr'"},
		{"typed error", `import ocs_bridge
try:
    ocs_bridge.call("test.fail", {"typed": True})
except ocs_bridge.BridgeError as e:
    print(e.ename, "|", e.evalue, "|", e)`, "VCPError | no such unit group | VCPError: no such unit group"},
		{"plain error", `import ocs_bridge
try:
    ocs_bridge.call("test.fail")
except ocs_bridge.BridgeError as e:
    print(e)`, "OcsError: plain failure"},
		{"unknown op", `import ocs_bridge
try:
    ocs_bridge.call("nope")
except ocs_bridge.BridgeError as e:
    print(e)`, `OcsError: ocs does not serve "nope"`},
		{"handler panic", `import ocs_bridge
try:
    ocs_bridge.call("test.panic")
except ocs_bridge.BridgeError as e:
    print(e)
print(ocs_bridge.call("test.echo", {"again": 1})["args"])`, "OcsError: internal error serving \"test.panic\": handler bug\n{'again': 1}"},
		{"many calls on one connection", `import ocs_bridge; print(sum(ocs_bridge.call("test.echo", {"i": i})["args"]["i"] for i in range(200)))`, "19900"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := python(t, s, tc.script)
			if err != nil {
				t.Fatalf("python: %v\n%s", err, out)
			}
			if got := strings.TrimSpace(out); !strings.Contains(got, tc.want) {
				t.Errorf("output:\n%s\nwant it to hold:\n%s", got, tc.want)
			}
		})
	}
}

func TestNoCellAndNoBridge(t *testing.T) {
	s := listen(t)
	out, err := python(t, s, `import ocs_bridge
try:
    ocs_bridge.call("test.echo")
except ocs_bridge.BridgeError as e:
    print(e)`)
	if err != nil || !strings.Contains(out, "OcsError: no cell is running") {
		t.Errorf("outside a cell: %v\n%s", err, out)
	}
	out, err = python(t, s, `import os, ocs_bridge
os.environ.pop("OCS_BRIDGE")
print(ocs_bridge.available())
try:
    ocs_bridge.call("test.echo")
except ocs_bridge.BridgeError as e:
    print(e.ename)`)
	if err != nil || !strings.Contains(out, "False\nNoBridge") {
		t.Errorf("without the variable: %v\n%s", err, out)
	}
}

// A KeyboardInterrupt in the caller (what interrupting a kernel raises)
// closes its connection; the call in ocs is cancelled, and the next call
// works on a new connection.
func TestCallerInterruptCancelsCall(t *testing.T) {
	s := listen(t)
	end := s.Begin(context.Background())
	defer end()
	before := cancelled.Load()
	out, err := python(t, s, `import ocs_bridge, os, signal, threading, time
threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
try:
    ocs_bridge.call("test.block")
except KeyboardInterrupt:
    print("interrupted")
print(ocs_bridge.call("test.echo", {"after": True})["args"])`)
	if err != nil || !strings.Contains(out, "interrupted\n{'after': True}") {
		t.Fatalf("python: %v\n%s", err, out)
	}
	<-started
	deadline := time.Now().Add(5 * time.Second)
	for cancelled.Load() == before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if cancelled.Load() == before {
		t.Error("the handler's context was not cancelled when the caller went away")
	}
}

// Ending the cell's window cancels a call a thread of the cell left running.
func TestEndCancelsRunningCall(t *testing.T) {
	s := listen(t)
	end := s.Begin(context.Background())
	before := cancelled.Load()
	done := make(chan string, 1)
	go func() {
		out, _ := python(t, s, `import ocs_bridge
try:
    ocs_bridge.call("test.block")
except ocs_bridge.BridgeError as e:
    print(e)`)
		done <- out
	}()
	select {
	case <-started:
	case <-time.After(60 * time.Second): // a loaded machine starts Python slowly
		t.Fatal("the call did not start")
	}
	end()
	select {
	case out := <-done:
		if !strings.Contains(out, "context canceled") {
			t.Errorf("caller saw %q", out)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the call outlived its cell")
	}
	if cancelled.Load() == before {
		t.Error("handler not cancelled")
	}
}

func TestSocketIsPrivateAndRemoved(t *testing.T) {
	s, err := Listen(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{filepath.Dir(s.Path()): 0o700, s.Path(): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", path, got, want)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(s.Path())); !os.IsNotExist(err) {
		t.Errorf("bridge folder left after Close: %v", err)
	}
}

func TestLongSocketPathIsRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 100))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(dir); err == nil || !strings.Contains(err.Error(), "TMPDIR") {
		t.Errorf("err = %v, want the socket path refused with a hint", err)
	}
}

func TestInstallPython(t *testing.T) {
	AddPython("testgroup", fstest.MapFS{"pkg/__init__.py": {Data: []byte("X = 1\n")}, "mod.py": {Data: []byte("Y = 2\n")}})
	cache := t.TempDir()
	dirs, err := InstallPython(cache)
	if err != nil {
		t.Fatal(err)
	}
	dir := dirs["testgroup"]
	if !strings.HasPrefix(dir, filepath.Join(cache, "python", "testgroup-")) {
		t.Fatalf("group folder %q", dir)
	}
	if _, err := os.Stat(filepath.Join(dirs["ocs"], "ocs_bridge.py")); err != nil {
		t.Errorf("the bridge module is not installed: %v", err)
	}
	// A cached file someone edited is put back.
	edited := filepath.Join(dir, "pkg", "__init__.py")
	if err := os.WriteFile(edited, []byte("X = 'evil'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := InstallPython(cache)
	if err != nil {
		t.Fatal(err)
	}
	if again["testgroup"] != dir {
		t.Errorf("same content, new folder %q (was %q)", again["testgroup"], dir)
	}
	if data, _ := os.ReadFile(edited); string(data) != "X = 1\n" {
		t.Errorf("edited cache file not restored: %q", data)
	}
	entries, _ := os.ReadDir(filepath.Join(cache, "python"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("temporary folder %s left behind", e.Name())
		}
	}
}

func TestIncompleteTail(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0}, {"abc", 0}, {"é", 0}, {"\xc3", 1}, {"a\xe6\x97", 2}, {"\xf0\x9f\x98", 3}, {"日本", 0}, {"\x80\x80\x80\x80", 0},
	}
	for _, tc := range tests {
		if got := incompleteTail([]byte(tc.in)); got != tc.want {
			t.Errorf("incompleteTail(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
