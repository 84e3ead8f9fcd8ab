package cellenv

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func lookup(env []string, key string) (string, bool) {
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v, true
		}
	}
	return "", false
}

func TestPath(t *testing.T) {
	for _, tc := range []struct {
		name, inherited, want string
	}{
		{"private folder first", "/usr/bin:/bin", "/p:/usr/bin:/bin"},
		{"relative and empty entries dropped", ".::bin:/usr/bin:", "/p:/usr/bin"},
		{"duplicates dropped", "/usr/bin:/usr/bin/:/p", "/p:/usr/bin"},
		{"empty PATH gets the system folders", "", "/p:" + defaultPath},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Path("/p", tc.inherited); got != tc.want {
				t.Errorf("Path(%q) = %q, want %q", tc.inherited, got, tc.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	exeDir := t.TempDir()
	exe := filepath.Join(exeDir, "ocs")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	base := []string{"PATH=/usr/bin:/bin", "HOME=/home/x", "MYSECRET=v", "OCS_STATE_DIR=/old", DirEnv + "=/forged"}
	env, err := New(Options{Base: base, Executable: exe, StateDir: "/state", Drop: []string{"MYSECRET"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := env.Dir()
	vars := env.Environ()
	if _, ok := lookup(vars, "MYSECRET"); ok {
		t.Errorf("a --secret variable is still in the environment: %q", vars)
	}
	if v, _ := lookup(vars, "HOME"); v != "/home/x" {
		t.Errorf("HOME = %q, want it kept", v)
	}
	if v, _ := lookup(vars, StateDirEnv); v != "/state" {
		t.Errorf("%s = %q, want /state", StateDirEnv, v)
	}
	if v, _ := lookup(vars, DirEnv); v != dir {
		t.Errorf("%s = %q, want %q", DirEnv, v, dir)
	}
	path, _ := lookup(vars, "PATH")
	if path != dir+":/usr/bin:/bin" {
		t.Errorf("PATH = %q", path)
	}
	if strings.Contains(path, exeDir) {
		t.Errorf("PATH %q holds the executable's own folder", path)
	}
	fi, err := os.Lstat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("private folder %s: %v, mode %v", dir, err, fi.Mode())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "ocs" {
		t.Errorf("private folder holds %v, want only ocs", entries)
	}
	if target, _ := os.Readlink(filepath.Join(dir, "ocs")); target != exe {
		t.Errorf("ocs links to %q, want %q", target, exe)
	}
	if fi, err := os.Lstat(filepath.Dir(dir)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the folder of run folders: %v, mode %v", err, fi.Mode())
	}
	if !Prepared(vars) {
		t.Error("Prepared = false for the environment New built")
	}
	if Prepared(base) {
		t.Error("Prepared = true for an environment naming a folder ocs did not make")
	}
	if err := env.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("Close left %s: %v", dir, err)
	}
}

// A folder of run folders that others can write to is refused, so that a
// PATH entry naming a removed run folder cannot be taken over.
func TestNewRefusesSharedRoot(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	root := filepath.Join(tmp, "ocs-"+strconv.Itoa(os.Getuid()))
	if err := os.Mkdir(root, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(root, 0o777)
	if env, err := New(Options{Base: []string{"PATH=/bin"}, Executable: "/bin/true"}); err == nil {
		env.Close()
		t.Fatalf("New used the world-writable %s", root)
	}
}

func TestShell(t *testing.T) {
	sh := Shell()
	if !filepath.IsAbs(sh) {
		t.Fatalf("Shell() = %q, want an absolute path", sh)
	}
	// A folder this user may write is trusted only when it is its own and
	// closed to others: a world-writable one never is.
	dir := t.TempDir()
	os.Chmod(dir, 0o777)
	planted := filepath.Join(dir, "bash")
	if err := os.WriteFile(planted, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if trusted(planted) {
		t.Errorf("trusted(%s) in a world-writable folder", planted)
	}
	if trusted(filepath.Join(dir, "missing")) {
		t.Error("trusted a missing file")
	}
}
