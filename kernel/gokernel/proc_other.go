//go:build !linux

package gokernel

import "syscall"

func workerProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
