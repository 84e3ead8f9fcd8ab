package jupyter

import "syscall"

// kernelProcAttr puts the kernel in its own process group, so that an
// interrupt or a kill reaches what it started too, and has Linux kill it
// when ocs dies (kill -9 included).
func kernelProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
