package cellenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
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
	Stdout, Stderr io.Writer
	// Started, when set, is called with the shell's PID, which is also its
	// process group's id, once it runs; Ended once that group is killed.
	Started, Ended func(pid int)
}

// Run runs c in a process group of its own, and kills the whole group when
// ctx ends and when the shell exits (a pipeline member or a background job
// may outlive it). It returns the exit status (128+N for a signal N), or
// ctx.Err() when ctx ended first.
func Run(ctx context.Context, c Command) (int, error) {
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	shell := c.Shell
	if shell == "" {
		shell = Shell()
	}
	cmd := exec.CommandContext(ctx, shell, "-c", c.Line)
	cmd.Dir = c.Dir
	cmd.Env = c.Env
	cmd.Stdout, cmd.Stderr = c.Stdout, c.Stderr
	cmd.SysProcAttr = shellProcAttr()
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// A background process that keeps the output pipe open must not hold
	// the cell once the command itself has ended.
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", shell, err)
	}
	pid := cmd.Process.Pid
	if c.Started != nil {
		c.Started(pid)
	}
	err := cmd.Wait()
	_ = syscall.Kill(-pid, syscall.SIGKILL)
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
