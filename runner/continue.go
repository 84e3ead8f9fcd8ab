package runner

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"ocs/kernel"
	"ocs/notebook"
)

// Continuation says how a run goes on from a build record.
type Continuation struct {
	// Resume continues from the first code cell that did not complete, to
	// the end.
	Resume bool
	// Cells, when Resume is false, are the cells to run live; nothing after
	// the last of them runs.
	Cells []int
	// From, when Resume is false and Cells is empty, runs live from this
	// cell to the end.
	From int
}

// Continue prepares a run that goes on from a build record, in the same
// record: the code cells before the first live one (and between live ones,
// such as completed cells after a cell inserted into the record) are
// replayed from the record's effect journal, so the interpreter gets its
// variables back without any command running twice or any node being made
// twice; their outputs stay as recorded. Cells after the last live one are
// left as they are.
func Continue(record *notebook.Notebook, opts Options, cont Continuation) (*Run, error) {
	r, err := newRun(record, opts)
	if err != nil {
		return nil, err
	}
	if !IsRecord(record) {
		return nil, invalid("not a build record (it has no metadata.%s); run it as a template", notebook.OCSKey)
	}
	if cont.Resume {
		// Before any cell is inserted, so that the cell numbers are the
		// record's: every cell that did not complete runs live.
		for i, c := range record.Cells {
			if c.Type == notebook.Code && cellStatus(c) != Completed {
				if u := unfinishedEffect(c, i); u != nil {
					return nil, u
				}
			}
		}
	}
	if err := r.reinjectParams(cont.Resume); err != nil {
		return nil, err
	}
	live := map[int]bool{}
	last := len(record.Cells) - 1
	switch {
	case cont.Resume:
		first := -1
		for i, c := range record.Cells {
			if c.Type == notebook.Code && !r.skipped(c) && !c.HasTag(notebook.InjectedTag) && cellStatus(c) != Completed {
				first = i
				break
			}
		}
		if first < 0 {
			return nil, invalid("nothing to resume: every cell of the record completed")
		}
		// Every cell from there that did not complete runs live; a cell
		// that completed (after one inserted into the record, or after a
		// failure under --allow-errors) is replayed from its journal, so
		// its commands and nodes are not made again.
		for i := first; i <= last; i++ {
			live[i] = record.Cells[i].HasTag(notebook.InjectedTag) || cellStatus(record.Cells[i]) != Completed
		}
		r.kind = fmt.Sprintf("resume from cell %d", first)
	case len(cont.Cells) > 0:
		if last, err = r.lastSelected(cont.Cells); err != nil {
			return nil, err
		}
		for _, i := range cont.Cells {
			live[i] = true
		}
		r.kind = "cells " + formatCells(cont.Cells)
	default:
		if _, err := r.lastSelected([]int{cont.From}); err != nil {
			return nil, err
		}
		for i := cont.From; i <= last; i++ {
			live[i] = true
		}
		r.kind = fmt.Sprintf("from cell %d", cont.From)
	}
	r.plan = make([]step, len(record.Cells))
	for i, c := range record.Cells {
		if c.ExecutionCount != nil && *c.ExecutionCount > r.firstLive {
			r.firstLive = *c.ExecutionCount
		}
		if c.Type != notebook.Code || r.skipped(c) || i > last {
			continue
		}
		if live[i] {
			r.plan[i] = stepLive
			c.Outputs = []*notebook.Output{}
			c.ExecutionCount = nil
			delete(c.Metadata, notebook.ExecutionKey)
			c.Metadata[notebook.OCSKey] = map[string]any{"status": string(Pending)}
			continue
		}
		if st := cellStatus(c); st != Completed && !c.HasTag(notebook.InjectedTag) {
			return nil, invalid("cell %d is %s in the record, so it cannot be replayed; include it, e.g. --from %d", i, st, i)
		}
		r.plan[i] = stepReplay
	}
	return r, nil
}

// reinjectParams rebuilds the injected parameters cell of a record: the
// values recorded in clear, overridden by those given now. Masked values
// were never stored, so they must be given again. A record made without
// parameters gets a new injected cell only on --resume: inserting a cell
// would shift the cell numbers that --cells and --from name.
func (r *Run) reinjectParams(allowNew bool) error {
	meta := r.nb.Metadata[notebook.OCSKey].(map[string]any)
	recorded, _ := meta["parameters"].(map[string]any)
	hasCell := false
	for _, c := range r.nb.Cells {
		hasCell = hasCell || c.HasTag(notebook.InjectedTag) || hasTemplateSource(c)
	}
	if !hasCell && (len(r.opts.Params) == 0 || !allowNew) {
		if len(r.opts.Params) > 0 {
			return invalid("the record was built without parameters: give them with --resume, or start a new run from the template")
		}
		return nil
	}
	params := map[string]string{}
	for name, v := range recorded {
		params[name] = fmt.Sprint(v)
	}
	for name, v := range r.opts.Params {
		params[name] = v
	}
	for name, v := range params {
		if v == Mask {
			return invalid("parameter %q was masked in the record; give it again with -p %s=VALUE", name, name)
		}
	}
	r.opts.Params = params
	return r.injectParams()
}

// IsRecord reports whether nb is a build record (ocs wrote run metadata
// into it) rather than a template.
func IsRecord(nb *notebook.Notebook) bool {
	_, ok := nb.Metadata[notebook.OCSKey].(map[string]any)
	return ok
}

// RecordSource returns the template a build record was made from.
func RecordSource(nb *notebook.Notebook) Source {
	meta, _ := nb.Metadata[notebook.OCSKey].(map[string]any)
	src, _ := meta["source"].(map[string]any)
	return Source{Path: str(src["path"]), Catalog: str(src["catalog"]), Template: str(src["template"]), Commit: str(src["commit"]), Workdir: str(src["workdir"])}
}

