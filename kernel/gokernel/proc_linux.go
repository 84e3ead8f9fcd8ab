package gokernel

import "syscall"

// workerProcAttr keeps the worker out of the terminal's process group (the
// supervisor decides about interrupts) and tells it when the supervisor
// dies: SIGTERM, not SIGKILL, so that the worker first kills the process
// groups of its shell commands, which Pdeathsig cannot reach (a pipeline's
// members are the shell's children, not the worker's).
func workerProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
