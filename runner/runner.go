// Package runner executes a notebook against a kernel.Kernel and keeps the
// build record: every output, per-cell status and timing, run metadata,
// parameters and secrets (masked), output caps, atomic saves before the
// first cell, as cells end and while long cells stream, the ones the run
// need not wait for written behind it, and every effect's start in the
// effect log beside the record before the effect runs (docs/record.md,
// "Saving"). It never imports a concrete kernel or provider.
package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"ocs/kernel"
	"ocs/notebook"
)

// Status is the state of a cell or of a whole run, in papermill's
// vocabulary plus skipped, interrupted and timed-out.
type Status string

// Statuses.
const (
	Pending     Status = "pending"
	Running     Status = "running"
	Completed   Status = "completed"
	Failed      Status = "failed"
	Skipped     Status = "skipped"
	Interrupted Status = "interrupted"
	TimedOut    Status = "timed-out"
)

// Causes of a cancelled run, given to context.WithCancelCause by callers
// (ErrInterrupted) or used by the runner (the timeouts).
var (
	ErrInterrupted = errors.New("interrupted")
	ErrCellTimeout = errors.New("cell timed out")
	ErrRunTimeout  = errors.New("run timed out")
)

// Tags the runner honours.
const (
	TagParameters      = "parameters"
	TagSkipExecution   = "skip-execution"
	TagRaisesException = "raises-exception"
)

// Source says where the template came from, for the record.
type Source struct {
	Path     string `json:"path,omitempty"`
	Catalog  string `json:"catalog,omitempty"`
	Template string `json:"template,omitempty"`
	Commit   string `json:"commit,omitempty"`
	// Workdir is the work folder the cells ran in, for a template that has
	// one (see LayoutWorkdir).
	Workdir string `json:"workdir,omitempty"`
}

// Secrets answers a cell's request for a secret.
type Secrets interface {
	Secret(name string) (string, error)
}

// Observer sees a run as it happens (the terminal display). Outputs it is
// given are already masked.
type Observer interface {
	CellStarted(c CellInfo)
	CellOutput(c CellInfo, o kernel.Output)
	CellFinished(c CellInfo, status Status, took time.Duration, err error)
}

// CellInfo identifies a running cell for an Observer.
type CellInfo struct {
	Index   int    // position in the notebook
	ID      string // cell id, may be ""
	Ordinal int    // 1-based among the code cells that run
	Total   int    // code cells that run
	Heading string // nearest markdown heading above
}

// Options configure a run.
type Options struct {
	// Record is the path of the build record to write.
	Record string
	Source Source
	// Params are raw values for the template's parameters (-p, -f).
	Params map[string]string
	// ParamValues holds typed values (from a YAML parameters file) of
	// Params: Python notebooks get them with their type (a list stays a
	// list, "5" quoted stays a str). Go ones use Params.
	ParamValues map[string]any
	// Secrets answers secret requests; nil refuses them. A KnownSecrets
	// has its values masked from the start.
	Secrets Secrets
	// Masker, when set, is the masker the run adds the secrets it learns
	// to, shared with the caller's logs and messages (nil: the run's own).
	Masker *Masker
	// CellTimeout and Timeout (whole run); zero means none.
	CellTimeout time.Duration
	Timeout     time.Duration
	// AllowErrors keeps running after a failed cell.
	AllowErrors bool
	// InterruptOnTimeout, with AllowErrors, goes on to the next cell after
	// one that ran past CellTimeout (the run's status stays timed-out).
	InterruptOnTimeout bool
	// OutputCap is the stream bytes kept per cell; 0 means DefaultOutputCap.
	OutputCap int
	// SideLogCap is the bytes a cell's side log keeps; 0 means
	// DefaultSideLogCap.
	SideLogCap int64
	// SaveInterval is the longest a streaming cell goes unsaved; 0 means 2s.
	SaveInterval time.Duration
	// SaveDelay is the longest the end of a quick cell that made no effect
	// goes unsaved (its save is shared with the cells that end after it);
	// 0 means DefaultSaveDelay.
	SaveDelay time.Duration
	Observer  Observer
	// Version of ocs, for the record.
	Version string
	// Cells, when set, are the cells (notebook indices) a partial run must
	// execute; see New and Continue.
	Cells []int
}

// Result is the outcome of a run.
type Result struct {
	Status Status
	// FailedCell is the index of the first failed, interrupted or timed-out
	// cell, or -1.
	FailedCell int
	// Err is the failure of the first failed cell or of the kernel.
	Err error
	// KernelDied is set when the kernel could run no more cells.
	KernelDied bool
}

