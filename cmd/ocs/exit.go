package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Exit codes, as documented in the README and `ocs help run`.
const (
	exitOK          = 0
	exitCellFailed  = 1
	exitUsage       = 2
	exitTimeout     = 3
	exitInfra       = 4
	exitInterrupted = 130
)

// usageError marks errors in how ocs was called: bad flags, arguments or
// input files.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// hinted carries a suggestion printed after the error line.
type hinted struct {
	err  error
	hint string
}

func (e hinted) Error() string { return e.err.Error() }
func (e hinted) Unwrap() error { return e.err }

// exitCode is the one map from errors to exit codes.
func exitCode(err error) int {
	var u usageError
	var ec interface{ ExitCode() int }
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &u):
		return exitUsage
	case errors.As(err, &ec):
		// An error that carries its own code, e.g. a remote command's status.
		return ec.ExitCode()
	}
	return exitInfra
}

// report prints err the way ocs prints every error and returns its exit code.
func report(w io.Writer, err error) int {
	msg := strings.TrimSpace(err.Error())
	fmt.Fprintf(w, "ocs: error: %s\n", msg)
	var h hinted
	if errors.As(err, &h) && h.hint != "" {
		fmt.Fprintf(w, "ocs: hint: %s\n", h.hint)
	}
	return exitCode(err)
}
