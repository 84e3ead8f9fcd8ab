package cellenv

import "syscall"

// shellProcAttr puts a shell command in its own process group, so that an
// interrupt kills the whole pipeline, and kills the shell if the process
// that ran it dies.
func shellProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