// Run holds one execution of a notebook.
type Run struct {
	opts   Options
	kernel kernel.Kernel
	nb     *notebook.Notebook
	mask   *masker
	log    zerolog.Logger
	start  time.Time
	params map[string]any // masked, for the record

	mu       sync.Mutex // guards nb and the taking of snapshots
	lastSave time.Time
	// savesOver is set by the final save (Execute's or Abort's): no save
	// comes after it.
	savesOver bool
	// dirty says the record in memory holds cell ends not yet saved; the
	// delayed save (delayedSave, armed while delayArmed) writes them within
	// SaveDelay. cur is the host of the running cell, whose outputs so far
	// the delayed save takes along.
	dirty       bool
	delayedSave *time.Timer
	delayArmed  bool
	cur         *cellHost

	// The record's writer, and the number of the last snapshot handed to
	// it. Its first failed save stops the run (stop), and the final save,
	// into the disk room kept for it (reserve), says so.
	writer   *recordWriter
	seq      uint64
	lastSize int64 // of the last snapshot
	// grown is how much output the record took in since then: a record
	// that grew past maxBehind meanwhile (a cell printing megabytes) is
	// written as the run waits, never copied whole into memory first.
	grown   int
	reserve reserve
	stop    context.CancelCauseFunc
	cellNow int // the cell running or last run, for a failed save
	// effects is the log of effect starts beside the record, from the
	// first save to the final one; nil before and after, and when it could
	// not be made (then an effect's start waits for a save of the record).
	effects *effectLog

	// kernelSource holds the real source of cells whose record source is
	// masked (the injected parameters).
	kernelSource map[*notebook.Cell]string
	// cellExtras are metadata.ocs keys a cell keeps whatever its status
	// (the template source of a cell ocs filled with parameters).
	cellExtras map[*notebook.Cell]map[string]any

	plan  []step // what happens to each cell, by index
	cache *notebook.CellCache
	// displays are the outputs shown with a display id, which
	// update_display_data outputs change.
	displays  map[string][]shownDisplay
	kind      string // "run", "resume", or the selection of a partial run
	firstLive int    // execution counts start after the record's highest
	runIndex  int    // this run's entry in metadata.ocs.runs
}

// step is what a run does with one cell.
type step int

const (
	stepNone   step = iota // not a code cell, skipped, or left as it is
	stepLive               // run for real
	stepReplay             // run from the record's journal, outputs kept
)

// New prepares a run of nb (in any language: the caller picks the kernel,
// see IsGo and KernelName): it injects parameters, clears old outputs and writes nothing yet.
func New(nb *notebook.Notebook, opts Options) (*Run, error) {
	r, err := newRun(nb, opts)
	if err != nil {
		return nil, err
	}
	if err := r.injectParams(); err != nil {
		return nil, err
	}
	last := len(nb.Cells) - 1
	if len(opts.Cells) > 0 {
		if last, err = r.lastSelected(opts.Cells); err != nil {
			return nil, err
		}
		r.kind = "cells " + formatCells(opts.Cells)
	}
	r.plan = make([]step, len(nb.Cells))
	for i, c := range nb.Cells {
		if c.Type != notebook.Code {
			continue
		}
		c.Outputs = []*notebook.Output{}
		c.ExecutionCount = nil
		delete(c.Metadata, notebook.ExecutionKey)
		c.Metadata[notebook.OCSKey] = map[string]any{"status": string(Pending)}
		switch {
		case r.skipped(c):
			c.Metadata[notebook.OCSKey] = map[string]any{"status": string(Skipped), "reason": skipReason(c)}
		case i <= last:
			// A template has no journal: the cells before a selection run live.
			r.plan[i] = stepLive
		}
	}
	delete(nb.Metadata, notebook.OCSKey) // a record given as a template starts anew
	return r, nil
}

func newRun(nb *notebook.Notebook, opts Options) (*Run, error) {
	if err := checkSourceSizes(nb); err != nil {
		return nil, err
	}
	if opts.SaveInterval == 0 {
		opts.SaveInterval = 2 * time.Second
	}
	if opts.SaveDelay == 0 {
		opts.SaveDelay = DefaultSaveDelay
	}
	mask := &masker{}
	if opts.Masker != nil {
		mask = opts.Masker.m
	}
	if ks, ok := opts.Secrets.(KnownSecrets); ok {
		for _, v := range ks.Known() {
			mask.add(v)
		}
	}
	r := &Run{opts: opts, nb: nb, mask: mask, kernelSource: map[*notebook.Cell]string{}, cellExtras: map[*notebook.Cell]map[string]any{}, kind: "run", runIndex: -1, cache: notebook.NewCellCache(), displays: map[string][]shownDisplay{}}
	r.writer = newRecordWriter(opts.Record, &r.reserve, int64(max(opts.OutputCap, DefaultOutputCap)))
	return r, nil
}

// KernelName returns the kernelspec name the notebook asks for
// (metadata.kernelspec.name), or "" when it names none.
func KernelName(nb *notebook.Notebook) string {
	ks, _ := nb.Metadata["kernelspec"].(map[string]any)
	name, _ := ks["name"].(string)
	return name
}

// Language returns the notebook's language: the kernelspec's, else
// language_info's, lowercased; "" when it names none.
func Language(nb *notebook.Notebook) string {
	ks, _ := nb.Metadata["kernelspec"].(map[string]any)
	lang, _ := ks["language"].(string)
	if lang == "" {
		li, _ := nb.Metadata["language_info"].(map[string]any)
		lang, _ = li["name"].(string)
	}
	return strings.ToLower(lang)
}

