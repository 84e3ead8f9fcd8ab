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

// newGate makes the pipes, or returns nil when there is no gate to be had
// (the caller then runs Ready before it starts the shell): when a pipe
// cannot be made, or when /dev/fd does not work (see devFdWorks).
//
// The pipes are made blocking and outside Go's poller: os.Pipe registers
// both ends with epoll, and the readiness events it then gets wake the
// poller's threads; that cost ~60 µs a pipe here, more than the pipes
// themselves. Nothing here needs a deadline, and the shell's reads block.
func newGate() *gate {
	if !devFdWorks() {
		return nil
	}
	script, err := rawPipe("gate-script")
	if err != nil {
		return nil
	}
	_, err = script[1].WriteString(gateScript)
	script[1].Close()
	if err != nil {
		script[0].Close()
		return nil
	}
	wait, err := rawPipe("gate")
	if err != nil {
		script[0].Close()
		return nil
	}
	return &gate{script: script[0], wait: wait[0], open: wait[1]}
}

// rawPipe returns a pipe's read and write ends, blocking, close-on-exec.
func rawPipe(name string) ([2]*os.File, error) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return [2]*os.File{}, err
	}
	return [2]*os.File{os.NewFile(uintptr(p[0]), name+"-r"), os.NewFile(uintptr(p[1]), name+"-w")}, nil
}

// devFdWorks reports whether this process can open a pipe through its
// /dev/fd path, as the shell will open its BASH_ENV (a bash that cannot
// open it runs the line at once, ungated). It checks once: the shell
// inherits this process's mount namespace, and /proc does not come and go
// under a running ocs.
var devFdWorks = sync.OnceValue(func() bool {
	p, err := rawPipe("check")
	if err != nil {
		return false
	}
	defer p[0].Close()
	defer p[1].Close()
	fd, err := syscall.Open(fmt.Sprintf("/dev/fd/%d", p[0].Fd()), syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	syscall.Close(fd)
	return true
})

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
