package cellenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// needBash returns the bash the gate is for; without one the test fails
// under CI and is skipped elsewhere.
func needBash(t *testing.T) string {
	t.Helper()
	shell := Shell()
	if filepath.Base(shell) != "bash" {
		if os.Getenv("CI") != "" {
			t.Fatalf("no bash in %v", trustedShells)
		}
		t.Skipf("no bash in %v", trustedShells)
	}
	return shell
}

// waitAtGate waits (bounded) until process pid is blocked reading fd 4:
// bash started, initialised, and waits at the gate.
func waitAtGate(pid int) error {
	want := fmt.Sprintf("%d 0x4 ", syscall.SYS_READ)
	var last string
	for i := 0; i < 500; i++ {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/syscall", pid))
		if err != nil {
			return err
		}
		if last = string(data); strings.HasPrefix(last, want) {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("shell %d never waited at the gate (syscall %q)", pid, last)
}

// The line runs only once Ready returned: with bash the shell is started
// (and waits at the gate) while Ready runs; with another shell, a user's
// own BASH_ENV or bash in posix mode, Ready runs before the shell starts.
// A Ready that fails kills the shell before it ran anything of the line.
func TestRunReady(t *testing.T) {
	bash := needBash(t)
	dir := t.TempDir()
	userEnv := filepath.Join(dir, "user-env")
	if err := os.WriteFile(userEnv, []byte("echo user-env ran\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"PATH=" + defaultPath}
	cases := []struct {
		name   string
		shell  string
		env    []string
		gated  bool
		stdout string // of a line that ran, before its own output
	}{
		{name: "bash is gated", shell: bash, env: base, gated: true},
		{name: "sh starts after Ready", shell: "/bin/sh", env: base},
		{name: "a user's BASH_ENV: bash starts after Ready", shell: bash, env: append(base, "BASH_ENV="+userEnv),
			stdout: "user-env ran\n[" + userEnv + "]\n"},
		{name: "posix mode: bash starts after Ready", shell: bash, env: append(base, "POSIXLY_CORRECT=1")},
	}
	for _, tc := range cases {
		for _, fail := range []bool{false, true} {
			name := tc.name
			if fail {
				name += ", Ready fails"
			}
			t.Run(name, func(t *testing.T) {
				marker := filepath.Join(t.TempDir(), "ran")
				line := "echo ran > " + marker
				want := "ran\n"
				if tc.stdout != "" {
					line += `; echo "[$BASH_ENV]"`
					want = tc.stdout + want
				}
				line += "; cat " + marker
				var started atomic.Int32
				var order []string
				refused := errors.New("the start could not be saved")
				var out, errOut chunks
				c := Command{Shell: tc.shell, Line: line, Env: tc.env, Stdout: &out, Stderr: &errOut,
					Started: func(pid int) {
						started.Store(int32(pid))
						order = append(order, "started")
					},
					Ended: func(int) { order = append(order, "ended") },
					Ready: func() error {
						order = append(order, "ready")
						if pid := int(started.Load()); tc.gated {
							if err := waitAtGate(pid); err != nil {
								return err
							}
						}
						if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
							return fmt.Errorf("the line ran before Ready returned (%v)", err)
						}
						if fail {
							return refused
						}
						return nil
					}}
				status, err := Run(context.Background(), c)
				wantOrder := []string{"ready", "started", "ended"}
				if tc.gated {
					wantOrder = []string{"started", "ready", "ended"}
				}
				if fail && !tc.gated {
					wantOrder = []string{"ready"}
				}
				if !slices.Equal(order, wantOrder) {
					t.Errorf("calls %v, want %v", order, wantOrder)
				}
				if fail {
					if !errors.Is(err, refused) {
						t.Fatalf("Run = %d, %v; want Ready's error", status, err)
					}
					if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
						t.Errorf("the line ran after Ready failed (%v); output %q %q", err, out.String(), errOut.String())
					}
					if pid := int(started.Load()); pid != 0 {
						requireGroupGone(t, pid)
					}
					return
				}
				if err != nil || status != 0 {
					t.Fatalf("Run = %d, %v; stderr %q", status, err, errOut.String())
				}
				if out.String() != want || errOut.String() != "" {
					t.Errorf("stdout %q stderr %q, want %q and nothing", out.String(), errOut.String(), want)
				}
			})
		}
	}
}

// An interrupt while Ready runs kills the waiting shell: the line never
// runs, and Run says the context ended.
func TestRunReadyCancelled(t *testing.T) {
	bash := needBash(t)
	marker := filepath.Join(t.TempDir(), "ran")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var group int
	c := Command{Shell: bash, Line: "echo ran > " + marker, Env: []string{"PATH=" + defaultPath},
		Started: func(pid int) { group = pid },
		Ready: func() error {
			if err := waitAtGate(group); err != nil {
				return err
			}
			cancel()
			return nil
		}}
	if status, err := Run(ctx, c); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %d, %v; want context.Canceled", status, err)
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the line ran after the interrupt (%v)", err)
	}
	requireGroupGone(t, group)
}

// The gate fails closed: when its write end closes without "go" (this
// process died during Ready, say, before the kill reached the shell), the
// shell exits before the line.
func TestGateFailsClosed(t *testing.T) {
	bash := needBash(t)
	marker := filepath.Join(t.TempDir(), "ran")
	g := newGate()
	if g == nil {
		t.Fatal("no gate: /dev/fd does not work")
	}
	cmd := exec.Command(bash, "-c", "echo ran > "+marker)
	cmd.Env = []string{"PATH=" + defaultPath, gateEnv}
	cmd.ExtraFiles = []*os.File{g.script, g.wait}
	err := cmd.Start()
	g.started()
	if err != nil {
		g.release(false)
		t.Fatal(err)
	}
	if err := waitAtGate(cmd.Process.Pid); err != nil {
		t.Error(err)
	}
	g.release(false)
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("shell ended with %v, want exit status 1", err)
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the line ran through a gate that never opened (%v)", err)
	}
}