// IsGo says whether the notebook is written for ocs's Go kernel: kernelspec
// ocs-go, language Go, or no language named at all.
func IsGo(nb *notebook.Notebook) bool {
	lang, name := Language(nb), KernelName(nb)
	return lang == "go" || lang == "" && (name == "" || name == "ocs-go")
}

// checkLanguage refuses, for ocs check, notebooks whose cells it cannot
// check (Python cells are checked by no one yet).
func checkLanguage(nb *notebook.Notebook) error {
	if IsGo(nb) {
		return nil
	}
	return &LanguageError{Kernel: KernelName(nb), Language: Language(nb)}
}

// LanguageError says the notebook needs a kernel this build does not have.
type LanguageError struct {
	Kernel   string
	Language string
}

func (e *LanguageError) Unwrap() error { return ErrInput }

func (e *LanguageError) Error() string {
	return fmt.Sprintf("the notebook needs the %q kernel (language %q); ocs check reads Go notebooks (kernel ocs-go) only", e.Kernel, e.Language)
}

func (r *Run) skipped(c *notebook.Cell) bool {
	return skipReason(c) != ""
}

// Notebook returns the record being written.
func (r *Run) Notebook() *notebook.Notebook { return r.nb }

// Execute runs the cells in order on k and returns the outcome. Cancelling ctx
// with cause ErrInterrupted interrupts the running cell. The error is only
// for failures to write the record; cell failures are in Result.
func (r *Run) Execute(ctx context.Context, k kernel.Kernel) (Result, error) {
	r.kernel = k
	r.log = *zerolog.Ctx(ctx)
	r.start = time.Now().UTC()
	ctx, r.stop = context.WithCancelCause(ctx)
	defer r.stop(nil)
	r.reserve = reserve{path: reservePath(r.opts.Record)}
	defer r.writer.releaseReserve()
	r.writer.log, r.writer.stop = &r.log, r.stop
	r.writer.start()
	defer r.writer.close()
	r.cellNow = -1
	if r.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, r.opts.Timeout, ErrRunTimeout)
		defer cancel()
	}
	res := Result{Status: Completed, FailedCell: -1}
	r.mu.Lock()
	r.setLanguageInfo(k)
	r.setRunMetadata(Running, res)
	err := r.saveLocked()
	if err == nil {
		r.startEffectLogLocked()
	}
	r.mu.Unlock()
	if err != nil && !errors.Is(context.Cause(ctx), errSaveFailed) {
		return res, err
	}
	total, ordinal := r.countRunnable(), 0
	r.log.Info().Str("record", r.opts.Record).Int("cells", len(r.nb.Cells)).Int("code_cells", total).Msg("run started")
	if s, ok := k.(kernel.Starter); ok {
		// The kernel started while the record was prepared; waiting here
		// keeps its start out of the first cell's time. One that did not
		// start fails the first cell, which says why.
		_ = s.Ready(ctx)
	}
	count := r.firstLive
	for i, c := range r.nb.Cells {
		if r.plan[i] == stepNone {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		r.mu.Lock()
		r.cellNow = i
		r.mu.Unlock()
		if r.plan[i] == stepReplay {
			if err := r.replayCell(ctx, c, i); err != nil {
				res.Status, res.FailedCell, res.Err = Failed, i, err
				if ctx.Err() != nil {
					res.Status = statusFor(context.Cause(ctx))
				}
				break
			}
			continue
		}
		ordinal++
		count++
		info := CellInfo{Index: i, ID: c.ID, Ordinal: ordinal, Total: total, Heading: r.heading(i)}
		status, cellErr := r.runCell(ctx, c, info, count)
		if status == Completed {
			continue
		}
		if res.FailedCell < 0 {
			res.FailedCell, res.Err = i, cellErr
		}
		res.Status = worse(res.Status, status)
		if errors.Is(cellErr, kernel.ErrDead) {
			res.KernelDied = true
			break
		}
		if !r.goesOn(ctx, status) {
			break
		}
	}
	if res.Status == Completed && ctx.Err() != nil {
		res.Status = statusFor(context.Cause(ctx))
	}
	if f, ok := k.(kernel.Finisher); ok {
		f.Finish()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopDelayedSave()
	// The saves written behind the run end (or fail) before the final one.
	r.writer.drain()
	saveErr := r.writer.failure()
	if saveErr != nil {
		// The disk is full, most likely: free the room kept for this
		// save, so that the record says why the run stopped.
		res.Status, res.Err = Failed, saveErr
		if res.FailedCell < 0 {
			res.FailedCell = r.cellNow
		}
		r.writer.releaseReserve()
	}
	r.setRunMetadata(res.Status, res)
	err = r.saveDurableLocked()
	r.savesOver = true
	r.endEffectLogLocked(err == nil)
	if err != nil {
		return res, err
	}
	r.log.Info().Str("status", string(res.Status)).Dur("took", time.Since(r.start)).Msg("run finished")
	if saveErr != nil {
		return res, saveErr
	}
	return res, nil
}

// goesOn says whether the run continues after a cell that ended with
// status (not completed).
func (r *Run) goesOn(ctx context.Context, status Status) bool {
	switch {
	case !r.opts.AllowErrors:
		return false
	case status == Failed:
		return true
	case status == TimedOut:
		// Only the cell's own limit; the run's limit ends the run.
		return r.opts.InterruptOnTimeout && ctx.Err() == nil
	}
	return false
}

// worse keeps the status that decides the run's outcome.
func worse(a, b Status) Status {
	rank := map[Status]int{Completed: 0, Failed: 1, TimedOut: 2, Interrupted: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func statusFor(cause error) Status {
	switch {
	case errors.Is(cause, ErrCellTimeout), errors.Is(cause, ErrRunTimeout):
		return TimedOut
	case errors.Is(cause, ErrInterrupted):
		return Interrupted
	case errors.Is(cause, errSaveFailed):
		return Failed
	}
	return Interrupted
}

func (r *Run) countRunnable() int {
	n := 0
	for _, st := range r.plan {
		if st == stepLive {
			n++
		}
	}
	return n
}

// heading returns the nearest markdown heading above cell i.
func (r *Run) heading(i int) string {
	for j := i - 1; j >= 0; j-- {
		if h := Heading(r.nb.Cells[j]); h != "" {
			return h
		}
	}
	return ""
}

// Heading returns the last ATX heading of a markdown cell, without the #s.
func Heading(c *notebook.Cell) string {
	if c.Type != notebook.Markdown {
		return ""
	}
	last := ""
	fenced := false
	for _, line := range strings.Split(c.Source.String(), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fenced = !fenced
			continue
		}
		if fenced || !strings.HasPrefix(t, "#") {
			continue
		}
		h := strings.TrimLeft(t, "#")
		if len(t)-len(h) <= 6 && (h == "" || h[0] == ' ' || h[0] == '\t') {
			last = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(h), "#"))
		}
	}
	return last
}

