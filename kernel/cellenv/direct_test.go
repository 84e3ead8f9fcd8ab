package cellenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// showArgs is the name under which the test binary prints what it was
// started with: its arguments, folder and environment.
const showArgs = "show-args"

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == showArgs {
		wd, _ := os.Getwd()
		env := os.Environ()
		slices.Sort(env)
		fmt.Printf("argv %q\ncwd %s\nenv %q\n", os.Args, wd, env)
		os.Exit(7)
	}
	os.Exit(m.Run())
}

// needBash returns the shell, which these tests hold the direct start
// against; it must be bash.
func needBash(t *testing.T) string {
	t.Helper()
	sh := Shell()
	if filepath.Base(sh) != "bash" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("bash is required in CI; the shell found is %s", sh)
		}
		t.Skipf("the shell is %s, not bash", sh)
	}
	return sh
}

// byBash runs line the way Run did before the direct start: always through
// bash -c.
func byBash(t *testing.T, sh, line, dir string, env []string) (string, int) {
	t.Helper()
	cmd := exec.Command(sh, "-c", line)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("bash -c %q: %v", line, err)
	}
	return string(out), cmd.ProcessState.ExitCode()
}

// A line started directly gets what bash -c would have given it: the same
// argv, folder, environment (PWD, SHLVL, _, OLDPWD as bash sets them),
// output and exit status; a line that needs bash is left to it.
func TestDirectMatchesBash(t *testing.T) {
	sh := needBash(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	bin := filepath.Join(root, "bin")
	work := filepath.Join(root, "work")
	other := filepath.Join(root, "other")
	for _, d := range []string{bin, work, other} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(root, "link")
	for _, l := range [][2]string{{self, filepath.Join(bin, showArgs)}, {self, filepath.Join(work, showArgs)}, {work, link}} {
		if err := os.Symlink(l[0], l[1]); err != nil {
			t.Fatal(err)
		}
	}
	// A script without #! that the kernel will not exec: bash runs it.
	if err := os.WriteFile(filepath.Join(bin, "plain-script"), []byte("echo from a plain script; exit 4\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "not-executable"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := "PATH=" + bin + ":/usr/bin:/bin"
	cases := []struct {
		name, line, dir string
		env             []string
		direct          bool
	}{
		{"words", "show-args a b=c -x ./d %e @f +g ,h", work, []string{path, "PWD=" + work}, true},
		{"blanks around and between", "\t show-args  a\tb ", work, []string{path}, true},
		{"PWD of another folder", showArgs, work, []string{path, "PWD=" + other}, true},
		{"PWD through a link kept", showArgs, link, []string{path, "PWD=" + link}, true},
		{"no PWD: the physical path", showArgs, link, []string{path}, true},
		{"OLDPWD a folder", showArgs, work, []string{path, "OLDPWD=" + other}, true},
		{"OLDPWD gone", showArgs, work, []string{path, "OLDPWD=" + filepath.Join(root, "gone")}, true},
		{"SHLVL", showArgs, work, []string{path, "SHLVL=3"}, true},
		{"SHLVL with zeros", showArgs, work, []string{path, "SHLVL=007"}, true},
		{"_ replaced, names odd and repeated", showArgs, work, []string{path, "_=/x", "A-B=1", "X=1", "X=2", "LC_ALL=C.UTF-8"}, true},
		{"a path", filepath.Join(bin, showArgs) + " x", other, []string{path}, true},
		{"a relative path", "./" + showArgs + " x", work, []string{path}, true},
		{"true", "true", work, []string{path}, true},
		{"false", "false", work, []string{path}, true},
		{"plain script", "plain-script", work, []string{path}, true},

		{"builtin", "echo hi", work, []string{path}, false},
		{"true with an argument", "true --help", work, []string{path}, false},
		{"keyword", "function show-args", work, []string{path}, false},
		{"expansion", "show-args $HOME", work, []string{path}, false},
		{"quote", "show-args 'a b'", work, []string{path}, false},
		{"glob", "show-args *", work, []string{path}, false},
		{"tilde", "show-args ~", work, []string{path}, false},
		{"redirection", "show-args >out", work, []string{path}, false},
		{"two commands", "show-args; show-args", work, []string{path}, false},
		{"comment", "show-args #x", work, []string{path}, false},
		{"assignment", "A=1 show-args", work, []string{path}, false},
		{"job", "%1", work, []string{path}, false},
		{"not found", "no-such-program-here", work, []string{path}, false},
		{"not executable", "not-executable", work, []string{path}, false},
		{"a folder", "./", work, []string{path}, false},
		{"relative PATH entry", showArgs, work, []string{"PATH=bin:" + bin}, false},
		{"no PATH", showArgs, work, nil, false},
		{"BASH_ENV", showArgs, work, []string{path, "BASH_ENV=/dev/null"}, false},
		{"exported function", showArgs, work, []string{path, "BASH_FUNC_show-args%%=() { echo f; }"}, false},
		{"IFS", showArgs, work, []string{path, "IFS=:"}, false},
		{"LC_ALL not set up", showArgs, work, []string{path, "LC_ALL=xx_YY.UTF-8"}, false},
		{"SHLVL odd", showArgs, work, []string{path, "SHLVL=-2"}, false},
		{"PWD unclean", showArgs, work, []string{path, "PWD=" + work + "/."}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, direct := directCommand(tc.line, tc.dir, tc.env)
			if direct != tc.direct {
				t.Fatalf("direct start of %q: %v, want %v", tc.line, direct, tc.direct)
			}
			want, wantStatus := byBash(t, sh, tc.line, tc.dir, tc.env)
			var out bytes.Buffer
			status, err := Run(context.Background(), Command{Shell: sh, Line: tc.line, Dir: tc.dir, Env: tc.env, Stdout: &out, Stderr: &out})
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != want || status != wantStatus {
				t.Errorf("Run(%q) gave status %d and\n%s\nbash -c gave status %d and\n%s", tc.line, status, out.String(), wantStatus, want)
			}
		})
	}
}

// Every line taken for a direct start is one bash splits into the same
// words, and whose first word bash runs as a file (or is true or false).
func FuzzDirectCommand(f *testing.F) {
	for _, s := range []string{"ls -l build", "true", "true x", "echo a", "ansible-playbook -i inventory.yml site.yml", "a=b c", "x\ty", "ocs vcp ls", "./run.sh", "%1", "ls 'a'", "ls\n", "printf %s"} {
		f.Add(s)
	}
	sh := Shell()
	f.Fuzz(func(t *testing.T, line string) {
		path, argv, _, ok := directCommand(line, "/", []string{"PATH=/usr/bin:/bin"})
		if !ok {
			return
		}
		if filepath.Base(sh) != "bash" {
			t.Skip("needs bash")
		}
		// The line holds only word bytes and blanks, so it can be pasted
		// as it is; the words have no newline.
		out, err := exec.Command(sh, "-c", `printf '%s\0' `+line+`; echo; type -t -- `+argv[0]).Output()
		if err != nil {
			t.Fatalf("bash on %q: %v", line, err)
		}
		words, kind, _ := strings.Cut(string(out), "\n")
		if got := strings.Split(strings.TrimSuffix(words, "\x00"), "\x00"); !slices.Equal(got, argv) {
			t.Errorf("%q: direct words %q, bash words %q", line, argv, got)
		}
		kind = strings.TrimSpace(kind)
		if kind != "file" && !(kind == "builtin" && len(argv) == 1 && directBuiltins[argv[0]]) {
			t.Errorf("%q: bash runs %q as a %s, started directly as %s", line, argv[0], kind, path)
		}
	})
}
