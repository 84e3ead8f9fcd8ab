package cellenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// The start gate lets bash start (its exec and initialisation, most of
// what a `!` line costs) while the caller journals the command's start,
// and run the line only once that returned.
//
// A non-interactive bash that is not in posix mode runs the file named by
// $BASH_ENV before `-c LINE`. Here that file is fd 3, a pipe holding
// gateScript, and the script waits for a newline on fd 4, a pipe whose
// write end only this process holds. The newline comes once Ready
// returned nil; any other end (Ready failed, the context ended, this
// process died) closes fd 4 without it, read fails, and the script exits
// the shell before LINE. So the gate fails closed: a shell that was not
// told to go runs nothing of the line.
//
// The script takes back what it added (BASH_ENV, fds 3 and 4, its
// function, TMOUT's hold on its read) before it waits, but fd 4, so that
// little is left to do once the line may run; $_ is the call's last
// argument, which is $_ as bash set it. What remains is what any startup
// file leaves, and harmless: PIPESTATUS exists before the line's first
// command, and BASH_ARGC (meaningful only with extdebug) holds a 0.
const gateScript = `__ocs_gate() {
	local REPLY TMOUT
	unset -v BASH_ENV
	unset -f __ocs_gate
	exec 3<&-
	read -r -u 4 || exit 1
	exec 4<&-
}
__ocs_gate "$_"
`

// gateEnv is how the shell finds the script: the fd the child gets as 3.
const gateEnv = "BASH_ENV=/dev/fd/3"

// gateGo is what opens the gate: the line read waits for.
const gateGo = "\n"

// notGateable are the variables with which bash would not run the script
// as written: BASH_ENV is the user's own (bash must run it as it would);
// POSIXLY_CORRECT, POSIX_PEDANTIC and SHELLOPTS (posix) put bash in posix
// mode, which reads no BASH_ENV; SHELLOPTS (xtrace, say) and BASHOPTS
// could make the script show; the functions would replace the builtins
// it calls.
var notGateable = []string{
	"BASH_ENV", "POSIXLY_CORRECT", "POSIX_PEDANTIC", "SHELLOPTS", "BASHOPTS",
	"BASH_FUNC_read%%", "BASH_FUNC_local%%", "BASH_FUNC_unset%%", "BASH_FUNC_exec%%",
	"BASH_FUNC_exit%%", "BASH_FUNC___ocs_gate%%",
}

// shellIsBash caches, per shell path, whether it is bash under that name.
var shellIsBash sync.Map

// gateable reports whether shell, started with env, runs the gate: it is
// bash (named so, and so once its links are resolved), nothing in env
// changes how bash reads BASH_ENV, and this process is not set-id (bash
// reads no startup file then).
func gateable(shell string, env []string) bool {
	if filepath.Base(shell) != "bash" {
		return false
	}
	isBash, ok := shellIsBash.Load(shell)
	if !ok {
		real, err := filepath.EvalSymlinks(shell)
		isBash = err == nil && filepath.Base(real) == "bash"
		shellIsBash.Store(shell, isBash)
	}
	if !isBash.(bool) {
		return false
	}
	if os.Getuid() != os.Geteuid() || os.Getgid() != os.Getegid() {
		return false
	}
	for _, kv := range env {
		for _, name := range notGateable {
			if len(kv) > len(name) && kv[len(name)] == '=' && strings.HasPrefix(kv, name) {
				return false
			}
		}
	}
	return true
}

// gate is one command's start gate: the two pipes the shell gets as fds
// 3 and 4, and the write end of the second.
type gate struct {
	script, wait *os.File // the child's fds 3 and 4
	open         *os.File
}

// newGate makes the pipes and checks that the shell will be able to open
// /dev/fd/3 (a bash that cannot open its BASH_ENV runs the line at once):
// this process opens its own /dev/fd path of the script pipe, in the mount
// namespace the shell inherits. It returns nil when there is no gate to be
// had; the caller then runs Ready before it starts the shell.
func newGate() *gate {
	sr, sw, err := os.Pipe()
	if err != nil {
		return nil
	}
	if _, err := sw.WriteString(gateScript); err != nil {
		sr.Close()
		sw.Close()
		return nil
	}
	sw.Close()
	fd, err := syscall.Open(fmt.Sprintf("/dev/fd/%d", sr.Fd()), syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		sr.Close()
		return nil
	}
	syscall.Close(fd)
	wr, ww, err := os.Pipe()
	if err != nil {
		sr.Close()
		return nil
	}
	return &gate{script: sr, wait: wr, open: ww}
}

// started closes this process's copies of the child's ends.
func (g *gate) started() {
	g.script.Close()
	g.wait.Close()
}

// release lets the shell run the line (ok) or makes it exit before it
// (not ok); closing the write end either way.
func (g *gate) release(ok bool) {
	if ok {
		// The shell exited already (killed) when this fails: its status
		// says so.
		_, _ = g.open.WriteString(gateGo)
	}
	g.open.Close()
}

// closeAll releases everything when the shell did not start.
func (g *gate) closeAll() {
	g.started()
	g.open.Close()
}
