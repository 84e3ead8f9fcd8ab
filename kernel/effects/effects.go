// Package effects is the one door through which cell code causes side
// effects: shell commands, files written by magics, secret requests, VCP
// operations. The kernel worker installs a Gateway for each cell; in Live mode
// it runs the call and journals it, in Replay mode it answers the call from
// the journal without running it. Host packages registered into the
// interpreter (the VCP SDK, say) reach the current cell's gateway with Do.
package effects

import (
	"context"
	"errors"
	"sync"
)

// Gateway runs or replays one side-effecting call. op names the operation
// ("shell", "vcp.create_unit"); args are JSON-compatible, secrets already
// masked, and identify the call for replay; live does the work and returns a
// JSON-compatible result. In Replay mode live is not called.
type Gateway interface {
	Do(ctx context.Context, op string, args map[string]any, live func(ctx context.Context) (map[string]any, error)) (map[string]any, error)
}

// ErrNoCell is returned by Do when no cell is running, e.g. from a goroutine
// that outlived the cell that started it.
var ErrNoCell = errors.New("no cell is running")

var (
	mu         sync.Mutex
	currentCtx context.Context
	currentGW  Gateway
)

// Install makes g and ctx the current cell's gateway and context, until the
// returned function is called. The worker runs one cell at a time, so one
// process-wide slot is enough; host functions called from interpreted code
// have no other way to learn which cell they serve.
func Install(ctx context.Context, g Gateway) (uninstall func()) {
	mu.Lock()
	prevCtx, prevGW := currentCtx, currentGW
	currentCtx, currentGW = ctx, g
	mu.Unlock()
	return func() {
		mu.Lock()
		currentCtx, currentGW = prevCtx, prevGW
		mu.Unlock()
	}
}

// Current returns the running cell's context and gateway, or ok=false when
// no cell is running.
func Current() (ctx context.Context, g Gateway, ok bool) {
	mu.Lock()
	defer mu.Unlock()
	if currentGW == nil {
		return context.Background(), nil, false
	}
	return currentCtx, currentGW, true
}

// Do routes one call through the current cell's gateway, bounded by the
// cell's context (cancelled when the cell is interrupted).
func Do(op string, args map[string]any, live func(ctx context.Context) (map[string]any, error)) (map[string]any, error) {
	ctx, g, ok := Current()
	if !ok {
		return nil, ErrNoCell
	}
	return g.Do(ctx, op, args, live)
}
