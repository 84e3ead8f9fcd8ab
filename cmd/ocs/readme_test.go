package main

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"ocs/kernel/kerneltest"
)

// readme returns the repository's README.
func readme(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// quickStartCommand is the README's first shell command that builds ocs.
func quickStartCommand(t *testing.T) string {
	t.Helper()
	for _, line := range strings.Split(readme(t), "\n") {
		if strings.Contains(line, "go build") && strings.Contains(line, "./cmd/ocs") {
			return strings.TrimSpace(line)
		}
	}
	t.Fatal("README has no go build command for ./cmd/ocs")
	return ""
}

// TestREADMEBuildIsStaticAndVersioned runs the README's build command as it
// is written (into a temporary folder) and checks what it promises: a
// static binary, free of cgo, whose --version names the commit it was built
// from.
func TestREADMEBuildIsStaticAndVersioned(t *testing.T) {
	goTool := kerneltest.NeedTool(t, "go")
	build, _, _ := strings.Cut(quickStartCommand(t), "&&")
	fields := strings.Fields(build)
	env := os.Environ()
	for len(fields) > 0 && strings.Contains(fields[0], "=") {
		env = append(env, fields[0])
		fields = fields[1:]
	}
	if len(fields) < 2 || fields[0] != "go" || fields[1] != "build" {
		t.Fatalf("README build command %q does not start with go build", build)
	}
	bin := filepath.Join(t.TempDir(), "ocs")
	args := fields[1:]
	for i := range args {
		if args[i] == "-o" && i+1 < len(args) {
			args[i+1] = bin
		}
	}
	cmd := exec.Command(goTool, args...)
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", build, err, out)
	}

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary names a dynamic loader (PT_INTERP): not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v", libs)
	}
	meta, err := exec.Command(goTool, "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(meta, []byte("CGO_ENABLED=0")) {
		t.Errorf("go version -m does not show CGO_ENABLED=0:\n%s", meta)
	}

	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	line := string(out)
	if !strings.HasPrefix(line, "ocs ") || !strings.Contains(line, "go1.") || !strings.Contains(line, "linux/") {
		t.Errorf("--version = %q", line)
	}
	// The Go toolchain stamps the commit in a checkout whose .git is a
	// folder (a clone, as in CI); a linked worktree's .git is a file, and
	// there it stamps nothing.
	if fi, err := os.Stat(filepath.Join("..", "..", ".git")); err == nil && fi.IsDir() {
		git := kerneltest.NeedTool(t, "git")
		head, err := exec.Command(git, "-C", filepath.Join("..", ".."), "rev-parse", "HEAD").Output()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(line, "commit "+string(head[:12])) {
			t.Errorf("--version = %q, want it to name commit %s", line, head[:12])
		}
	}
}

// TestREADMEExitCodes checks the README's exit-code table against the
// codes ocs uses and against what `ocs help run` says.
func TestREADMEExitCodes(t *testing.T) {
	section := readme(t)
	start := strings.Index(section, "## Exit codes")
	if start < 0 {
		t.Fatal("README has no Exit codes section")
	}
	section = section[start:]
	if end := strings.Index(section[3:], "\n## "); end > 0 {
		section = section[:end+3]
	}
	var documented []int
	for _, m := range regexp.MustCompile(`(?m)^\| (\d+) \|`).FindAllStringSubmatch(section, -1) {
		n, _ := strconv.Atoi(m[1])
		documented = append(documented, n)
	}
	used := []int{exitOK, exitCellFailed, exitUsage, exitTimeout, exitInfra, exitInterrupted}
	slices.Sort(documented)
	if !slices.Equal(documented, used) {
		t.Errorf("README documents exit codes %v; ocs uses %v", documented, used)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"help", "run"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("ocs help run exited %d: %s", code, stderr.String())
	}
	help := stdout.String()
	for _, code := range used {
		if !regexp.MustCompile(`(?m)^  ` + strconv.Itoa(code) + ` +\S`).MatchString(help) {
			t.Errorf("ocs help run does not explain exit code %d", code)
		}
	}
}

// TestREADMETestCommand checks that the README's test command is the one
// .ci/run runs.
func TestREADMETestCommand(t *testing.T) {
	if !strings.Contains(readme(t), "\ngo test ./...\n") {
		t.Error("README does not hold the test command `go test ./...` on a line of its own")
	}
	ci, err := os.ReadFile(filepath.Join("..", "..", ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^go test ./...$`).Match(ci) {
		t.Error(".ci/run does not run the README's test command `go test ./...`")
	}
}
