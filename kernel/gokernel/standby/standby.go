// Package standby starts the Go kernel's worker process early. A Go run is
// two cold starts of the ocs binary one after the other (`ocs run`, then the
// `ocs kernel-worker` it starts), each tens of milliseconds of runtime
// start-up and package inits before main. Imported by cmd/ocs, this
// package's init, which runs before nearly every other init of the binary
// (it depends on os and syscall alone), starts the worker of an `ocs run`
// at once, from a thread of its own, as a standby: it does its own inits while the run does its, then
// waits for the configuration the Go kernel would have given it at exec
// (working directory and environment). The Go kernel adopts it when that
// configuration cannot make a difference to what the Go runtime read at
// start (Fits); otherwise, or when the run needs no Go kernel, it is killed
// (Discard). OCS_STANDBY=0 in the environment of `ocs run` turns it off.
//
// The standby starts with an environment of its own: the variables of
// RuntimeEnv, copied from `ocs run`'s, and the marker WorkerEnv=standby;
// nothing else, so that no secret of the run's environment reaches it.
package standby

import (
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
)

const (
	// WorkerEnv marks a worker process: "1" in a worker's environment,
	// "standby" in a standby's until it is configured.
	WorkerEnv = "OCS_KERNEL_WORKER"
	// OptOutEnv set to "0" in the environment of `ocs run` starts no
	// standby.
	OptOutEnv = "OCS_STANDBY"
	// Subcommand is the hidden ocs verb of a worker.
	Subcommand = "kernel-worker"

	standbyMark = "standby"
	// requestFD is the worker's request pipe (the Go kernel's protocol),
	// which carries the configuration first.
	requestFD = 3
)

// RuntimeEnv names the variables a worker may read before its main
// function runs, or read once and keep: the Go runtime's (GOGC,
// GOMEMLIMIT, GODEBUG, GOMAXPROCS, GOTRACEBACK; GORACE and GOCOVERDIR in
// race and coverage builds), the locale, which go-runewidth reads in its
// init, and TZ and ZONEINFO, which package time reads once, at the first use
// of local time (an init could be that first use). A kernel whose
// environment differs from the standby's in one of them gets a fresh worker.
var RuntimeEnv = []string{
	"GOGC", "GOMEMLIMIT", "GODEBUG", "GOMAXPROCS", "GOTRACEBACK", "GORACE", "GOCOVERDIR",
	"RUNEWIDTH_EASTASIAN", "LC_ALL", "LC_CTYPE", "LANG", "TZ", "ZONEINFO",
}

// Worker is a standby worker process and the supervisor's ends of its
// pipes, laid out as the Go kernel lays out a worker it starts: stdin from
// /dev/null, stdout and stderr one pipe, fd 3 requests, fd 4 messages.
type Worker struct {
	Process  *os.Process
	Argv     []string
	Requests *os.File // write end of the worker's fd 3
	Messages *os.File // read end of the worker's fd 4
	Output   *os.File // read end of the worker's stdout and stderr

	env     []string // the standby's whole environment
	ignored uint64   // signals ignored when it started (bit n-1: signal n)
}

// waiting is the standby no kernel took yet.
var waiting atomic.Pointer[Worker]

// launching is closed when no launch by init is under way any more.
var launching = make(chan struct{})

func init() {
	// A worker runs on one P (gokernel.ServeWorker says why). Set before
	// the other inits allocate: runtime.GOMAXPROCS stops the world and
	// waits for a GC cycle under way, which made the same call in
	// ServeWorker take 1.6 to 3.6 ms; ServeWorker's then changes nothing.
	if os.Getenv(WorkerEnv) != "" && os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	if !wanted(os.Args, os.Getenv) {
		close(launching)
		return
	}
	go launchAndHold()
}

// launchAndHold launches the standby from a thread of its own, so that the
// run's other inits go on meanwhile (the fork waits for the child's exec,
// milliseconds), and keeps that thread for the rest of the process: the
// standby's Pdeathsig is tied to the thread that forked it, and a thread
// locked to a goroutine that never returns lives as long as the process.
func launchAndHold() {
	runtime.LockOSThread()
	_ = Launch()
	close(launching)
	select {}
}

