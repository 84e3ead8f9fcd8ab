//go:build !linux

package gokernel

import "syscall"

func shellProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func workerProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
