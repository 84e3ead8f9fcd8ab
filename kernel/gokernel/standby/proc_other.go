//go:build !linux

package standby

import "syscall"

// No standby without Pdeathsig: one whose run died would wait for ever.
const supported = false

func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func ignoredSignals() uint64 { return unknownSignals }
