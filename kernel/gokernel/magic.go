package gokernel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"ocs/kernel"
)

// CellMagic is a `%%NAME ARG` cell magic that a host package provides (the
// VCP layer's `%%ssh TARGET`). The kernel interpolates {expr} in ARG, runs
// the magic through the cell's gateway as one effect named Op, with the
// argument and the masked body as its arguments, and fails the cell with
// EName when Run returns an error.
type CellMagic struct {
	// Op names the effect in the journal, e.g. "vcp.ssh".
	Op string
	// EName is the error name of a failed cell, e.g. "SSHError".
	EName string
	// Run does the work: its output goes to the cell's streams as it is
	// written. The result map is journaled (JSON-compatible values).
	Run func(ctx context.Context, arg, body string, stdout, stderr io.Writer) (map[string]any, error)
}

var (
	magicsMu sync.Mutex
	magics   = map[string]CellMagic{}
)

// RegisterCellMagic makes `%%name ARG` a cell magic. Call it in the worker
// process before ServeWorker, as RegisterPackage.
func RegisterCellMagic(name string, m CellMagic) {
	magicsMu.Lock()
	defer magicsMu.Unlock()
	magics[name] = m
}

func lookupMagic(name string) (CellMagic, bool) {
	magicsMu.Lock()
	defer magicsMu.Unlock()
	m, ok := magics[name]
	return m, ok
}

// runMagic is what a rewritten registered cell magic calls.
func (w *worker) runMagic(name, arg, body string) {
	m, ok := lookupMagic(name)
	if !ok {
		w.fail(&cellFailure{EName: "MagicError", EValue: fmt.Sprintf("unknown cell magic %q", "%%"+name)})
	}
	ctx, run := w.cellContext()
	args := map[string]any{"arg": arg, "body": body}
	_, err := run.gw.Do(ctx, m.Op, args, func(ctx context.Context) (map[string]any, error) {
		res, err := m.Run(ctx, arg, body, streamWriter{e: w.emit, name: "stdout"}, streamWriter{e: w.emit, name: "stderr"})
		if res == nil {
			res = map[string]any{}
		}
		return res, err
	})
	if err == nil {
		return
	}
	var d *kernel.DivergenceError
	if errors.As(err, &d) || ctx.Err() != nil {
		w.failGateway(err, "%%"+name+" "+w.mask(arg))
	}
	w.fail(&cellFailure{EName: m.EName, EValue: fmt.Sprintf("%%%%%s %s: %s", name, w.mask(arg), w.mask(err.Error()))})
}

// Fail fails the running cell with the error name ename and message msg,
// from a host function called by cell code (e.g. vcp.Check): it unwinds the
// interpreted code as a failed `!` line does. Outside a cell it panics with
// an error.
func Fail(ename, msg string) {
	theWorkerMu.Lock()
	w := theWorker
	theWorkerMu.Unlock()
	if w == nil {
		panic(errors.New(ename + ": " + msg))
	}
	w.fail(&cellFailure{EName: ename, EValue: w.mask(msg)})
}

// theWorker is the worker of this process (there is one), for Fail.
var (
	theWorkerMu sync.Mutex
	theWorker   *worker
)
