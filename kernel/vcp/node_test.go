package vcp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"ocs/kernel/kerneltest"
)

// oneNode boots a group with one local node and returns its target.
func oneNode(t *testing.T) (*SDK, *UnitGroup, Target) {
	t.Helper()
	s := newTestSDK(t, nil)
	ug, err := s.CreateUGroup("n")
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := s.GetSpec("local", "small")
	if _, err := ug.CreateUnit("u", spec); err != nil {
		t.Fatal(err)
	}
	ts, err := ug.Targets("")
	if err != nil {
		t.Fatal(err)
	}
	return s, ug, ts[0]
}

func TestNodeSessionFeatures(t *testing.T) {
	_, ug, tg := oneNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Dial(ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	t.Run("env request", func(t *testing.T) {
		s, _ := c.NewSession()
		defer s.Close()
		if err := s.Setenv("FOO", "bar baz"); err != nil {
			t.Fatal(err)
		}
		out, err := s.Output(`echo "$FOO|$USER|$HOME"`)
		if err != nil || !strings.HasPrefix(string(out), "bar baz|"+currentUser()+"|") {
			t.Fatalf("%q %v", out, err)
		}
	})
	t.Run("signal request", func(t *testing.T) {
		s, _ := c.NewSession()
		defer s.Close()
		if err := s.Start("sleep 20"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		if err := s.Signal(ssh.SIGINT); err != nil {
			t.Fatal(err)
		}
		err := s.Wait()
		var ee *ssh.ExitError
		if !errors.As(err, &ee) || ee.ExitStatus() != 130 {
			t.Fatalf("after SIGINT: %v, want exit status 130", err)
		}
	})
	t.Run("stdin", func(t *testing.T) {
		var out bytes.Buffer
		if err := runOn(ctx, c, "n", "tr a-z A-Z", strings.NewReader("shout\n"), &out, nil); err != nil || out.String() != "SHOUT\n" {
			t.Fatalf("%q %v", out.String(), err)
		}
	})
	t.Run("pty shell", func(t *testing.T) {
		s, _ := c.NewSession()
		defer s.Close()
		if err := s.RequestPty("xterm", 24, 80, ssh.TerminalModes{ssh.ECHO: 0}); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		s.Stdout = &out
		in, _ := s.StdinPipe()
		if err := s.Shell(); err != nil {
			t.Fatal(err)
		}
		if err := s.WindowChange(40, 100); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		in.Write([]byte("echo TERM=$TERM; stty size; tty; exit 3\n"))
		err := s.Wait()
		var ee *ssh.ExitError
		if !errors.As(err, &ee) || ee.ExitStatus() != 3 {
			t.Fatalf("shell exit: %v\n%s", err, out.String())
		}
		o := out.String()
		if !strings.Contains(o, "TERM=xterm") || !strings.Contains(o, "40 100") || !regexp.MustCompile(`/dev/pts/\d+`).MatchString(o) {
			t.Fatalf("pty shell output %q", o)
		}
	})
	t.Run("system ssh -tt", func(t *testing.T) {
		sshBin := kerneltest.NeedTool(t, "ssh")
		out, err := exec.CommandContext(ctx, sshBin, "-F", ug.SSHConfig(), "-tt", tg.Address, "tty").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "/dev/pts/") {
			t.Fatalf("%v %q", err, out)
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		other := tg
		other.KeyFile = t.TempDir() + "/k"
		if _, err := ensureKeyFile(other.KeyFile, ""); err != nil {
			t.Fatal(err)
		}
		if err := Run(ctx, other, "true", nil, nil, nil); err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
			t.Fatalf("wrong client key: %v", err)
		}
	})
	t.Run("wrong host key", func(t *testing.T) {
		_, pub, _ := newKeyPair("")
		other := tg
		other.HostKey = pub
		if err := Run(ctx, other, "true", nil, nil, nil); err == nil || !strings.Contains(err.Error(), "host key") {
			t.Fatalf("pinned host key mismatch: %v", err)
		}
	})
	t.Run("key files", func(t *testing.T) {
		fi, err := os.Stat(ug.PrivateKey())
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("group key mode: %v %v", fi, err)
		}
		if k, err := ug.PublicKey(); err != nil || !strings.HasPrefix(k, "ssh-ed25519 ") {
			t.Fatalf("PublicKey = %q, %v", k, err)
		}
	})
}

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		in         string
		group, uni string
		no         int
		ok         bool
	}{
		{"g", "g", "", 0, true}, {"g/u", "g", "u", 0, true}, {"g/u/3", "g", "u", 3, true},
		{"g/u/0", "", "", 0, false}, {"g/u/x", "", "", 0, false}, {"", "", "", 0, false},
		{"g/u/1/2", "", "", 0, false}, {"../x", "", "", 0, false}, {"g//1", "", "", 0, false},
	} {
		g, u, n, err := ParseTarget(tc.in)
		if (err == nil) != tc.ok || (tc.ok && (g != tc.group || u != tc.uni || n != tc.no)) {
			t.Errorf("ParseTarget(%q) = %q %q %d %v", tc.in, g, u, n, err)
		}
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"g", "g/u", "g/u/1", "a/b/c/d", "", "g/u/-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, u, n, err := ParseTarget(s)
		if err != nil {
			return
		}
		if checkName("unit group", g) != nil || (u != "" && checkName("unit", u) != nil) || n < 0 {
			t.Fatalf("ParseTarget(%q) accepted %q %q %d", s, g, u, n)
		}
	})
}

// An interrupted command that ignores HUP and TERM does not outlive its
// session: the node kills its process group.
func TestInterruptedCommandIsKilledOnTheNode(t *testing.T) {
	_, _, tg := oneNode(t)
	marker := fmt.Sprintf("45.0%d", os.Getpid()) // names this test's sleep
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, tg, `trap "" TERM HUP; echo started; sleep `+marker, nil, &out, &out)
	}()
	for i := 0; !strings.Contains(out.String(), "started"); i++ {
		if i > 1000 {
			t.Fatalf("the command did not start: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run after cancel = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	want := "sleep\x00" + marker + "\x00"
	for i := 0; ; i++ {
		if len(processesWithCmdline(want)) == 0 {
			return
		}
		if i > 300 { // 6 s: the node's grace is 2 s
			t.Fatalf("sleep %s still runs on the node after its session ended: %v", marker, processesWithCmdline(want))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// processesWithCmdline lists live processes whose command line contains s.
func processesWithCmdline(s string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && strings.Contains(string(cmd), s) && processAliveNotZombie(pid) {
			out = append(out, pid)
		}
	}
	return out
}