// wanted says whether this process is an `ocs run` (global flags allowed
// before the verb) that should start a standby: not a worker itself, not
// opted out, not asking for help.
func wanted(args []string, getenv func(string) string) bool {
	if !supported || getenv(WorkerEnv) != "" || getenv(OptOutEnv) == "0" {
		return false
	}
	verb := -1
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "run" {
			verb = i
			break
		}
		switch {
		case a == "--log-format" || a == "--log-level":
			i++ // its value
		case hasPrefix(a, "--log-format=") || hasPrefix(a, "--log-level="):
		default:
			return false
		}
	}
	if verb < 0 {
		return false
	}
	// Runs that start no kernel (a wrong flag only shows later, and its
	// standby is discarded then).
	for _, a := range args[verb+1:] {
		if a == "--" {
			break
		}
		switch a {
		case "-h", "--help", "--help-params", "--prepare-only":
			return false
		}
	}
	return goLikely(args[verb+1:])
}

func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

// Launch starts a standby worker, this executable with the kernel-worker
// verb, unless one is waiting already. The init of this package calls it in
// an `ocs run`; tests call it to have one.
func Launch() error {
	if waiting.Load() != nil {
		return nil
	}
	w, err := launch()
	if err != nil {
		return err
	}
	if !waiting.CompareAndSwap(nil, w) {
		w.Kill()
	}
	return nil
}

func launch() (*Worker, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var env []string
	for _, name := range RuntimeEnv {
		if v, ok := syscall.Getenv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	env = append(env, WorkerEnv+"="+standbyMark)
	null, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	defer null.Close()
	var files [6]*os.File // reqR, reqW, msgR, msgW, outR, outW
	closeAll := func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}
	for i := 0; i < len(files); i += 2 {
		if files[i], files[i+1], err = os.Pipe(); err != nil {
			closeAll()
			return nil, err
		}
	}
	reqR, reqW, msgR, msgW, outR, outW := files[0], files[1], files[2], files[3], files[4], files[5]
	argv := []string{exe, Subcommand}
	ignored := ignoredSignals()
	p, err := os.StartProcess(exe, argv, &os.ProcAttr{
		Env:   env,
		Files: []*os.File{null, outW, outW, reqR, msgW},
		Sys:   procAttr(),
	})
	reqR.Close()
	msgW.Close()
	outW.Close()
	if err != nil {
		reqW.Close()
		msgR.Close()
		outR.Close()
		return nil, err
	}
	return &Worker{Process: p, Argv: argv, Requests: reqW, Messages: msgR, Output: outR, env: env, ignored: ignored}, nil
}

// Take hands the waiting standby to the caller, who adopts or kills it; nil
// when there is none. Only the first caller gets it: a process has one
// standby, for its first kernel.
func Take() *Worker {
	<-launching
	return waiting.Swap(nil)
}

// Discard kills and reaps a standby nobody took: the run needs no Go kernel
// (a Jupyter kernel runs the notebook, or it ends before any kernel).
func Discard() {
	if w := Take(); w != nil {
		w.Kill()
	}
}

// Kill ends the standby and reaps it.
func (w *Worker) Kill() {
	_ = syscall.Kill(-w.Process.Pid, syscall.SIGKILL)
	_ = w.Process.Kill()
	w.Requests.Close()
	w.Messages.Close()
	w.Output.Close()
	_, _ = w.Process.Wait()
}

// Fits says whether the standby can serve a kernel whose worker
// environment is env: the RuntimeEnv variables have the same values (or
// are unset in both), and the signals a freshly started worker would
// inherit ignored are the ones the standby inherited. The reason says what
// differs.
func (w *Worker) Fits(env []string) (ok bool, reason string) {
	for _, name := range RuntimeEnv {
		a, aok := lookup(w.env, name)
		b, bok := lookup(env, name)
		if a != b || aok != bok {
			return false, name + " differs"
		}
	}
	if now := ignoredSignals(); now != w.ignored || now == unknownSignals {
		return false, "ignored signals differ"
	}
	return true, ""
}

// lookup finds name in env as exec would pass it: the last entry wins.
func lookup(env []string, name string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		kv := env[i]
		if len(kv) > len(name) && kv[len(name)] == '=' && kv[:len(name)] == name {
			return kv[len(name)+1:], true
		}
	}
	return "", false
}
