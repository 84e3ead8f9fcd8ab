package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"ocs/kernel/gokernel"
	"ocs/kernel/gokernel/standby"
	"ocs/kernel/kerneltest"
	"ocs/kernel/vcp"
)

// TestMain lets the test binary be the ocs binary: for testscript's "ocs"
// command, and for node processes, which the VCP manager starts by
// re-executing os.Executable() with the hidden node subcommand, and for Go
// kernel workers, started the same way. Shell lines in cells reach it as
// `ocs` through the link the worker puts on PATH, which testscript.Main
// dispatches by its name.
//
// OCS_TEST_EXEC=ocs makes the test binary ocs for whatever arguments it gets:
// the fault tests run it as a separate process, and the Go kernel's worker
// (ocs kernel-worker, inheriting the variable) is then this binary too.
func TestMain(m *testing.M) {
	standby.Await() // the standby worker of an `ocs run` is this binary too
	if os.Getenv(execAsOCS) == "ocs" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	if os.Getenv("OCS_TEST_AS_OCS") == "1" && len(os.Args) > 1 && (os.Args[1] == vcp.NodeSubcommand || os.Args[1] == gokernel.WorkerSubcommand) {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Setenv("OCS_TEST_AS_OCS", "1")
	testscript.Main(m, map[string]func(){
		"ocs": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// execAsOCS is the environment variable that makes the test binary ocs.
const execAsOCS = "OCS_TEST_EXEC"

// TestScripts runs the CLI end to end: testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	if os.Getenv("CI") == "true" {
		kerneltest.NeedTool(t, "git") // catalog scripts make repositories
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		// -update (width_test.go) also rewrites what cmp lines compare
		// with: go test ./cmd/ocs -run TestScripts/status -update.
		UpdateScripts: *update,
		Setup: func(env *testscript.Env) error {
			// Configuration and cache live in the work dir, and the
			// configuration starts with no sources, so that no script
			// ever reaches the public default source.
			config := filepath.Join(env.WorkDir, "config")
			env.Setenv("OCS_CONFIG_DIR", config)
			env.Setenv("OCS_CACHE_DIR", filepath.Join(env.WorkDir, "cache"))
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, "xdg-config"))
			env.Setenv("XDG_CACHE_HOME", filepath.Join(env.WorkDir, "xdg-cache"))
			for k, v := range map[string]string{"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
				"GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.org",
				"GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.org"} {
				env.Setenv(k, v)
			}
			if err := os.MkdirAll(config, 0o755); err != nil {
				return err
			}
			if err := copyDir(filepath.Join("..", "..", "testdata", "lenient"), filepath.Join(env.WorkDir, "lenient")); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(config, "catalog.yaml"), []byte("sources: []\n"), 0o644)
		},
		// [ipykernel] holds when Debian's ipykernel is installed; under
		// CI=true its absence fails the script instead of skipping it.
		Condition: func(cond string) (bool, error) {
			if cond != "ipykernel" {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			err := kerneltest.HaveKernel()
			if err != nil && os.Getenv("CI") == "true" {
				return false, fmt.Errorf("python3-ipykernel is required in CI: %w", err)
			}
			return err == nil, nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// replace FILE OLD NEW replaces text in a file.
			"replace": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 3 {
					ts.Fatalf("usage: replace FILE OLD NEW")
				}
				path := ts.MkAbs(args[0])
				data := ts.ReadFile(args[0])
				if !strings.Contains(data, args[1]) {
					ts.Fatalf("%s does not contain %q", args[0], args[1])
				}
				ts.Check(os.WriteFile(path, []byte(strings.ReplaceAll(data, args[1], args[2])), 0o644))
			},
			// referee FILE... checks files with Jupyter's own nbformat.
			"referee": func(ts *testscript.TestScript, neg bool, args []string) {
				files := make([]string, len(args))
				for i, a := range args {
					files[i] = ts.MkAbs(a)
				}
				verdicts, err := kerneltest.Check(files...)
				if errors.Is(err, kerneltest.ErrNoReferee) && os.Getenv("CI") != "true" {
					ts.Logf("not checked: %v", err) // a failure under CI=true
					return
				}
				ts.Check(err)
				for file, v := range verdicts {
					if v.Valid == neg {
						ts.Fatalf("%s: nbformat valid=%v: %s", file, v.Valid, v.Error)
					}
				}
			},
			// exits CODE PROG ARGS... runs PROG and checks its exit code.
			"exits": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: exits CODE PROG [ARGS...]")
				}
				want, err := strconv.Atoi(args[0])
				if err != nil {
					ts.Fatalf("exits: bad code %q", args[0])
				}
				got := 0
				if err := ts.Exec(args[1], args[2:]...); err != nil {
					var ee *exec.ExitError
					if !errors.As(err, &ee) {
						ts.Fatalf("exits: %v", err)
					}
					got = ee.ExitCode()
				}
				if got != want {
					ts.Fatalf("%s exited %d, want %d", args[1], got, want)
				}
			},
		},
	})
}

// copyDir copies the files of src (no sub-folders) into a new folder dst:
// the shared notebooks of testdata/ that scripts use as they are.
func copyDir(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
