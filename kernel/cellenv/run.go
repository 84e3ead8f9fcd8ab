package cellenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Command is one shell command line a cell runs (`!cmd`).
type Command struct {
	// Shell runs the line as `Shell -c LINE` ("" = Shell()).
	Shell string
	Line  string
	// Dir is the command's working directory ("" = this process's).
	Dir string
	// Env is the command's environment (an Env's Environ()).
	Env []string
	// Stdout and Stderr receive the output as it comes (nil discards it).
	// One writer given as both gets both streams, in the order written.
	Stdout, Stderr io.Writer
	// Started, when set, is called with the shell's PID, which is also its
	// process group's id, once it runs; Ended once that group is killed.
	Started, Ended func(pid int)
}

// heldOutputGrace is how long output is still read after the shell exited,
// from a background job that keeps the output open; then its group is
// killed.
const heldOutputGrace = time.Second

// Run runs c in a process group of its own, and kills the whole group when
// ctx ends and when the shell exits (a pipeline member or a background job
// may outlive it; what such a job writes within a second of the shell's
// exit is kept). It returns the exit status (128+N for a signal N), or
// ctx.Err() when ctx ended first.
//
// Run reads the output pipes itself, with pooled buffers, rather than
// through os/exec's copying goroutines: a `!` line is mostly the shell's
// start, and the copy's allocations and goroutines were a third of what
// this process spent on it.
func Run(ctx context.Context, c Command) (int, error) {
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	shell := c.Shell
	if shell == "" {
		shell = Shell()
	}
	cmd := exec.Command(shell, "-c", c.Line)
	direct := false
	if filepath.Base(shell) == "bash" {
		if path, argv, env, ok := directCommand(c.Line, c.Dir, c.Env); ok {
			cmd, direct = &exec.Cmd{Path: path, Args: argv, Env: env}, true
		}
	}
	pipes, err := start(cmd, c)
	if err != nil && direct {
		// The kernel would not exec the program (a script without #!, a
		// file that changed since it was found); nothing ran, so bash runs
		// the line and says what it makes of it.
		cmd = exec.Command(shell, "-c", c.Line)
		pipes, err = start(cmd, c)
	}
	if err != nil {
		return 0, fmt.Errorf("start %s: %w", shell, err)
	}
	pid := cmd.Process.Pid
	if c.Started != nil {
		c.Started(pid)
	}
	killGroup := func() { _ = syscall.Kill(-pid, syscall.SIGKILL) }
	stop := context.AfterFunc(ctx, killGroup)

	exited := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		// Output still held open by a job that outlived the shell is read
		// for a little longer, then the reads end.
		for _, p := range pipes {
			_ = p.r.SetReadDeadline(time.Now().Add(heldOutputGrace))
		}
		exited <- err
	}()
	copyAll(pipes)
	err = <-exited
	stop()
	killGroup()
	closePipes(pipes)
	if c.Ended != nil {
		c.Ended(pid)
	}
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	if err == nil {
		return 0, nil
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return 0, fmt.Errorf("run %s: %w", shell, err)
	}
	status := exit.ExitCode()
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && status < 0 && ws.Signaled() {
		status = 128 + int(ws.Signal())
	}
	return status, nil
}

// start starts cmd, in c's folder and a process group of its own, with
// pipes to c's writers; the returned pipes are what is left to read.
func start(cmd *exec.Cmd, c Command) ([]*outPipe, error) {
	cmd.Dir = c.Dir
	if cmd.Env == nil {
		cmd.Env = c.Env
	}
	cmd.SysProcAttr = shellProcAttr()
	var pipes []*outPipe
	attach := func(w io.Writer) (*os.File, error) {
		if w == nil {
			return nil, nil // os/exec gives the command /dev/null
		}
		r, wr, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		pipes = append(pipes, &outPipe{r: r, w: w})
		return wr, nil
	}
	stdout, err := attach(c.Stdout)
	if err != nil {
		return nil, err
	}
	stderr := stdout
	if !sameWriter(c.Stdout, c.Stderr) {
		if stderr, err = attach(c.Stderr); err != nil {
			closeFiles(stdout)
			closePipes(pipes)
			return nil, err
		}
	}
	// Set as *os.File, os/exec hands the pipes to the command as they are.
	if stdout != nil {
		cmd.Stdout = stdout
	}
	if stderr != nil {
		cmd.Stderr = stderr
	}
	err = cmd.Start()
	// The command holds the write ends now; this process must not, or the
	// reads would never end.
	closeFiles(stdout)
	if stderr != stdout {
		closeFiles(stderr)
	}
	if err != nil {
		closePipes(pipes)
		return nil, err
	}
	return pipes, nil
}

func closeFiles(files ...*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}

// sameWriter reports whether a and b are one writer (compared as
// interface values, as os/exec does, when their type allows it).
func sameWriter(a, b io.Writer) (same bool) {
	if a == nil || b == nil {
		return false
	}
	defer func() {
		if recover() != nil {
			same = false // an uncomparable type
		}
	}()
	return a == b
}

// outPipe is the read end of one of the shell's outputs and where its
// text goes.
type outPipe struct {
	r *os.File
	w io.Writer
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// copyAll copies every pipe to its writer until its end (EOF, the grace
// deadline, or a writer that fails, which closes the pipe so that the
// command gets SIGPIPE rather than block). The last pipe is read on the
// calling goroutine.
func copyAll(pipes []*outPipe) {
	var wg sync.WaitGroup
	for i, p := range pipes {
		if i == len(pipes)-1 {
			p.copy()
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.copy()
		}()
	}
	wg.Wait()
}

func (p *outPipe) copy() {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		n, err := p.r.Read(buf)
		if n > 0 {
			if _, werr := p.w.Write(buf[:n]); werr != nil {
				p.r.Close()
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func closePipes(pipes []*outPipe) {
	for _, p := range pipes {
		p.r.Close()
	}
}
