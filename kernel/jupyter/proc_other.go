//go:build !linux

package jupyter

import "syscall"

func kernelProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