// shownDisplay is one output shown with a display id.
type shownDisplay struct {
	cell *notebook.Cell
	out  *notebook.Output
}

// cellHost is the kernel.Host of one running cell.
type cellHost struct {
	r       *Run
	cell    *notebook.Cell
	info    CellInfo
	cap     *capture
	streams map[string]*streamMask
	effects []any
	timer   *time.Timer // a pending save while the cell streams
	done    bool
}

func (h *cellHost) Output(o kernel.Output) {
	r := h.r
	switch o.Kind {
	case kernel.Stream:
		sm := h.streams[o.Name]
		if sm == nil {
			sm = &streamMask{m: r.mask}
			h.streams[o.Name] = sm
		}
		o.Text = sm.write(o.Text)
		if o.Text == "" {
			return
		}
	default:
		o.EValue = r.mask.mask(o.EValue)
		o.Traceback = r.mask.maskValue(o.Traceback).([]string)
		o.Data, _ = r.mask.maskValue(o.Data).(map[string]any)
		o.Metadata, _ = r.mask.maskValue(o.Metadata).(map[string]any)
	}
	if r.opts.Observer != nil {
		r.opts.Observer.CellOutput(h.info, o)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	h.record(o)
	h.saveSoon()
}

// saveSoon saves the record now if the last save is older than the save
// interval, or else once the interval has passed, so output that arrives
// just before a long quiet stretch still reaches the disk. Called with r.mu
// held.
func (h *cellHost) saveSoon() {
	r := h.r
	wait := r.opts.SaveInterval - time.Since(r.lastSave)
	if wait <= 0 {
		h.saveBehind()
		return
	}
	if h.timer == nil {
		h.timer = time.AfterFunc(wait, func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			h.timer = nil
			if !h.done {
				h.saveBehind()
			}
		})
	}
}

// saveBehind saves the record with the cell's outputs so far, written
// behind the run. Called with r.mu held.
func (h *cellHost) saveBehind() {
	h.takeOutputs()
	h.r.saveBehindLocked()
}

func (h *cellHost) takeOutputs() {
	h.cell.Outputs = h.cap.result()
	h.r.cache.Forget(h.cell)
}

// finish stops pending saves; the runner saves the finished cell itself.
// Called with r.mu held.
func (h *cellHost) finish() {
	h.done = true
	if h.timer != nil {
		h.timer.Stop()
		h.timer = nil
	}
}

func (h *cellHost) record(o kernel.Output) {
	before := h.cap.kept()
	defer func() { h.r.grown += max(0, h.cap.kept()-before) }()
	switch o.Kind {
	case kernel.Stream:
		h.cap.stream(o.Name, o.Text)
	case kernel.Display:
		out := notebook.NewDisplay(o.Data, o.Metadata)
		h.cap.other(out)
		if o.DisplayID != "" {
			h.r.displays[o.DisplayID] = append(h.r.displays[o.DisplayID], shownDisplay{h.cell, out})
		}
	case kernel.UpdateDisplay:
		// As nbclient does: every output showing the id changes in place,
		// in earlier cells too.
		for _, d := range h.r.displays[o.DisplayID] {
			fresh := notebook.NewDisplay(o.Data, o.Metadata)
			d.out.Data, d.out.Metadata = fresh.Data, fresh.Metadata
			h.r.cache.Forget(d.cell)
		}
	case kernel.ClearOutput:
		for _, sm := range h.streams {
			sm.flush() // text held back before the clear goes with it
		}
		h.cap.clear()
	case kernel.Result:
		h.cap.other(notebook.NewResult(*h.cell.ExecutionCount, o.Data, o.Metadata))
	case kernel.Error:
		h.cap.other(notebook.NewError(o.EName, o.EValue, o.Traceback))
	}
}

