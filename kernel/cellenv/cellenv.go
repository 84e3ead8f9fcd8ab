// Package cellenv builds the environment every cell's child processes get
// (a kernel's worker or process, the shell commands ocs runs for cells, the
// VCP nodes they start): `ocs` on PATH through a private per-run folder that
// ocs owns and that holds nothing else, OCS_STATE_DIR, and none of the
// variables that carry secrets. It also finds the shell by absolute path in
// trusted system folders, never through PATH, and runs `!` lines, starting
// one that is a plain command directly, as that shell would.
//
// Why: putting the ocs binary's own folder on PATH lets whatever else lies
// in that folder (with ocs at /tmp/ocs, anything any user put in /tmp)
// shadow `bash`, `whoami` or `ssh` for every shell line of every cell.
package cellenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// DirEnv names the variable that holds the private folder of the run, so
// that a worker started with this environment knows it is already set up.
const DirEnv = "OCS_CELLENV_DIR"

// StateDirEnv is the VCP state folder's variable.
const StateDirEnv = "OCS_STATE_DIR"

// defaultPath is PATH when the inherited one is empty.
const defaultPath = "/usr/local/bin:/usr/bin:/bin"

// Options say what the environment starts from and what it changes.
type Options struct {
	// Base is the environment to start from (nil: this process's).
	Base []string
	// Executable is what `ocs` runs ("": this process's executable).
	Executable string
	// StateDir is exported as OCS_STATE_DIR when not "".
	StateDir string
	// Drop names variables removed from the environment: the ones
	// --secret takes secret values from.
	Drop []string
}

// Env is one run's environment and the private folder it puts on PATH.
type Env struct {
	dir  string
	vars []string
}

// New makes the private folder and builds the environment. Close removes
// the folder.
func New(opts Options) (*Env, error) {
	exe := opts.Executable
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("find the ocs executable: %w", err)
		}
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	exe, err := filepath.Abs(exe)
	if err != nil {
		return nil, fmt.Errorf("find the ocs executable: %w", err)
	}
	base := opts.Base
	if base == nil {
		base = os.Environ()
	}
	root, err := privateRoot(base)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(root, "run-")
	if err != nil {
		return nil, fmt.Errorf("make the private ocs folder: %w", err)
	}
	if err := os.Symlink(exe, filepath.Join(dir, "ocs")); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("make the private ocs folder: %w", err)
	}
	drop := map[string]bool{DirEnv: true}
	for _, name := range opts.Drop {
		drop[name] = true
	}
	if opts.StateDir != "" {
		drop[StateDirEnv] = true
	}
	var vars []string
	inherited := ""
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case k == "PATH":
			inherited = v
		case !drop[k]:
			vars = append(vars, kv)
		}
	}
	vars = append(vars, "PATH="+Path(dir, inherited), DirEnv+"="+dir)
	if opts.StateDir != "" {
		vars = append(vars, StateDirEnv+"="+opts.StateDir)
	}
	return &Env{dir: dir, vars: vars}, nil
}

// Environ returns the environment, as "KEY=value" strings.
func (e *Env) Environ() []string { return append([]string(nil), e.vars...) }

// Dir is the private folder on PATH.
func (e *Env) Dir() string { return e.dir }

// Close removes the private folder.
func (e *Env) Close() error {
	if e == nil || e.dir == "" {
		return nil
	}
	if err := os.RemoveAll(e.dir); err != nil {
		return fmt.Errorf("remove the private ocs folder: %w", err)
	}
	return nil
}

// Path builds PATH: dir (the private folder, holding only `ocs`) first,
// then the inherited folders that are absolute. A relative or empty entry
// would resolve against a cell's working folder, which is the template's
// (a cloned repository, say): it is dropped.
func Path(dir, inherited string) string {
	if inherited == "" {
		inherited = defaultPath
	}
	out := []string{dir}
	seen := map[string]bool{dir: true}
	for _, p := range filepath.SplitList(inherited) {
		if !filepath.IsAbs(p) || seen[filepath.Clean(p)] {
			continue
		}
		seen[filepath.Clean(p)] = true
		out = append(out, p)
	}
	return strings.Join(out, string(os.PathListSeparator))
}

// Prepared reports whether env is one New built and its private folder is
// still safe to use: a process started with it need not make its own.
func Prepared(env []string) bool {
	var dir, path string
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case DirEnv:
			dir = v
		case "PATH":
			path = v
		}
	}
	if dir == "" || !strings.HasPrefix(path, dir+string(os.PathListSeparator)) && path != dir {
		return false
	}
	return checkPrivate(dir) == nil && checkPrivate(filepath.Dir(dir)) == nil
}

// privateRoot is the per-user folder the run folders go in: nobody else
// may create or replace anything there, so a PATH entry that names a run
// folder cannot be taken over even after the run removed it (a node
// process started during the run keeps its PATH).
func privateRoot(env []string) (string, error) {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "XDG_RUNTIME_DIR="); ok && filepath.IsAbs(v) && checkPrivate(v) == nil {
			root := filepath.Join(v, "ocs")
			if err := ensurePrivate(root); err == nil {
				return root, nil
			}
		}
	}
	root := filepath.Join(os.TempDir(), fmt.Sprintf("ocs-%d", os.Getuid()))
	if err := ensurePrivate(root); err != nil {
		return "", fmt.Errorf("make the private ocs folder: %w", err)
	}
	return root, nil
}

// ensurePrivate makes dir (0700) or checks the one there is ours.
func ensurePrivate(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return checkPrivate(dir)
}

// checkPrivate checks that dir is a real folder (no symlink), owned by this
// user, that nobody else may write to.
func checkPrivate(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("%s belongs to user %d, not to %d", dir, st.Uid, os.Getuid())
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s may be written by others (mode %04o)", dir, fi.Mode().Perm())
	}
	return nil
}

// trustedShells are where the shell is looked for, in order.
var trustedShells = []string{"/usr/bin/bash", "/bin/bash", "/usr/local/bin/bash"}

// Shell returns the shell that runs `!` lines: bash from a system folder
// that only root may change, else /bin/sh.
func Shell() string {
	for _, p := range trustedShells {
		if trusted(p) {
			return p
		}
	}
	return "/bin/sh"
}

// trusted reports whether path, with its links resolved, is an executable
// file that only root (or this user) can change, in such a folder.
func trusted(path string) bool {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return false
	}
	for _, p := range []string{real, filepath.Dir(real)} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm()&0o022 != 0 {
			return false
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 && int(st.Uid) != os.Getuid() {
			return false
		}
		if p == real && (fi.IsDir() || fi.Mode().Perm()&0o111 == 0) {
			return false
		}
	}
	return true
}
