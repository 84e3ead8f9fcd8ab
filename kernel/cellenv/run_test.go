package cellenv

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// chunks is a writer that keeps what it got, write by write.
type chunks struct {
	mu     sync.Mutex
	writes []string
	fail   error
}

func (c *chunks) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return 0, c.fail
	}
	c.writes = append(c.writes, string(p))
	return len(p), nil
}

func (c *chunks) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.writes, "")
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, line       string
		status           int
		stdout, stderr   string
		shared, combined string // with one writer for both streams
	}{
		{name: "ok", line: "echo out; echo err >&2", stdout: "out\n", stderr: "err\n"},
		{name: "exit status", line: "echo before; exit 3", status: 3, stdout: "before\n"},
		{name: "signal", line: "kill -TERM $$", status: 128 + int(syscall.SIGTERM)},
		{name: "cwd and env", line: "pwd; echo $CELLENV_TEST", stdout: dir + "\n" + "here\n"},
		{name: "order kept on one writer", line: "echo a; echo b >&2; echo c", shared: "a\nb\nc\n"},
		{name: "no output", line: "true"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut chunks
			c := Command{Line: tc.line, Dir: dir, Env: []string{"CELLENV_TEST=here", "PATH=" + defaultPath}, Stdout: &out, Stderr: &errOut}
			if tc.shared != "" {
				c.Stderr = &out
			}
			status, err := Run(context.Background(), c)
			if err != nil || status != tc.status {
				t.Fatalf("Run = %d, %v; want %d", status, err, tc.status)
			}
			if tc.shared != "" {
				if got := out.String(); got != tc.shared {
					t.Errorf("output %q, want %q", got, tc.shared)
				}
				return
			}
			if out.String() != tc.stdout || errOut.String() != tc.stderr {
				t.Errorf("stdout %q stderr %q, want %q %q", out.String(), errOut.String(), tc.stdout, tc.stderr)
			}
		})
	}
}

// Output arrives as the command writes it, not when it ends.
func TestRunStreams(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "go-on")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	out := &chunks{}
	done := make(chan error, 1)
	go func() {
		_, err := Run(context.Background(), Command{Line: "echo first; read x < " + fifo + "; echo second", Stdout: out})
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for out.String() != "first\n" {
		if time.Now().After(deadline) {
			t.Fatalf("no output while the command runs: %q", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := os.WriteFile(fifo, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil || out.String() != "first\nsecond\n" {
		t.Fatalf("Run: %v, output %q", err, out.String())
	}
}

// Cancelling the context kills the whole group (a pipeline member too)
// at once, and Run says the context ended.
func TestRunCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var group int
	ended := make(chan int, 1)
	c := Command{Line: "sleep 60.0431 | cat; echo never", Stdout: &chunks{},
		Started: func(pid int) { group = pid; time.AfterFunc(100*time.Millisecond, cancel) },
		Ended:   func(pid int) { ended <- pid }}
	start := time.Now()
	status, err := Run(ctx, c)
	if !errors.Is(err, context.Canceled) || status != 0 {
		t.Fatalf("Run = %d, %v; want context.Canceled", status, err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v to stop", took)
	}
	if pid := <-ended; pid != group {
		t.Errorf("Ended(%d), Started(%d)", pid, group)
	}
	requireGroupGone(t, group)
	if _, err := Run(ctx, Command{Line: "echo not run"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Run on an ended context: %v", err)
	}
}

// A background job that keeps the output open holds the command for a
// second at most; what it writes within that second is kept, and the
// group is killed afterwards.
func TestRunBackgroundHolder(t *testing.T) {
	out := &chunks{}
	var group int
	start := time.Now()
	status, err := Run(context.Background(), Command{Line: "(sleep 0.2; echo late; sleep 60.0433) & echo now", Stdout: out,
		Started: func(pid int) { group = pid }})
	if err != nil || status != 0 {
		t.Fatalf("Run = %d, %v", status, err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the background job held the command %v", took)
	}
	if got := out.String(); got != "now\nlate\n" {
		t.Errorf("output %q, want the background job's line kept", got)
	}
	requireGroupGone(t, group)
}

// A writer that fails closes the command's output: a command that goes on
// writing dies of SIGPIPE rather than hang on a full pipe.
func TestRunWriterFails(t *testing.T) {
	out := &chunks{fail: errors.New("caller gone")}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	status, err := Run(ctx, Command{Line: "while :; do echo more; done", Stdout: out})
	if err != nil || status != 128+int(syscall.SIGPIPE) {
		t.Fatalf("Run = %d, %v; want the command killed by SIGPIPE", status, err)
	}
}

func requireGroupGone(t *testing.T, pgid int) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if len(groupMembers(pgid)) == 0 {
			return
		}
		time.Sleep(30 * time.Millisecond)
	}
	t.Fatalf("process group %d outlived Run: %v", pgid, groupMembers(pgid))
}

// groupMembers returns the processes of group pgid that still run (a
// zombie waiting for init to reap it runs nothing).
func groupMembers(pgid int) []string {
	var left []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(data)
		f := strings.Fields(s[strings.LastIndex(s, ")")+1:])
		if len(f) > 2 && f[0] != "Z" && f[2] == strconv.Itoa(pgid) {
			left = append(left, e.Name())
		}
	}
	return left
}

// BenchmarkRunTrue is one `!true` as the kernels run it: bash, its own
// process group, output streamed to writers. ocs-cpu-µs/op is this
// process's own CPU time per command (the shell's is not in it): on a
// loaded machine the wall time is mostly waiting for a CPU.
func BenchmarkRunTrue(b *testing.B) {
	env := append(os.Environ(), "CELLENV_BENCH="+strconv.Itoa(os.Getpid()))
	before := selfCPU()
	for b.Loop() {
		var out, errOut chunks
		if status, err := Run(context.Background(), Command{Line: "true", Env: env, Stdout: &out, Stderr: &errOut}); err != nil || status != 0 {
			b.Fatal(status, err)
		}
	}
	b.ReportMetric(float64(selfCPU()-before)/float64(b.N)/float64(time.Microsecond), "ocs-cpu-µs/op")
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
