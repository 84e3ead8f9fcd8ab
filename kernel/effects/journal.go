package effects

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"ocs/kernel"
)

// Journal is the Gateway of one cell run, the same for every kernel that
// serves effects: in Live mode it runs each call and reports it, masked, to
// the report callback (which hands it to the kernel.Host); in Replay mode it
// answers each call from the cell's journal, in order, without running it,
// and records the first call that does not match.
type Journal struct {
	mode      kernel.Mode
	cellIndex int
	mask      func(string) string
	report    func(kernel.Effect) error
	onStart   func(kernel.Effect) error

	mu       sync.Mutex
	journal  []kernel.Effect
	next     int
	diverged *kernel.DivergenceError
}

var _ Gateway = (*Journal)(nil)

// NewJournal returns the gateway of one run of a cell. mode and journal are
// the cell's (kernel.Cell.Mode and Journal), cellIndex its index (named in
// divergence errors). mask replaces secret values in a string (nil masks
// nothing); it is applied to the arguments before they are compared or
// journaled, and to results and errors before they are reported. report is
// called with every effect a Live call completed; an error from it fails the
// call.
func NewJournal(mode kernel.Mode, journal []kernel.Effect, cellIndex int, mask func(string) string, report func(kernel.Effect) error) *Journal {
	if mask == nil {
		mask = func(s string) string { return s }
	}
	if report == nil {
		report = func(kernel.Effect) error { return nil }
	}
	return &Journal{mode: mode, journal: journal, cellIndex: cellIndex, mask: mask, report: report}
}

// OnStart sets a callback that a Live call reports its start to (the
// Effect without Result, secrets masked) before it runs; an error from it
// fails the call without running it. Kernels pass the Host's
// kernel.EffectStarter here. It returns j.
func (j *Journal) OnStart(f func(kernel.Effect) error) *Journal {
	j.onStart = f
	return j
}

// Do runs (Live) or replays (Replay) one call. In Replay mode a call that
// does not match the journal returns a *kernel.DivergenceError, and so does
// every later call. When ctx ends during a Live call, Do returns ctx.Err()
// and reports the effect with Err kernel.ErrEffectInterrupted: it started,
// and may have done part of its work.
func (j *Journal) Do(ctx context.Context, op string, args map[string]any, live func(ctx context.Context) (map[string]any, error)) (map[string]any, error) {
	// Host packages pass arguments as the code gave them (a node's
	// environment may hold a password): secrets are masked before the call
	// is compared with the journal or journaled.
	args, _ = MaskValue(args, j.mask).(map[string]any)
	if j.mode == kernel.Replay {
		return j.replay(op, args)
	}
	if j.onStart != nil {
		if err := j.onStart(kernel.Effect{Op: op, Args: args}); err != nil {
			return nil, fmt.Errorf("journal the start of %s: %w", op, err)
		}
	}
	res, err := live(ctx)
	if ctx.Err() != nil {
		_ = j.report(kernel.Effect{Op: op, Args: args, Err: kernel.ErrEffectInterrupted})
		return nil, ctx.Err()
	}
	// The code gets the real result; the journal a masked copy.
	masked, _ := MaskValue(res, j.mask).(map[string]any)
	eff := kernel.Effect{Op: op, Args: args, Result: masked}
	if err != nil {
		eff.Err = j.mask(err.Error())
	}
	if reportErr := j.report(eff); reportErr != nil && err == nil {
		err = fmt.Errorf("report effect: %w", reportErr)
	}
	return res, err
}

func (j *Journal) replay(op string, args map[string]any) (map[string]any, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.diverged != nil {
		return nil, j.diverged
	}
	call := describeCall(op, args)
	if j.next >= len(j.journal) {
		j.diverged = &kernel.DivergenceError{CellIndex: j.cellIndex, Call: call}
		return nil, j.diverged
	}
	want := j.journal[j.next]
	if want.Op != op || !sameJSON(want.Args, args) {
		j.diverged = &kernel.DivergenceError{CellIndex: j.cellIndex, Call: call, Journal: describeCall(want.Op, want.Args)}
		return nil, j.diverged
	}
	j.next++
	if want.Err != "" {
		return want.Result, errors.New(want.Err)
	}
	return want.Result, nil
}

// Finish is called when a replayed cell's code completed: it returns a
// *kernel.DivergenceError naming the first journal entry the code did not
// call, or nil. In Live mode it returns nil.
func (j *Journal) Finish() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.mode != kernel.Replay || j.next >= len(j.journal) {
		return nil
	}
	want := j.journal[j.next]
	return &kernel.DivergenceError{CellIndex: j.cellIndex, Call: "no further call", Journal: describeCall(want.Op, want.Args)}
}

// Diverged returns the first replayed call that did not match the journal,
// or nil. Whatever the code did with the error Do returned (a host package
// may hand it to cell code, which may ignore it), a divergence voids the
// replay: the kernel fails the cell with it.
func (j *Journal) Diverged() *kernel.DivergenceError {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.diverged
}

// MaskValue returns v with mask applied to every string it holds (map keys
// excepted); maps and slices are copied, never changed in place.
func MaskValue(v any, mask func(string) string) any {
	switch x := v.(type) {
	case string:
		return mask(x)
	case map[string]any:
		if x == nil {
			return x
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = MaskValue(e, mask)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = MaskValue(e, mask)
		}
		return out
	case []string:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = mask(e)
		}
		return out
	}
	return v
}

// describeCall names a call for a person: a shell command as the command
// line, anything else with its arguments as JSON.
func describeCall(op string, args map[string]any) string {
	if cmd, ok := args["command"].(string); ok && len(args) == 1 {
		return fmt.Sprintf("%s %q", op, cmd)
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(args); err != nil {
		return op
	}
	return op + " " + strings.TrimSpace(b.String())
}

// sameJSON compares values as JSON: a journal read back from a record has
// float64 where the live call had int.
func sameJSON(a, b map[string]any) bool {
	ra, errA := json.Marshal(a)
	rb, errB := json.Marshal(b)
	if errA != nil || errB != nil {
		return false
	}
	var na, nb any
	if json.Unmarshal(ra, &na) != nil || json.Unmarshal(rb, &nb) != nil {
		return false
	}
	return reflect.DeepEqual(na, nb)
}