// flush emits what the stream maskers held back.
func (h *cellHost) flush() {
	for name, sm := range h.streams {
		if text := sm.flush(); text != "" {
			o := kernel.Output{Kind: kernel.Stream, Name: name, Text: text}
			if h.r.opts.Observer != nil {
				h.r.opts.Observer.CellOutput(h.info, o)
			}
			h.r.mu.Lock()
			h.record(o)
			h.r.mu.Unlock()
		}
	}
}

// journalEntry is an effect as the record keeps it, secrets masked.
func (h *cellHost) journalEntry(e kernel.Effect) map[string]any {
	r := h.r
	entry := map[string]any{"op": e.Op}
	if len(e.Args) > 0 {
		entry["args"] = r.mask.maskValue(jsonable(e.Args))
	}
	if len(e.Result) > 0 {
		entry["result"] = r.mask.maskValue(jsonable(e.Result))
	}
	if e.Err != "" {
		entry["error"] = r.mask.mask(e.Err)
	}
	return entry
}

// EffectStarted journals an effect about to run, marked unfinished, and
// puts its start on disk before the effect may run: a kill -9 from then on
// leaves a record that knows it started (see Continue). The start goes to
// the effect log (one write, no save of the whole record); the record
// takes it with its next save. A run whose record cannot be saved starts
// no effect.
func (h *cellHost) EffectStarted(e kernel.Effect) error {
	r := h.r
	entry := h.journalEntry(e)
	entry[unfinishedKey] = true
	r.mu.Lock()
	defer r.mu.Unlock()
	h.effects = append(h.effects, entry)
	if meta, ok := h.cell.Metadata[notebook.OCSKey].(map[string]any); ok {
		meta["effects"] = h.effects
	}
	switch {
	case r.effects == nil, r.dirty:
		// No log; or the ends of quick cells not saved yet, which the
		// record must hold before an effect after them starts (a
		// --from N after a kill replays them): one save holds both.
		h.takeOutputs()
		if err := r.saveLocked(); err != nil || r.effects == nil {
			return err
		}
	default:
		// What was saved behind the run (the ends saved at once) is on
		// disk before an effect after it starts; most often it is already.
		if err := r.writer.waitFor(r.seq); err != nil {
			return err
		}
	}
	return h.logEffectLocked(entry)
}

// Effect journals an effect that ended, in the place of its start when
// the kernel reported one.
func (h *cellHost) Effect(e kernel.Effect) {
	r := h.r
	entry := h.journalEntry(e)
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, x := range h.effects {
		started, _ := x.(map[string]any)
		if started[unfinishedKey] == true && started["op"] == entry["op"] && sameValue(started["args"], entry["args"]) {
			h.effects[i] = entry
			return
		}
	}
	h.effects = append(h.effects, entry)
	// An effect reported only once it ended takes a line too, so that the
	// log numbers a cell's journal without gaps. A failure stops the run.
	_ = h.logEffectLocked(entry)
}

// logEffectLocked appends the journal's last entry to the effect log, if
// the run has one and its saves have not failed. Called with r.mu held.
func (h *cellHost) logEffectLocked(entry map[string]any) error {
	r := h.r
	if r.effects == nil {
		return nil
	}
	if err := r.writer.failure(); err != nil {
		return err
	}
	meta, _ := h.cell.Metadata[notebook.OCSKey].(map[string]any)
	line := effectLine{Cell: h.cell.ID, CellIndex: h.info.Index, StartTime: str(meta["start_time"]), Effect: len(h.effects) - 1, Entry: entry}
	if err := r.effects.append(line); err != nil {
		return r.writer.fail(err)
	}
	return nil
}

func (h *cellHost) Secret(name string) (string, error) {
	if h.r.opts.Secrets == nil {
		return "", fmt.Errorf("secret %q: no secrets are available to this run", name)
	}
	v, err := h.r.opts.Secrets.Secret(name)
	if err != nil {
		return "", err
	}
	h.r.mask.add(v)
	return v, nil
}