func cellStatus(c *notebook.Cell) Status {
	meta, _ := c.Metadata[notebook.OCSKey].(map[string]any)
	s, _ := meta["status"].(string)
	return Status(s)
}

// lastSelected checks that the selected cells are code cells and returns
// the last of them.
func (r *Run) lastSelected(cells []int) (int, error) {
	last := -1
	for _, i := range cells {
		if i < 0 || i >= len(r.nb.Cells) {
			return 0, invalid("cell %d does not exist (the notebook has cells 0 to %d)", i, len(r.nb.Cells)-1)
		}
		if r.nb.Cells[i].Type != notebook.Code {
			return 0, invalid("cell %d is a %s cell, not a code cell", i, r.nb.Cells[i].Type)
		}
		last = max(last, i)
	}
	return last, nil
}

// replayCell runs a cell from its journal: the kernel rebuilds the cell's
// variables while every side-effecting call is answered from the record.
// The cell's recorded outputs and status stay as they are.
func (r *Run) replayCell(ctx context.Context, c *notebook.Cell, index int) error {
	journal, err := cellJournal(c)
	if err != nil {
		return invalid("cell %d: %w", index, err)
	}
	source := c.Source.String()
	if real, ok := r.kernelSource[c]; ok {
		source = real
	}
	r.log.Info().Int("cell", index).Str("cell_id", c.ID).Int("effects", len(journal)).Msg("cell replayed")
	host := &replayHost{r: r}
	err = r.kernel.Execute(ctx, kernel.Cell{ID: c.ID, Index: index, Source: source, Mode: kernel.Replay, Journal: journal, Mask: r.mask.values()}, host)
	var d *kernel.DivergenceError
	switch {
	case err == nil:
		if cellStatus(c) != Completed { // a parameters cell injected by this run
			r.mu.Lock()
			c.Metadata[notebook.OCSKey] = map[string]any{"status": string(Completed)}
			r.cache.Forget(c)
			r.mu.Unlock()
		}
		return nil
	case ctx.Err() != nil:
		return err
	case errors.As(err, &d):
		return &maskedError{msg: r.mask.mask(fmt.Sprintf("%v; the template or its inputs changed since the record was made: run from that cell with --from %d", d, index)), err: err}
	}
	return &maskedError{msg: r.mask.mask(fmt.Sprintf("replay of cell %d failed: %v; run from that cell with --from %d", index, err, index)), err: err}
}

// replayHost receives what a replayed cell produces: nothing of it is
// recorded again.
type replayHost struct{ r *Run }

func (h *replayHost) Output(kernel.Output) {}
func (h *replayHost) Effect(kernel.Effect) {}
func (h *replayHost) Secret(name string) (string, error) {
	if h.r.opts.Secrets == nil {
		return "", fmt.Errorf("secret %q: no secrets are available to this run", name)
	}
	v, err := h.r.opts.Secrets.Secret(name)
	if err == nil {
		h.r.mask.add(v)
	}
	return v, err
}

// cellJournal reads the effects a cell made, as the runner recorded them.
func cellJournal(c *notebook.Cell) ([]kernel.Effect, error) {
	meta, _ := c.Metadata[notebook.OCSKey].(map[string]any)
	list, _ := meta["effects"].([]any)
	journal := make([]kernel.Effect, 0, len(list))
	for i, x := range list {
		m, ok := x.(map[string]any)
		op, _ := m["op"].(string)
		if !ok || op == "" {
			return nil, fmt.Errorf("effect %d of the journal is malformed", i)
		}
		e := kernel.Effect{Op: op}
		e.Args, _ = m["args"].(map[string]any)
		e.Result, _ = m["result"].(map[string]any)
		e.Err, _ = m["error"].(string)
		journal = append(journal, e)
	}
	return journal, nil
}

// ParseCells reads a cell selection such as "12-15,18,setup-cell" (numbers
// as `ocs status` prints them, ranges, or cell ids) against nb.
func ParseCells(nb *notebook.Notebook, spec string) ([]int, error) {
	var cells []int
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if lo, hi, ok := strings.Cut(part, "-"); ok {
			a, errA := strconv.Atoi(lo)
			b, errB := strconv.Atoi(hi)
			if errA == nil && errB == nil {
				if b < a {
					return nil, invalid("cell range %q runs backwards", part)
				}
				// Checked before expanding: 0-200000000 must not fill memory.
				if a < 0 || b >= len(nb.Cells) {
					return nil, invalid("cell range %q is outside the notebook (cells 0 to %d)", part, len(nb.Cells)-1)
				}
				for i := a; i <= b; i++ {
					cells = append(cells, i)
				}
				continue
			}
		}
		if n, err := strconv.Atoi(part); err == nil {
			cells = append(cells, n)
			continue
		}
		found := false
		for i, c := range nb.Cells {
			if c.ID == part {
				cells, found = append(cells, i), true
				break
			}
		}
		if !found {
			return nil, invalid("no cell %q: give cell numbers as ocs status prints them, ranges like 3-5, or cell ids", part)
		}
	}
	if len(cells) == 0 {
		return nil, invalid("no cells selected in %q", spec)
	}
	sort.Ints(cells)
	return cells, nil
}

// formatCells writes a sorted selection back in its short form.
func formatCells(cells []int) string {
	sorted := append([]int(nil), cells...)
	sort.Ints(sorted)
	var parts []string
	for i := 0; i < len(sorted); {
		j := i
		for j+1 < len(sorted) && sorted[j+1] <= sorted[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", sorted[i], sorted[j]))
		} else {
			parts = append(parts, strconv.Itoa(sorted[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}