// The gate leaves no trace: each line gives the same status, stdout and
// stderr through the gate as without it.
func TestRunGateLeavesNoTrace(t *testing.T) {
	bash := needBash(t)
	dir := t.TempDir()
	env := []string{"PATH=" + defaultPath, "HOME=" + dir, "LC_ALL=C", "CELLENV_TEST=x y"}
	// Variables that differ from one shell process to the next, and the
	// two any startup file leaves (gateScript says why they are harmless).
	perProcess := `grep -Ev '^declare -[-a-zA-Z]+ (BASHPID|RANDOM|SRANDOM|SECONDS|EPOCHREALTIME|EPOCHSECONDS|BASH_ARGC|PIPESTATUS)(=|$)'`
	lines := []struct{ name, line string }{
		{"environment", "env | sort"},
		{"a command's fds", "ls /proc/self/fd"},
		{"the shell's fds", `for f in /proc/$$/fd/*; do echo "${f##*/} $(readlink $f | sed 's/[0-9]*//g')"; done`},
		{"special parameters", `echo "[$?] [$-] [$#] [$*] [$_] [$0] [$LINENO] [${BASH_SOURCE[*]}] [${FUNCNAME[*]}] [${BASH_LINENO[*]}] [${BASH_ENV-unset}]"`},
		{"$_ alone", `echo "$_"`},
		{"variables", "declare -p | " + perProcess},
		{"variables after a command", ": ; declare -p | " + perProcess},
		{"functions, traps, hash", "declare -f; trap -p; hash; type __ocs_gate"},
		{"options", "set -o; shopt"},
		{"the line as given", `echo "$BASH_EXECUTION_STRING"`},
		// bash execs a line of one command rather than fork it: the
		// command has the shell's pid.
		{"a single command is exec'd", `/bin/sh -c 'echo $$'`},
		{"stdout and stderr apart", "echo out; echo err >&2; echo out2"},
		{"exit status", "echo before; exit 3"},
		{"failing command last", "false"},
		{"failing command, then more", "false; echo after $?"},
		{"set -e", "set -e; echo a; false; echo never"},
		{"exit in a function", "f() { exit 4; }; f; echo never"},
		{"killed by TERM", "kill -TERM $$"},
		{"killed by KILL", "kill -KILL $$"},
		{"syntax error", "echo a; if"},
		{"unknown command", "no-such-command-cellenv"},
		{"reads stdin", "read x; echo [$x] $?"},
	}
	run := func(line string, gated, shared bool) (string, error) {
		var out, errOut chunks
		var pid int
		c := Command{Shell: bash, Line: line, Dir: dir, Env: env, Stdout: &out, Stderr: &errOut,
			Started: func(p int) { pid = p }}
		if shared {
			c.Stderr = &out
		}
		if gated {
			c.Ready = func() error { return waitAtGate(pid) }
		}
		status, err := Run(context.Background(), c)
		// The shell's own pid is its business; pids in the output are
		// compared as "the shell's".
		text := strings.ReplaceAll(out.String(), strconv.Itoa(pid), "PID")
		errText := strings.ReplaceAll(errOut.String(), strconv.Itoa(pid), "PID")
		return fmt.Sprintf("status %d\nstdout:\n%s\nstderr:\n%s", status, text, errText), err
	}
	for _, tc := range lines {
		t.Run(tc.name, func(t *testing.T) {
			for _, shared := range []bool{false, true} {
				plain, err := run(tc.line, false, shared)
				if err != nil {
					t.Fatal(err)
				}
				gated, err := run(tc.line, true, shared)
				if err != nil {
					t.Fatal(err)
				}
				if gated != plain {
					t.Errorf("one writer %v: through the gate:\n%s\nwithout:\n%s", shared, gated, plain)
				}
			}
		})
	}
}

