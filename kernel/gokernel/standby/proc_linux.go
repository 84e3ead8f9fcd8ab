package standby

import "syscall"

const supported = true

// procAttr is the Go kernel's workerProcAttr: the worker's own process
// group, and SIGTERM when the thread that forked it dies (launchAndHold
// keeps that thread for the life of the process).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// ignoredSignals returns the signals this process ignores, which every
// process it starts inherits ignored (bit n-1: signal n), from the kernel's
// own account (SigIgn in /proc/self/status); unknownSignals when it cannot
// be read.
func ignoredSignals() uint64 {
	// Straight system calls, not os.ReadFile (see readUpTo).
	fd, err := syscall.Open("/proc/self/status", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return unknownSignals
	}
	defer syscall.Close(fd)
	var buf [8192]byte
	n, err := readUpTo(fd, buf[:])
	if err != nil {
		return unknownSignals
	}
	return parseSigIgn(buf[:n])
}

// parseSigIgn reads the SigIgn line of a /proc/PID/status: up to 16 hex
// digits after the key and blanks.
func parseSigIgn(b []byte) uint64 {
	const key = "\nSigIgn:"
	i := index(b, key)
	if i < 0 {
		return unknownSignals
	}
	rest := b[i+len(key):]
	for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
		rest = rest[1:]
	}
	var mask uint64
	for digits, c := range rest {
		switch {
		case c >= '0' && c <= '9':
			mask = mask<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			mask = mask<<4 | uint64(c-'a'+10)
		default:
			if c != '\n' || digits == 0 || digits > 16 {
				return unknownSignals
			}
			return mask
		}
	}
	return unknownSignals
}