func (r *Run) runCell(ctx context.Context, c *notebook.Cell, info CellInfo, count int) (Status, error) {
	cellCtx, cancel := ctx, context.CancelFunc(func() {})
	if r.opts.CellTimeout > 0 {
		cellCtx, cancel = context.WithTimeoutCause(ctx, r.opts.CellTimeout, ErrCellTimeout)
	}
	defer cancel()
	log := r.cellLogger(info.Index, c.ID)
	host := &cellHost{r: r, cell: c, info: info, streams: map[string]*streamMask{},
		cap: newCapture(r.opts.OutputCap, r.sideLog(c, info.Index))}
	host.cap.logCap = r.opts.SideLogCap
	start := time.Now().UTC()

	r.mu.Lock()
	r.cache.Forget(c)
	c.ExecutionCount = &count
	c.Outputs = []*notebook.Output{}
	c.Metadata[notebook.ExecutionKey] = map[string]any{
		"iopub.status.busy":   jupyterTime(start),
		"iopub.execute_input": jupyterTime(start),
	}
	c.Metadata[notebook.OCSKey] = map[string]any{"status": string(Running), "start_time": start.Format(time.RFC3339Nano)}
	r.cur = host
	// A quick cell is saved once, when it ends (or with the cells that end
	// after it, see endSaveLocked); a long one shows as running on disk
	// within the save interval, and within SaveDelay when the record holds
	// unsaved cell ends.
	host.saveSoon()
	r.mu.Unlock()
	if r.opts.Observer != nil {
		r.opts.Observer.CellStarted(info)
	}
	log.Info().Int("ordinal", info.Ordinal).Int("total", info.Total).Str("heading", info.Heading).Msg("cell started")

	source := c.Source.String()
	if real, ok := r.kernelSource[c]; ok {
		source = real
	}
	err := r.kernel.Execute(cellCtx, kernel.Cell{ID: c.ID, Index: info.Index, Source: source, Count: count, Mask: r.mask.values()}, host)
	// From here on the cell's capture is finished without r.mu: no timer
	// may save from it.
	r.mu.Lock()
	r.cur = nil
	host.done = true
	r.mu.Unlock()
	host.flush()

	status := Completed
	var cellErr *kernel.CellError
	switch {
	case err == nil:
	case cellCtx.Err() != nil:
		status = statusFor(context.Cause(cellCtx))
		msg := "the cell was interrupted"
		switch cause := context.Cause(cellCtx); {
		case status == TimedOut:
			msg = r.timeoutMessage(cause)
			// The run's failure names the limit, not "context deadline
			// exceeded".
			err = &maskedError{msg: msg, err: err}
		case errors.Is(cause, errSaveFailed):
			msg = r.mask.mask(fmt.Sprintf("the run stopped: %v", cause))
		}
		host.record(kernel.Output{Kind: kernel.Error, EName: string(status), EValue: msg, Traceback: []string{msg}})
	case errors.As(err, &cellErr):
		status = Failed
		if c.HasTag(TagRaisesException) {
			status = Completed
		}
	default: // the engine failed, not the cell's code
		status = Failed
		msg := r.mask.mask(err.Error())
		host.record(kernel.Output{Kind: kernel.Error, EName: "KernelError", EValue: msg, Traceback: []string{msg}})
		if !errors.Is(err, kernel.ErrDead) {
			err = fmt.Errorf("%w: %w", kernel.ErrDead, err)
		}
	}
	if err != nil {
		err = &maskedError{msg: r.mask.mask(err.Error()), err: err}
	}
	end := time.Now().UTC()
	capErr := host.cap.close()

	r.mu.Lock()
	host.finish()
	r.cache.Forget(c)
	c.Outputs = host.cap.result()
	exec := c.Metadata[notebook.ExecutionKey].(map[string]any)
	exec["shell.execute_reply"] = jupyterTime(end)
	exec["iopub.status.idle"] = jupyterTime(end)
	meta := map[string]any{
		"status":     string(status),
		"start_time": start.Format(time.RFC3339Nano),
		"end_time":   end.Format(time.RFC3339Nano),
		"duration":   end.Sub(start).Seconds(),
	}
	if status == Completed && err != nil {
		meta["expected_error"] = true
	}
	if len(host.effects) > 0 {
		meta["effects"] = host.effects
	}
	if capErr != nil {
		meta["side_log_error"] = capErr.Error()
	}
	c.Metadata[notebook.OCSKey] = meta
	r.endSaveLocked(status == Completed && err == nil && len(host.effects) == 0 && capErr == nil && end.Sub(start) < r.opts.SaveDelay)
	r.mu.Unlock()
	if r.opts.Observer != nil {
		r.opts.Observer.CellFinished(info, status, end.Sub(start), err)
	}
	ev := log.Info()
	if err != nil {
		ev = ev.Str("error", err.Error())
	}
	ev.Str("status", string(status)).Dur("took", end.Sub(start)).Msg("cell finished")
	if status == Completed {
		return status, nil
	}
	return status, err
}

// cellLogger is the run's logger with the cell's fields, for the cell's
// two info lines. When info lines are not written (the console's default
// level is warn), it is the run's own: building the sub-logger copies the
// logger's fields, which every cell of a console run would pay for
// nothing.
func (r *Run) cellLogger(index int, id string) *zerolog.Logger {
	if r.log.GetLevel() > zerolog.InfoLevel || zerolog.GlobalLevel() > zerolog.InfoLevel {
		return &r.log
	}
	log := r.log.With().Int("cell", index).Str("cell_id", id).Logger()
	return &log
}

// maskedError carries an error whose message has secrets masked, keeping
// what it wraps for errors.Is and errors.As.
type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }

// sideLog is where a cell's whole output goes when it passes the cap.
func (r *Run) sideLog(c *notebook.Cell, index int) string {
	id := c.ID
	if id == "" {
		id = fmt.Sprint(index)
	}
	return r.opts.Record + ".d/cell-" + id + ".log"
}

// jupyterTime formats t the way nbclient writes execution timestamps.
func jupyterTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// setLanguageInfo writes the kernel's language_info into the record, as
// nbclient does, keeping the template's in metadata.ocs for ocs strip (once:
// a resumed record's language_info is already the kernel's).
func (r *Run) setLanguageInfo(k kernel.Kernel) {
	li, ok := k.(kernel.LanguageInfoer)
	if !ok {
		return
	}
	info := li.LanguageInfo()
	if info == nil {
		return
	}
	if r.nb.Metadata == nil {
		r.nb.Metadata = map[string]any{}
	}
	meta, _ := r.nb.Metadata[notebook.OCSKey].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		r.nb.Metadata[notebook.OCSKey] = meta
	}
	if _, kept := meta[notebook.TemplateLanguageInfoKey]; !kept {
		meta[notebook.TemplateLanguageInfoKey] = r.nb.Metadata["language_info"]
	}
	r.nb.Metadata["language_info"] = info
}

func (r *Run) setRunMetadata(status Status, res Result) {
	end := time.Now().UTC()
	meta, _ := r.nb.Metadata[notebook.OCSKey].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	run := map[string]any{
		"kind":       r.kind,
		"status":     string(status),
		"start_time": r.start.Format(time.RFC3339Nano),
		"version":    r.opts.Version,
		// Which process runs it, so that `ocs status` can tell a run
		// whose process is gone.
		"pid": os.Getpid(),
	}
	if status != Running && status != Pending {
		run["end_time"] = end.Format(time.RFC3339Nano)
		run["duration"] = end.Sub(r.start).Seconds()
	}
	if res.FailedCell >= 0 {
		fc := map[string]any{"index": res.FailedCell, "id": r.nb.Cells[res.FailedCell].ID}
		if res.Err != nil {
			fc["error"] = r.mask.mask(res.Err.Error())
		}
		run["failed_cell"] = fc
	} else if res.Err != nil {
		run["error"] = r.mask.mask(res.Err.Error()) // a failure before any cell
	}
	runs, _ := meta["runs"].([]any)
	if r.runIndex < 0 || r.runIndex >= len(runs) {
		runs = append(runs, run)
		r.runIndex = len(runs) - 1
	} else {
		runs[r.runIndex] = run
	}
	// The top level describes the record as the latest run left it; runs
	// keeps the history (the first run, then each resume or partial rerun).
	for k, v := range run {
		meta[k] = v
	}
	if _, ok := run["failed_cell"]; !ok {
		delete(meta, "failed_cell")
	}
	if _, ok := run["error"]; !ok {
		delete(meta, "error")
	}
	if status == Running || status == Pending {
		delete(meta, "end_time")
		delete(meta, "duration")
	}
	meta["runs"] = runs
	if r.opts.Source != (Source{}) || meta["source"] == nil {
		meta["source"] = jsonable(r.opts.Source)
	}
	if host, err := os.Hostname(); err == nil {
		meta["host"] = host
	}
	if u, err := user.Current(); err == nil {
		meta["user"] = u.Username
	}
	if len(r.params) > 0 {
		meta["parameters"] = r.params
	}
	r.nb.Metadata[notebook.OCSKey] = meta
}

// DefaultSaveDelay is the longest the end of a quick, effect-free cell
// waits to be saved (Options.SaveDelay).
const DefaultSaveDelay = 100 * time.Millisecond

// endSaveLocked saves the record at the end of a cell. The end of a quick
// cell that made no effect and completed only marks the record dirty: the
// delayed save writes it, with the ends of the cells after it, within
// SaveDelay. Losing such a cell to a kill -9 loses nothing outside the
// kernel (it journaled no effect; a resume runs it again), and a save per
// trivial cell would cost more than the cell. Every other end (a failure,
// an effect, a long cell) is saved at once, written behind the run: the
// next cell starts while the disk works, and the next save that waits
// (its first effect's start, the final save) writes nothing older than
// it. Called with r.mu held.
func (r *Run) endSaveLocked(quick bool) {
	if !quick {
		// A failed save stops the run; Execute says why in the final save.
		r.saveBehindLocked()
		return
	}
	r.dirty = true
	if r.delayArmed {
		return
	}
	r.delayArmed = true
	if r.delayedSave == nil {
		r.delayedSave = time.AfterFunc(r.opts.SaveDelay, r.saveDirty)
	} else {
		r.delayedSave.Reset(r.opts.SaveDelay)
	}
}

// saveDirty is the delayed save: it takes a dirty record, with the
// running cell's outputs so far, for the writer. It holds r.mu, so it
// never runs while another snapshot is taken; one that came first leaves
// it nothing to do.
func (r *Run) saveDirty() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.delayArmed = false
	if !r.dirty {
		return
	}
	if r.cur != nil {
		r.cur.saveBehind()
		return
	}
	r.saveBehindLocked()
}