// A bash that could not open /dev/fd/3 would run the line at once, before
// Ready returned: without a working /dev/fd (no /proc in the mount
// namespace) Run does not gate, and runs Ready before it starts the shell.
func TestRunReadyWithoutDevFd(t *testing.T) {
	bash := needBash(t)
	if os.Getenv("CELLENV_NO_PROC") == "1" {
		noProcHelper(bash)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunReadyWithoutDevFd$")
	cmd.Env = append(os.Environ(), "CELLENV_NO_PROC=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	out, err := cmd.CombinedOutput()
	if err != nil && strings.Contains(err.Error(), "operation not permitted") {
		t.Skipf("no mount namespace for this user: %v", err)
	}
	if err != nil || !strings.Contains(string(out), "helper ok") {
		t.Fatalf("helper: %v\n%s", err, out)
	}
}

// noProcHelper runs in a mount namespace of its own, /proc hidden under an
// empty tmpfs.
func noProcHelper(bash string) {
	fail := func(format string, args ...any) {
		fmt.Printf(format+"\n", args...)
		os.Exit(1)
	}
	if err := syscall.Mount("none", "/proc", "tmpfs", 0, ""); err != nil {
		fail("hide /proc: %v", err)
	}
	if newGate() != nil {
		fail("a gate without /dev/fd")
	}
	marker := filepath.Join(os.TempDir(), fmt.Sprintf("cellenv-noproc-%d", os.Getpid()))
	defer os.Remove(marker)
	var order []string
	var out chunks
	status, err := Run(context.Background(), Command{Shell: bash, Line: "echo ran > " + marker + "; cat " + marker,
		Env: []string{"PATH=" + defaultPath}, Stdout: &out,
		Started: func(int) { order = append(order, "started") },
		Ready: func() error {
			order = append(order, "ready")
			if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("the line ran before Ready (%v)", err)
			}
			return nil
		}})
	if err != nil || status != 0 || out.String() != "ran\n" {
		fail("Run = %d, %v, output %q", status, err, out.String())
	}
	if !slices.Equal(order, []string{"ready", "started"}) {
		fail("calls %v, want Ready before the shell started", order)
	}
	fmt.Println("helper ok")
}

// BenchmarkRunTrueSaved is one `!true` whose start is saved first, as the
// runner saves it (a record written to a temporary file and renamed over
// the old one): "save then start" is the order without the gate, "start
// during save" the gated one, where bash's exec and initialisation
// overlap the save.
func BenchmarkRunTrueSaved(b *testing.B) {
	record := filepath.Join(b.TempDir(), "record.ipynb")
	data := []byte(strings.Repeat(`{"cell_type": "code", "source": "!true"},`+"\n", 500))
	save := func() error {
		tmp := record + ".tmp"
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			return err
		}
		return os.Rename(tmp, record)
	}
	env := os.Environ()
	for _, gated := range []bool{false, true} {
		name := "save then start"
		if gated {
			name = "start during save"
		}
		b.Run(name, func(b *testing.B) {
			before := childUsage()
			for b.Loop() {
				c := Command{Line: "true", Env: env, Stdout: &chunks{}, Stderr: &chunks{}}
				if gated {
					c.Ready = save
				} else if err := save(); err != nil {
					b.Fatal(err)
				}
				if status, err := Run(context.Background(), c); err != nil || status != 0 {
					b.Fatal(status, err)
				}
			}
			after := childUsage()
			b.ReportMetric(float64(after.cpu-before.cpu)/float64(b.N)/float64(time.Microsecond), "shell-cpu-µs/op")
			b.ReportMetric(float64(after.minflt-before.minflt)/float64(b.N), "shell-faults/op")
		})
	}
}

type usage struct {
	cpu    time.Duration
	minflt int64
}

// childUsage is what the shells this process waited for used: their CPU
// time and their page faults (~25 µs each on a PVM guest).
func childUsage() usage {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru)
	return usage{cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), minflt: ru.Minflt}
}
