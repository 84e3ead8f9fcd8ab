//go:build !linux

package cellenv

import "syscall"

func shellProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
