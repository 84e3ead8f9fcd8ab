// Package kernel is the seam between the runner and an execution engine: it
// runs one cell at a time, streams what the cell produces to a Host in the
// order it was produced, and tells a failing cell apart from an engine that
// can no longer run anything. It is protocol-neutral: the Go kernel runs cells
// in a supervised worker process, and a Jupyter wire-protocol kernel can sit
// behind the same interface.
package kernel

import (
	"context"
	"errors"
	"fmt"
)

// Kernel runs the code cells of one notebook, keeping state across cells.
// Execute is called for one cell at a time; a Kernel need not support
// concurrent calls.
type Kernel interface {
	// Execute runs cell and reports its outputs and effects to host as they
	// happen. It returns nil when the cell completed, a *CellError when the
	// cell's code failed (the error output has already been sent to host), an
	// error wrapping ctx.Err() when ctx was cancelled (the kernel stops the
	// cell, including its shell children, within two seconds and stays
	// usable), and an error wrapping ErrDead when the engine itself is gone.
	Execute(ctx context.Context, cell Cell, host Host) error
	// Close stops the engine and everything it started.
	Close() error
}

// LanguageInfoer is implemented by a Kernel that knows its language's
// language_info (a Jupyter kernel's, from its kernel_info_reply): the
// runner writes it into the record's metadata.language_info, as nbclient
// does.
type LanguageInfoer interface {
	// LanguageInfo returns the language_info object, nil when unknown.
	LanguageInfo() map[string]any
}

// Starter is a Kernel whose constructor returns while its engine is still
// starting, so that the start overlaps the caller's own preparation. Ready
// waits until the engine can run a cell; an engine that did not start is an
// error wrapping ErrDead. The runner calls it before the first cell, so a
// cell's time never includes the start. Execute waits by itself too.
type Starter interface {
	Kernel
	Ready(ctx context.Context) error
}

// Finisher is a Kernel that can begin to shut down before Close. The
// runner calls Finish once no cell is left to run, before it writes the
// record's final save, so that the engine's exit (a process's teardown, a
// Jupyter kernel's shutdown) overlaps that save; Execute is not called
// after it. Close still stops the engine and waits for it.
type Finisher interface {
	Kernel
	Finish()
}

// Cell is one code cell to execute.
type Cell struct {
	// ID is the notebook cell id, used in logs and error messages.
	ID string
	// Index is the cell's position in the notebook (0-based).
	Index int
	// Source is the cell's code as the notebook holds it.
	Source string
	// Count is the execution count the runner assigned to this run of the
	// cell; execute_result outputs carry it.
	Count int
	// Mode says whether side effects happen (Live) or are answered from
	// Journal (Replay).
	Mode Mode
	// Journal holds the effects this cell made in an earlier run, in order.
	// Only used in Replay mode.
	Journal []Effect
	// Mask lists values (secrets the runner knows, such as secret-looking
	// parameters) that the kernel replaces with "********" in everything it
	// reports, effects included, so that a replayed call compares equal to
	// its journal entry, which was masked the same way.
	Mask []string
}

// Mode selects how a kernel treats the side effects of a cell.
type Mode int

const (
	// Live runs every side effect for real and reports it to Host.Effect.
	Live Mode = iota
	// Replay runs the cell's code but answers each side-effecting call from
	// Cell.Journal without executing it. A call that does not match the
	// journal fails the cell with a *DivergenceError.
	Replay
)

func (m Mode) String() string {
	switch m {
	case Live:
		return "live"
	case Replay:
		return "replay"
	}
	return fmt.Sprintf("mode(%d)", int(m))
}

// Host receives what a running cell produces, and answers what it asks for.
// Calls come from one goroutine at a time, in the order things happened.
type Host interface {
	// Output reports one output of the cell.
	Output(Output)
	// Effect reports a side-effecting call that completed (in Live mode).
	Effect(Effect)
	// Secret returns the value of the named secret, or an error naming it.
	Secret(name string) (string, error)
}

// EffectStarter is implemented by a Host that journals effects when they
// start as well as when they end, so that an effect cut short by a kill is
// known to have started. A kernel calls EffectStarted before the effect
// runs (the Effect has Op and Args, no Result) and waits for it; an error
// means the start could not be recorded, and the effect does not run. The
// matching Host.Effect call follows when it ends, also when it ended by
// interruption (Err says so).
type EffectStarter interface {
	EffectStarted(Effect) error
}

// ErrEffectInterrupted is the Err of an effect that the cell's interruption
// (Ctrl-C, a timeout) cut short: it may have done part of its work.
const ErrEffectInterrupted = "interrupted"

// OutputKind says which nbformat output an Output becomes.
type OutputKind string

// The output kinds, named as nbformat names them.
const (
	Stream  OutputKind = "stream"
	Display OutputKind = "display_data"
	Result  OutputKind = "execute_result"
	Error   OutputKind = "error"
	// UpdateDisplay replaces Data and Metadata of the earlier Display
	// outputs that carry the same DisplayID (nbformat keeps no output of
	// its own for it).
	UpdateDisplay OutputKind = "update_display_data"
	// ClearOutput removes the cell's outputs so far.
	ClearOutput OutputKind = "clear_output"
)

// Output is one output of a cell, independent of any wire protocol.
type Output struct {
	Kind OutputKind
	// Name ("stdout" or "stderr") and Text for Stream.
	Name string
	Text string
	// Data is the MIME bundle of Display and Result outputs: text types map
	// to a string, application/json (and +json types) to a decoded JSON value.
	Data     map[string]any
	Metadata map[string]any
	// DisplayID names a Display output that later UpdateDisplay outputs
	// change ("" for none).
	DisplayID string
	// ExecutionCount is the Cell.Count of the run that produced a Result.
	ExecutionCount int
	// EName, EValue and Traceback for Error.
	EName     string
	EValue    string
	Traceback []string
}

// Effect is one side-effecting call that cell code made through ocs: a shell
// command, a file written by a magic, a VCP operation, a secret request. The
// runner journals effects in the build record so that a later run can replay
// the cell without doing the work again.
type Effect struct {
	// Op names the operation, e.g. "shell", "writefile", "vcp.create_unit",
	// "secret".
	Op string `json:"op"`
	// Args are the call's arguments as JSON-compatible values, secrets masked.
	Args map[string]any `json:"args,omitempty"`
	// Result is what the call returned, as JSON-compatible values.
	Result map[string]any `json:"result,omitempty"`
	// Err is the call's error message, if it failed.
	Err string `json:"error,omitempty"`
}

// Spec names the notebook language a kernel runs, as a notebook's
// metadata.kernelspec records it.
type Spec struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Language    string `json:"language"`
}

// ErrDead is wrapped by errors that mean the engine can run no more cells:
// its worker process crashed or could not be started.
var ErrDead = errors.New("kernel died")

// CellError is a failure of the cell's own code: a compile error, a panic, a
// failed shell command. The corresponding error output has been sent to Host.
type CellError struct {
	EName  string
	EValue string
}

func (e *CellError) Error() string {
	if e.EValue == "" {
		return e.EName
	}
	return e.EName + ": " + e.EValue
}

// DivergenceError says that a cell replayed from a journal made a call that
// the journal does not hold at that point.
type DivergenceError struct {
	CellIndex int
	Call      string // the call the code made, secrets masked
	Journal   string // what the journal held at that point ("" when it ran out)
}

func (e *DivergenceError) Error() string {
	held := e.Journal
	if held == "" {
		held = "no further call"
	}
	return fmt.Sprintf("replay of cell %d diverged: the code called %s, the journal holds %s", e.CellIndex, e.Call, held)
}