// stopDelayedSave disarms the delayed save: the run's final save writes
// everything. Called with r.mu held.
func (r *Run) stopDelayedSave() {
	if r.delayedSave != nil {
		r.delayedSave.Stop()
		r.delayArmed = false
	}
}

// How a save is written (see snapshot and recordWriter).
type saveMode int

const (
	// saveWait writes atomically, so a kill at any moment leaves a whole
	// file, but without an fsync, which would cost more than the save
	// itself; the caller waits for it: before an effect starts.
	saveWait saveMode = iota
	// saveBehind is written as saveWait is, by the background writer:
	// the run goes on meanwhile (a record past maxBehind is a saveWait).
	saveBehind
	// saveFinal waits for the disk too (an fsync): at the end of a run.
	saveFinal
)

// saveLocked saves the record and returns once it is on disk.
func (r *Run) saveLocked() error { return r.save(saveWait) }

// saveBehindLocked saves the record behind the run; a failure stops the
// run (see recordWriter.fail).
func (r *Run) saveBehindLocked() { _ = r.save(saveBehind) }

// saveDurableLocked writes the record and waits for the disk: at the end of
// a run.
func (r *Run) saveDurableLocked() error { return r.save(saveFinal) }

// save takes a snapshot of the record, under r.mu since the run changes
// the notebook, and hands it to the writer. A save the run waits for, or
// one of a record past maxBehind, is encoded straight into the file, as
// no copy of it is needed.
func (r *Run) save(mode saveMode) error {
	if r.savesOver {
		return nil
	}
	r.keepCellExtras()
	r.seq++
	r.dirty = false
	// The save interval counts from the end of the save (the hand-over of
	// one written behind the run): a large record, slow to write, would
	// otherwise be saved again as soon as it is written.
	defer func() { r.lastSave = time.Now() }()
	expected := r.lastSize + int64(r.grown)
	r.grown = 0
	if mode == saveBehind && expected <= maxBehind {
		buf := r.writer.buffer(int(r.lastSize))
		if err := r.nb.Snapshot(buf, r.cache); err != nil {
			return r.writer.fail(fmt.Errorf("save record: %w", err))
		}
		r.lastSize = int64(buf.Len())
		r.writer.later(&snapshot{seq: r.seq, data: buf})
		return nil
	}
	write := func(path string) error { return r.nb.Checkpoint(path, r.cache) }
	if mode == saveFinal {
		write = r.nb.WriteFile
	}
	size, err := r.writer.direct(r.seq, mode == saveFinal, write)
	if size > 0 {
		r.lastSize = size
	}
	return err
}

// Abort marks the running cell interrupted, saves the record and stops all
// further saves; for a second Ctrl-C, after which the process exits at once.
func (r *Run) Abort() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.nb.Cells {
		meta, _ := c.Metadata[notebook.OCSKey].(map[string]any)
		if meta["status"] == string(Running) {
			r.cache.Forget(c)
			meta["status"] = string(Interrupted)
			meta["end_time"] = time.Now().UTC().Format(time.RFC3339Nano)
		}
	}
	r.setRunMetadata(Interrupted, Result{FailedCell: -1})
	r.stopDelayedSave()
	// Written over whatever the background writer is writing, never under
	// it (the writer takes the newest snapshot only).
	err := r.saveDurableLocked()
	r.savesOver = true
	r.endEffectLogLocked(err == nil)
	r.writer.releaseReserve()
	return err
}

// timeoutMessage names the limit that stopped a cell, and its value.
func (r *Run) timeoutMessage(cause error) string {
	if errors.Is(cause, ErrRunTimeout) {
		return fmt.Sprintf("the run took longer than its limit of %s (--timeout)", r.opts.Timeout)
	}
	return fmt.Sprintf("the cell ran longer than its limit of %s (--cell-timeout)", r.opts.CellTimeout)
}

// Prepare writes the record as a run would start it (parameters injected,
// every cell pending, run status pending) and runs nothing: papermill's
// --prepare-only.
func (r *Run) Prepare() error {
	r.start = time.Now().UTC()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.setRunMetadata(Pending, Result{FailedCell: -1})
	if err := r.saveDurableLocked(); err != nil {
		return err
	}
	// The record starts anew: a killed run's log no longer belongs to it.
	_ = os.Remove(effectLogPath(r.opts.Record))
	return nil
}

// startEffectLogLocked starts a fresh effect log, once the run's first
// save holds everything an older log (of a run this one continues) knew.
// Without one, each effect's start waits for a save of the record, as
// slow but as safe. Called with r.mu held.
func (r *Run) startEffectLogLocked() {
	l, err := createEffectLog(r.opts.Record, r.start)
	if err != nil {
		r.log.Warn().Err(err).Msg("effect log unavailable, each effect start saves the record")
		return
	}
	r.effects = l
}

// endEffectLogLocked closes the effect log after the final save, and
// removes it when that save holds all it held. Called with r.mu held.
func (r *Run) endEffectLogLocked(saved bool) {
	if r.effects == nil {
		return
	}
	if saved {
		r.effects.remove()
	} else {
		_ = r.effects.f.Close()
	}
	r.effects = nil
}
