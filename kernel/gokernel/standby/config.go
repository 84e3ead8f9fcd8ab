package standby

import (
	"errors"
	"os"
	"syscall"
)

// unknownSignals stands for a set of ignored signals that could not be
// read; Fits refuses it.
const unknownSignals = ^uint64(0)

// maxConfig bounds the configuration a standby reads (an environment of a
// few kilobytes, typically).
const maxConfig = 16 << 20

// The configuration is the first thing on the request pipe: an 8-byte
// big-endian length, then the working directory and each environment
// entry, each ended by a NUL byte (which neither may contain). The Go
// kernel's protocol follows it on the same pipe.

// Configure sends the standby the working directory ("" = this process's)
// and the environment a fresh worker would get at exec, after which it goes
// on as that worker. env is deduplicated as os/exec does (the last entry of
// a name wins, at its place); an entry exec would pass but the standby could
// not set (no "=", an empty name, a NUL byte) is an error, and nothing is
// sent.
func (w *Worker) Configure(dir string, env []string) error {
	env, err := dedupEnv(env)
	if err != nil {
		return err
	}
	if indexByte(dir, 0) >= 0 {
		return errors.New("standby: directory contains NUL")
	}
	n := len(dir) + 1
	for _, kv := range env {
		n += len(kv) + 1
	}
	buf := make([]byte, 8, 8+n)
	for i := 0; i < 8; i++ {
		buf[i] = byte(uint64(n) >> (56 - 8*i))
	}
	buf = append(append(buf, dir...), 0)
	for _, kv := range env {
		buf = append(append(buf, kv...), 0)
	}
	_, err = w.Requests.Write(buf)
	return err
}

// dedupEnv is os/exec's deduplication of an environment on Unix, refusing
// what syscall.Setenv cannot reproduce.
func dedupEnv(env []string) ([]string, error) {
	saw := make(map[string]bool, len(env))
	out := make([]string, 0, len(env))
	for i := len(env) - 1; i >= 0; i-- {
		kv := env[i]
		eq := indexByte(kv, '=')
		if eq <= 0 || indexByte(kv, 0) >= 0 {
			return nil, errors.New("standby: an environment entry is not NAME=VALUE")
		}
		if saw[kv[:eq]] {
			continue
		}
		saw[kv[:eq]] = true
		out = append(out, kv)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// Await makes a standby the worker it is adopted as: it waits for the
// configuration (Configure) and applies it, working directory and
// environment, before anything else runs; a standby whose request pipe
// ends first (its run needed no Go kernel, or died) exits quietly. In any
// other process it returns at once. Call it first thing in main (and in a
// TestMain whose binary serves as a worker).
func Await() {
	if os.Getenv(WorkerEnv) != standbyMark {
		return
	}
	dir, env, err := readConfig(requestFD)
	if errors.Is(err, errNoConfig) {
		os.Exit(0)
	}
	if err == nil && dir != "" {
		err = os.Chdir(dir) // "chdir DIR: ...", as a failed exec says
	}
	if err != nil {
		os.Stderr.WriteString("ocs kernel-worker: standby: " + err.Error() + "\n")
		os.Exit(1)
	}
	syscall.Clearenv()
	for _, kv := range env {
		eq := indexByte(kv, '=')
		_ = syscall.Setenv(kv[:eq], kv[eq+1:])
	}
}

var errNoConfig = errors.New("the request pipe ended before a configuration")

// readConfig reads the configuration off fd, not a byte more: what follows
// is the kernel's protocol, read later through the runtime's poller.
func readConfig(fd int) (string, []string, error) {
	var head [8]byte
	if err := readFull(fd, head[:]); err != nil {
		return "", nil, err
	}
	var n uint64
	for _, b := range head {
		n = n<<8 | uint64(b)
	}
	if n == 0 || n > maxConfig {
		return "", nil, errors.New("bad configuration length")
	}
	body := make([]byte, n)
	if err := readFull(fd, body); err != nil {
		if errors.Is(err, errNoConfig) {
			err = errors.New("truncated configuration")
		}
		return "", nil, err
	}
	return parseConfig(body)
}

// parseConfig splits a configuration's body into the directory and the
// environment entries.
func parseConfig(body []byte) (string, []string, error) {
	if len(body) == 0 || body[len(body)-1] != 0 {
		return "", nil, errors.New("bad configuration")
	}
	var fields []string
	start := 0
	for i, b := range body {
		if b == 0 {
			fields = append(fields, string(body[start:i]))
			start = i + 1
		}
	}
	for _, kv := range fields[1:] {
		if indexByte(kv, '=') <= 0 {
			return "", nil, errors.New("bad environment entry in the configuration")
		}
	}
	return fields[0], fields[1:], nil
}

// readFull fills buf from fd; the end of the pipe before that is
// errNoConfig.
func readFull(fd int, buf []byte) error {
	n, err := readUpTo(fd, buf)
	if err != nil {
		return err
	}
	if n < len(buf) {
		return errNoConfig
	}
	return nil
}

// readUpTo reads fd with bare system calls (this package runs in the
// run's init, and a system call costs microseconds in some VMs) until buf
// is full or the file ends, reading again after a signal; it returns how
// much it read.
func readUpTo(fd int, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	return n, nil
}

// index returns where key first stands in b, or -1.
func index(b []byte, key string) int {
	for i := 0; i+len(key) <= len(b); i++ {
		if string(b[i:i+len(key)]) == key {
			return i
		}
	}
	return -1
}
