package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"ocs/kernel/vcp"
	"ocs/notebook"
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

// usageError marks errors in how ocs was called: bad flags or arguments.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// inputError marks input that ocs cannot use: a missing or unreadable
// file, an invalid notebook. It exits 2 like a usage error, without the usage.
type inputError struct{ err error }

func (e inputError) Error() string { return e.err.Error() }
func (e inputError) Unwrap() error { return e.err }

// reported wraps an error whose details a command has already printed; only
// its exit code is still owed.
type reported struct{ err error }

func (e reported) Error() string { return e.err.Error() }
func (e reported) Unwrap() error { return e.err }

// hinted carries a suggestion printed after the error line.
type hinted struct {
	err  error
	hint string
}

func (e hinted) Error() string { return e.err.Error() }
func (e hinted) Unwrap() error { return e.err }

// runError is a run that ended without success: code is its exit code,
// hint a suggestion printed after the error line.
type runError struct {
	code int
	err  error
	hint string
}

func (e runError) Error() string { return e.err.Error() }
func (e runError) Unwrap() error { return e.err }
func (e runError) ExitCode() int { return e.code }

// exitCode is the one map from errors to exit codes.
func exitCode(err error) int {
	var u usageError
	var in inputError
	var ec interface{ ExitCode() int }
	var corrupt *vcp.CorruptStateError
	switch {
	case err == nil:
		return exitOK
	// A damaged state file is bad input, like an invalid notebook: ocs
	// names it and leaves it for a person to fix.
	case errors.As(err, &u), errors.As(err, &in), errors.Is(err, notebook.ErrInvalid), errors.As(err, &corrupt):
		return exitUsage
	case errors.As(err, &ec):
		// An error that carries its own code, e.g. a remote command's status.
		return ec.ExitCode()
	}
	return exitInfra
}

// report prints err the way ocs prints every error and returns its exit
// code. Usage errors are followed by the usage of the command at fault.
func report(w io.Writer, cmd *cobra.Command, err error) int {
	if c, ok := w.(*console); ok && c.json {
		return reportJSON(c, err)
	}
	var done reported
	if !errors.As(err, &done) {
		fmt.Fprintf(w, "ocs: error: %s\n", strings.TrimSpace(err.Error()))
	}
	var h hinted
	var re runError
	switch {
	case errors.As(err, &h) && h.hint != "":
		fmt.Fprintf(w, "ocs: hint: %s\n", h.hint)
	case errors.As(err, &re) && re.hint != "":
		fmt.Fprintf(w, "ocs: hint: %s\n", re.hint)
	}
	var u usageError
	if errors.As(err, &u) && cmd != nil && !errors.As(err, &done) {
		fmt.Fprintf(w, "\n%s", cmd.UsageString())
	}
	return exitCode(err)
}

// reportJSON is report for --log-format json: one log event with the
// error, its hint and the exit code.
func reportJSON(w io.Writer, err error) int {
	code := exitCode(err)
	ev := map[string]any{"level": "error", "message": strings.TrimSpace(err.Error()), "exit_code": code}
	var h hinted
	var re runError
	switch {
	case errors.As(err, &h) && h.hint != "":
		ev["hint"] = h.hint
	case errors.As(err, &re) && re.hint != "":
		ev["hint"] = re.hint
	}
	var done reported
	if errors.As(err, &done) {
		ev["message"] = "failed"
	}
	w.Write(jsonEvent(ev))
	return code
}
