package main

// Hardening tests: each reproduces one finding of the security review
// (issue 12) against the real ocs, run as a separate process.

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"ocs/notebook"
)

// recordText is every output of every cell of a record, as one string.
func recordText(t *testing.T, path string) string {
	t.Helper()
	nb, err := notebook.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			b.WriteString(o.Text.String())
			fmt.Fprint(&b, o.Data, o.EName, ": ", o.EValue, o.Traceback, "\n")
		}
	}
	return b.String()
}

// copyExecutable copies this test binary (which acts as ocs, see TestMain)
// to dir/ocs: the real binary, in a folder of the test's choosing.
func copyExecutable(t *testing.T, dir string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	dst := filepath.Join(dir, "ocs")
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}

// Finding 1: programs planted next to the ocs binary (ocs in /tmp, anyone
// may write there) must not run for a cell's `!` lines: the shell is found
// by absolute path and PATH never holds the binary's folder.
func TestHardenPathHijack(t *testing.T) {
	bin := t.TempDir()
	exe := copyExecutable(t, bin)
	marker := filepath.Join(t.TempDir(), "hijacked")
	for _, name := range []string{"bash", "whoami", "sh"} {
		script := "#!/bin/sh\necho planted-" + name + " >> " + marker + "\necho planted-" + name + "\n"
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	nb := filepath.Join(dir, "nb.ipynb")
	writeGoNotebook(t, nb, "!whoami\n!echo hello-from-echo\n!echo PATH=$PATH", `!ocs version`)
	record := filepath.Join(dir, "out.ipynb")
	env := faultEnv(t, t.TempDir())
	p := startOCSExe(t, exe, env, "run", nb, "-o", record)
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, p.stderr.String())
	}
	if data, err := os.ReadFile(marker); err == nil {
		t.Fatalf("a planted program ran: %s", data)
	}
	text := recordText(t, record)
	if strings.Contains(text, "planted-") || !strings.Contains(text, "hello-from-echo") || !strings.Contains(text, "ocs dev") {
		t.Fatalf("record outputs:\n%s", text)
	}
	for _, line := range strings.Split(text, "\n") {
		if i := strings.Index(line, "PATH="); i >= 0 {
			for _, p := range filepath.SplitList(line[i+len("PATH="):]) {
				if filepath.Clean(p) == bin {
					t.Errorf("the cell's PATH holds the binary's folder %s: %s", bin, line)
				}
			}
		}
	}
}

// Findings 2 and 3: a --secret variable reaches no child process, its value
// is masked from the first cell on (no cell asked for it), and the log line
// written when the worker dies of a panic carrying it is masked, in both
// log formats.
func TestHardenSecretEnvAndLogs(t *testing.T) {
	const value = "Sup3rSecretXYZ-4242"
	dir := t.TempDir()
	nb := filepath.Join(dir, "nb.ipynb")
	// The cells read the value from a file: in their source, it would be
	// in the record as the template wrote it.
	if err := os.WriteFile(filepath.Join(dir, "value.txt"), []byte(value), 0o600); err != nil {
		t.Fatal(err)
	}
	writeGoNotebook(t, nb,
		"!env | grep MYSECRET || echo no-MYSECRET-var",
		"!echo value is $(cat value.txt)",
		"import (\n\t\"os\"\n\t\"time\"\n)\ndata, _ := os.ReadFile(\"value.txt\")\ngo func() { panic(\"leak \" + string(data)) }()\ntime.Sleep(5 * time.Second)")
	for _, format := range []string{"console", "json"} {
		t.Run(format, func(t *testing.T) {
			record := filepath.Join(dir, format+".ipynb")
			env := append(faultEnv(t, t.TempDir()), "MYSECRET="+value)
			code, p := runOCSProcess(t, env, "run", nb, "-o", record, "--secret", "MYSECRET", "--log-format", format)
			if code != exitInfra {
				t.Fatalf("exit %d, want %d (the worker died); stderr:\n%s", code, exitInfra, p.stderr.String())
			}
			data, err := os.ReadFile(record)
			if err != nil {
				t.Fatal(err)
			}
			for what, text := range map[string]string{"record": string(data), "stderr": p.stderr.String(), "stdout": p.stdout.String()} {
				if strings.Contains(text, value) {
					t.Errorf("the secret is in the %s:\n%s", what, text)
				}
			}
			if !strings.Contains(p.stderr.String(), "go kernel worker died") {
				t.Errorf("no log line for the dead worker:\n%s", p.stderr.String())
			}
			out := recordText(t, record)
			if !strings.Contains(out, "no-MYSECRET-var") || !strings.Contains(out, "value is ********") || !strings.Contains(out, "leak ********") {
				t.Errorf("record outputs:\n%s", out)
			}
		})
	}
}

// Finding 5: two runs that start at the same moment get two records; a
// name that is taken is never reused.
func TestHardenUniqueRecordNames(t *testing.T) {
	t.Chdir(t.TempDir())
	now := time.Date(2026, 12, 1, 10, 0, 0, 123e6, time.UTC)
	first, err := reserveRecord("nb", now)
	if err != nil {
		t.Fatal(err)
	}
	second, err := reserveRecord("nb", now)
	if err != nil {
		t.Fatal(err)
	}
	if first != "builds/nb-20261201T100000.123Z.ipynb" || second != "builds/nb-20261201T100000.123Z-2.ipynb" {
		t.Errorf("names %q and %q", first, second)
	}
	// And for real: four ocs started together write four records.
	dir := t.TempDir()
	nb := filepath.Join(dir, "nb.ipynb")
	writeGoNotebook(t, nb, `println("x")`)
	env := faultEnv(t, t.TempDir())
	var procs []*ocsProc
	for range 4 {
		procs = append(procs, startOCS(t, env, 60*time.Second, "run", nb, "-q"))
	}
	seen := map[string]bool{}
	for _, p := range procs {
		if code := p.wait(t); code != 0 {
			t.Fatalf("exit %d: %s", code, p.stderr.String())
		}
		path := strings.TrimSpace(p.stdout.String())
		if seen[path] {
			t.Errorf("two runs wrote %s", path)
		}
		seen[path] = true
		if _, err := notebook.ReadFile(path); err != nil {
			t.Error(err)
		}
	}
}

// Finding 8: SIGTERM ends ocs while it waits outside a run's cell loop
// (here reading the notebook from a standard input nobody writes to).
func TestHardenSIGTERMOutsideTheCellLoop(t *testing.T) {
	p := startOCSStdin(t, faultEnv(t, t.TempDir()), "run", "-", "-q", "--log-level", "debug")
	waitFor(t, &p.stderr, "reading the notebook from standard input", 15*time.Second)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != exitInterrupted {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitInterrupted, p.stderr.String())
	}
}

// startOCSStdin starts ocs with a standard input that stays open and empty
// until the test ends.
func startOCSStdin(t *testing.T, env []string, args ...string) *ocsProc {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	p := &ocsProc{ctx: ctx, cancel: cancel, limit: 20 * time.Second}
	p.cmd = exec.CommandContext(ctx, exe, args...)
	p.cmd.Env, p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = env, r, &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	t.Cleanup(func() { cancel(); _ = p.cmd.Wait() })
	return p
}
