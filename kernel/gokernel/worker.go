package gokernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/traefik/yaegi/interp"

	"ocs/kernel"
	"ocs/kernel/cellenv"
	"ocs/kernel/display"
	"ocs/kernel/effects"
)

var (
	extraMu       sync.Mutex
	extraPackages = map[string]map[string]reflect.Value{}
)

// RegisterPackage makes a host package importable by cells under importPath
// (e.g. "ocs/vcp"). exports maps exported names to values as yaegi expects:
// functions and variables by value (variables as reflect.ValueOf(&v).Elem()),
// types as typed nil pointers. Call it in the worker process before
// ServeWorker.
func RegisterPackage(importPath string, exports map[string]reflect.Value) {
	extraMu.Lock()
	defer extraMu.Unlock()
	extraPackages[importPath+"/"+path.Base(importPath)] = exports
}

var (
	cellStderrMu sync.Mutex
	cellStderr   io.Writer = io.Discard
)

// CellStderr writes to the stderr stream of the cell that runs in this
// worker process: for notices of host packages (a wait for a lock) that a
// person watching the run must see. Outside a worker it discards.
func CellStderr() io.Writer {
	cellStderrMu.Lock()
	defer cellStderrMu.Unlock()
	return cellStderr
}

// ServeWorker runs the worker side of the Go kernel: it reads cells from the
// supervisor on fd 3, runs them in one yaegi interpreter, and reports on fd
// 4. It returns when the supervisor closes fd 3.
func ServeWorker(ctx context.Context) error {
	// fds 3 and 4 cannot be checked: when they were not inherited, the Go
	// runtime may have opened its own files there.
	if os.Getenv(WorkerEnv) != "1" {
		return fmt.Errorf("serve worker: %s is not set: a worker is started by the Go kernel, not by hand", WorkerEnv)
	}
	// The pipes must not leak into processes cells start: a detached one
	// (a VCP node) holding the message pipe would keep the supervisor
	// waiting for its end after the worker is gone.
	syscall.CloseOnExec(requestFD)
	syscall.CloseOnExec(responseFD)
	// Inherited pipes are blocking (os/exec makes them so), which would
	// make every wait for the next request a thread blocked in read(2),
	// that the runtime's sysmon keeps retaking and handing off (thread
	// wake-ups, expensive in a VM). Non-blocking, they go through the
	// runtime's poller and a waiting reader only parks its goroutine.
	for _, fd := range []int{requestFD, responseFD} {
		if err := syscall.SetNonblock(fd, true); err != nil {
			return fmt.Errorf("serve worker: set fd %d non-blocking: %w", fd, err)
		}
	}
	// A cell is a chain of hand-offs between goroutines (the request
	// reader, this loop, the interpreter's evaluation, the emitter); with
	// a second P idle, each one wakes another thread that finds nothing to
	// do. With one P and the non-blocking pipes above, the worker's CPU
	// per trivial cell fell by about 60% (perf over
	// BenchmarkGoStatementCell). Cells' own work is interpreted code that
	// waits on I/O and processes, which needs no second core; an explicit
	// GOMAXPROCS in the environment is kept.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	in := os.NewFile(requestFD, "ocs-requests")
	out := os.NewFile(responseFD, "ocs-messages")
	w, err := newWorker(out)
	if err != nil {
		return fmt.Errorf("serve worker: %w", err)
	}
	w.exitWithSupervisor()
	return w.serve(ctx, in)
}

// exitWithSupervisor ends the worker when its supervisor dies (the
// SIGTERM of Pdeathsig), after killing the process groups of running shell
// commands, so that no `sleep 1000` outlives a killed ocs.
func (w *worker) exitWithSupervisor() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	go func() {
		<-sigs
		w.stopAll()
		// Interpreted code may be stuck in a native call: end at once.
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	}()
}

// stopAll cancels the running cell and kills the process groups of its
// shell commands.
func (w *worker) stopAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cur != nil {
		w.cur.cancel()
	}
	for pgid := range w.groups {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
}

func (w *worker) trackGroup(pgid int, running bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.groups == nil {
		w.groups = map[int]bool{}
	}
	if running {
		w.groups[pgid] = true
	} else {
		delete(w.groups, pgid)
	}
}

// worker is the process-wide state of a worker: one interpreter, the
// environment and secrets of the session, and the cell running now.
type worker struct {
	emit   *emitter
	interp *interp.Interpreter
	env    *envStore
	shell  string // bash, or sh when bash is missing

	secretReplies chan message
	effectAcks    chan message

	imports  map[importKey]bool // packages the session imported
	packages *packageLoader     // binary packages, loaded on first import

	mu      sync.Mutex
	cur     *cellRun
	secrets []string
	groups  map[int]bool // process groups of running shell commands
}

// cellRun is the state of the running cell.
type cellRun struct {
	ctx    context.Context
	cancel context.CancelFunc
	cell   kernel.Cell
	gw     *effects.Journal
	// failure is how a bridge call failed the cell; the bridge panics to
	// unwind the interpreted code, and the panic value alone may not survive.
	failure *cellFailure
	frames  []string
}

// cellFailure is the panic value the bridge uses to fail a cell.
type cellFailure struct {
	EName      string
	EValue     string
	Divergence *kernel.DivergenceError
}

func (f *cellFailure) Error() string { return f.EName + ": " + f.EValue }

// exitRequest is the panic value of os.Exit called by cell code.
type exitRequest struct{ code int }

func newWorker(out io.Writer) (*worker, error) {
	w := &worker{
		emit:          &emitter{out: newMessageWriter(out)},
		env:           newEnvStore(os.Environ()),
		shell:         cellenv.Shell(), // by absolute path: never a `bash` planted on PATH
		secretReplies: make(chan message, 1),
		effectAcks:    make(chan message, 1),
		imports:       map[importKey]bool{},
	}
	var stdin io.Reader = strings.NewReader("")
	stdout := streamWriter{e: w.emit, name: "stdout"}
	stderr := streamWriter{e: w.emit, name: "stderr", frames: w.addFrame}
	cellStderrMu.Lock()
	cellStderr = streamWriter{e: w.emit, name: "stderr"}
	cellStderrMu.Unlock()
	i := interp.New(interp.Options{
		Stdin:  stdin,
		Stdout: stdout,
		Stderr: stderr,
		Env:    w.env.environ(),
	})
	// Packages are loaded when cells first import them (packages.go).
	w.packages = newPackageLoader(i, stdin, stdout, stderr)
	// Cell code and shell commands share one environment, and os.Exit fails
	// the cell instead of ending the worker.
	w.packages.add(interp.Exports{"os/os": w.osOverrides()})
	w.packages.add(w.hostPackages())
	extraMu.Lock()
	extra := interp.Exports{}
	for k, v := range extraPackages {
		extra[k] = v
	}
	extraMu.Unlock()
	w.packages.add(extra)
	if err := w.packages.start("ocs/shellbridge", "fmt"); err != nil {
		return nil, fmt.Errorf("load packages: %w", err)
	}
	// Cells reach the bridge under a name they will not use themselves.
	if _, err := i.Eval(`import ` + bridgeName + ` "ocs/shellbridge"`); err != nil {
		return nil, fmt.Errorf("import the shell bridge: %w", err)
	}
	if _, err := i.Eval(`import ` + fmtName + ` "fmt"`); err != nil {
		return nil, fmt.Errorf("import fmt: %w", err)
	}
	if _, err := i.Eval(`;var ` + resultPrefix + ` interface{}`); err != nil {
		return nil, fmt.Errorf("declare the result variable: %w", err)
	}
	w.interp = i
	theWorkerMu.Lock()
	theWorker = w
	theWorkerMu.Unlock()
	display.SetPublisher(func(b display.Bundle) {
		w.emit.output(kernel.Output{Kind: kernel.Display, Data: map[string]any(b), Metadata: map[string]any{}})
	})
	return w, nil
}

func (w *worker) serve(ctx context.Context, in io.Reader) error {
	cells := make(chan kernel.Cell)
	readErr := make(chan error, 1)
	go func() {
		defer close(cells)
		dec := json.NewDecoder(in)
		for {
			var m message
			if err := dec.Decode(&m); err != nil {
				if !errors.Is(err, io.EOF) {
					readErr <- fmt.Errorf("read request: %w", err)
				}
				// The supervisor is gone: nobody will read what the running
				// cell produces, so stop it and its shell commands now.
				w.stopAll()
				return
			}
			switch m.Type {
			case msgExec:
				if m.Cell != nil {
					cells <- *m.Cell
				}
			case msgInterrupt:
				w.mu.Lock()
				if w.cur != nil {
					w.cur.cancel()
				}
				w.mu.Unlock()
			case msgSecret:
				select {
				case w.secretReplies <- m:
				default: // a reply nobody waits for any more
				}
			case msgEffectAck:
				select {
				case w.effectAcks <- m:
				default:
				}
			}
		}
	}()
	if err := w.emit.send(message{Type: msgReady}); err != nil {
		return fmt.Errorf("report ready: %w", err)
	}
	for cell := range cells {
		done := w.runCell(ctx, cell)
		if err := w.emit.send(message{Type: msgDone, Done: &done}); err != nil {
			return fmt.Errorf("report cell %d done: %w", cell.Index, err)
		}
	}
	select {
	case err := <-readErr:
		return err
	default:
		return nil
	}
}

func (w *worker) addFrame(line string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cur != nil {
		w.cur.frames = append(w.cur.frames, line)
	}
}

func (w *worker) current() *cellRun {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cur
}

// runCell runs one cell and reports how it ended; outputs have been sent.
func (w *worker) runCell(parent context.Context, cell kernel.Cell) doneReport {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	run := &cellRun{ctx: ctx, cancel: cancel, cell: cell, gw: nil}
	// An effect that ends after its cell (the interpreter returns at an
	// interrupt before the call it made has stopped) is not reported to
	// the next cell's host; the supervisor ended it as interrupted.
	run.gw = effects.NewJournal(cell.Mode, cell.Journal, cell.Index, w.mask, func(e kernel.Effect) error {
		if w.current() != run {
			return nil
		}
		return w.reportEffect(e)
	})
	run.gw.OnStart(func(e kernel.Effect) error { return w.reportStart(ctx, e) })
	w.mu.Lock()
	w.cur = run
	w.mu.Unlock()
	w.addSecrets(cell.Mask...)
	uninstall := effects.Install(ctx, run.gw)
	defer func() {
		uninstall()
		w.mu.Lock()
		w.cur = nil
		w.mu.Unlock()
	}()

	err := w.execute(ctx, run)
	if err == nil {
		var d *kernel.DivergenceError
		if errors.As(run.gw.Finish(), &d) {
			err = &cellFailure{EName: "DivergenceError", EValue: d.Error(), Divergence: d}
		}
	}
	if d := run.gw.Diverged(); d != nil && ctx.Err() == nil {
		// Whatever the code did with the gateway's error (a host package
		// may hand it to cell code, which may ignore it), the replay is
		// void.
		err = &cellFailure{EName: "DivergenceError", EValue: d.Error(), Divergence: d}
	}
	w.emit.flush()
	if err == nil {
		return doneReport{Status: statusOK}
	}
	if ctx.Err() != nil {
		return doneReport{Status: statusCanceled, EName: "Interrupted", EValue: "the cell was interrupted"}
	}
	out := w.errorOutput(run, err)
	w.emit.output(out)
	done := doneReport{Status: statusError, EName: out.EName, EValue: out.EValue}
	var f *cellFailure
	if errors.As(err, &f) && f.Divergence != nil {
		done.Divergence = f.Divergence
	} else if run.failure != nil && run.failure.Divergence != nil {
		done.Divergence = run.failure.Divergence
	}
	return done
}

// Check reports what is wrong with a cell that can be found without
// running it: unknown or malformed magics and shell lines, and Go syntax
// errors, at the cell's own line numbers. Type errors depend on the
// session the earlier cells build, so only running the cells finds those.
func Check(src string) error {
	_, _, err := planCell(src)
	return err
}

// planCell rewrites a cell into segments and splits their Go code into
// chunks, checking the syntax of all of them before any runs.
func planCell(src string) ([]segment, [][]chunk, error) {
	segs, err := rewriteCell(src)
	if err != nil {
		return nil, nil, &compileError{msg: err.Error()}
	}
	plans := make([][]chunk, len(segs))
	for i, s := range segs {
		if s.RunPath != "" {
			continue
		}
		plans[i] = splitChunks(s.Go)
		for j := range plans[i] {
			c := &plans[i][j]
			if err := c.check(); err != nil {
				return nil, nil, &compileError{msg: clampLine(cellPositions(syntaxMessage(err), 0), src)}
			}
		}
	}
	return segs, plans, nil
}

var linePrefix = regexp.MustCompile(`^line (\d+):\d+: `)

// clampLine moves an error found past the cell's last line (an unclosed
// bracket is reported where the parser's wrapper closes) to the end of the
// cell's last line.
func clampLine(msg, src string) string {
	last := strings.Count(strings.TrimRight(src, "\n"), "\n") + 1
	m := linePrefix.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	if n, _ := strconv.Atoi(m[1]); n <= last {
		return msg
	}
	lines := strings.Split(strings.TrimRight(src, "\n"), "\n")
	return fmt.Sprintf("line %d:%d: %s (at the end of the cell)", last, len(lines[last-1])+1, msg[len(m[0]):])
}

// execute rewrites, checks and evaluates the cell.
func (w *worker) execute(ctx context.Context, run *cellRun) error {
	segs, plans, err := planCell(run.cell.Source)
	if err != nil {
		return err
	}
	for i, s := range segs {
		if s.RunPath != "" {
			if err := w.runFile(ctx, s); err != nil {
				return err
			}
			continue
		}
		for j, c := range plans[i] {
			last := i == len(segs)-1 && j == len(plans[i])-1
			if last {
				if err := w.evalLast(ctx, c); err != nil {
					return err
				}
				continue
			}
			if err := w.evalChunk(ctx, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// evalChunk evaluates a chunk that yields no result.
func (w *worker) evalChunk(ctx context.Context, c chunk) error {
	c, imports := dropKnownImports(c, w.imports)
	if strings.TrimSpace(c.Src) == "" {
		return nil
	}
	for _, k := range imports {
		if err := w.packages.ensure(k.path); err != nil {
			return err
		}
	}
	if _, err := w.eval(ctx, c.evalSource()); err != nil {
		return err
	}
	for _, k := range imports {
		w.imports[k] = true
	}
	return nil
}

// eval runs source in the interpreter. yaegi can panic while compiling
// (e.g. "nil type" for range over int), outside its own recover.
func (w *worker) eval(ctx context.Context, src string) (v reflect.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = interp.Panic{Value: r}
		}
	}()
	v, err = w.interp.EvalWithContext(ctx, src)
	if err != nil && ctx.Err() != nil {
		return v, ctx.Err()
	}
	return v, err
}

// resultPrefix names the variable that holds the value of a trailing
// expression, so that it is evaluated once and formatted inside the
// interpreter, where the methods of interpreted types are known. It is one
// interface{} variable assigned for every result: redefining a global with
// := and a value of another type fails in yaegi ("constant definition
// loop"), and a new global per cell makes every later Eval slower.
const resultPrefix = "__ocsR"

// noValueBuiltins are builtins a trailing call of which yields no result.
var noValueBuiltins = map[string]bool{"panic": true, "print": true, "println": true, "close": true, "delete": true}

// evalLast evaluates the cell's last chunk; a trailing expression with one
// value becomes the execute_result.
func (w *worker) evalLast(ctx context.Context, c chunk) error {
	head, expr, ok := c.trailingExpr()
	if !ok {
		return w.evalChunk(ctx, c)
	}
	if strings.TrimSpace(head.Src) != "" {
		if _, err := w.eval(ctx, head.evalSource()); err != nil {
			return err
		}
	}
	if callee, isCall := pureCallee(expr.Src); isCall {
		statement := noValueBuiltins[callee]
		if !statement {
			fn, err := w.eval(ctx, padTo(stmtChunk, expr.Line, expr.Col, callee))
			switch {
			case err == nil && fn.IsValid() && fn.Kind() == reflect.Func:
				statement = fn.Type().NumOut() != 1
			case err != nil && strings.Contains(err.Error(), "undefined:"):
				// Reported now: a failed definition below would hide it.
				return err
			}
		}
		if statement {
			_, err := w.eval(ctx, expr.evalSource())
			return err
		}
	}
	// The assignment sits on the line above the expression, so positions
	// in the expression stay the cell's own.
	resultVar := resultPrefix
	src := ";" + strings.Repeat("\n", expr.Line-1) + resultVar + " =\n" + strings.Repeat(" ", expr.Col-1) + expr.Src
	if _, err := w.eval(ctx, src); err != nil {
		var p interp.Panic
		if errors.As(err, &p) || ctx.Err() != nil || !strings.Contains(err.Error(), "definition loop") {
			return err
		}
		// yaegi hides some compile errors of a definition behind "definition
		// loop"; nothing ran, so evaluating the bare expression reports the
		// real error (or, if it compiles after all, gives the value).
		v, err := w.eval(ctx, expr.evalSource())
		if err != nil {
			return err
		}
		if !v.IsValid() {
			return nil
		}
		data, err := w.render(ctx, v, "")
		if err != nil {
			return err
		}
		w.emit.output(kernel.Output{Kind: kernel.Result, Data: data, Metadata: map[string]any{}, ExecutionCount: w.current().cell.Count})
		return nil
	}
	v, err := w.eval(ctx, ";"+resultVar)
	if err != nil {
		return err
	}
	data, err := w.render(ctx, v, resultVar)
	if err != nil {
		return err
	}
	w.emit.output(kernel.Output{Kind: kernel.Result, Data: data, Metadata: map[string]any{}, ExecutionCount: w.current().cell.Count})
	return nil
}

func (w *worker) render(ctx context.Context, v reflect.Value, resultVar string) (map[string]any, error) {
	for v.IsValid() && v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	if v.IsValid() && v.CanInterface() {
		if r, ok := v.Interface().(display.Renderer); ok && r != nil && !(v.Kind() == reflect.Pointer && v.IsNil()) {
			return map[string]any(r.MIMEBundle()), nil
		}
		if v.Kind() == reflect.String {
			return map[string]any{"text/plain": strconv.Quote(v.String())}, nil
		}
		if resultVar == "" {
			return map[string]any{"text/plain": fmt.Sprint(v.Interface())}, nil
		}
	}
	text, err := w.eval(ctx, ";"+fmtName+".Sprint("+resultVar+")")
	if err != nil {
		return nil, err
	}
	if text.Kind() != reflect.String {
		return map[string]any{"text/plain": fmt.Sprint(text)}, nil
	}
	return map[string]any{"text/plain": text.String()}, nil
}

// runFile loads a Go file's declarations into the session (%run).
func (w *worker) runFile(ctx context.Context, s segment) error {
	v, err := w.eval(ctx, padTo(stmtChunk, s.Line, 1, s.RunPath))
	if err != nil {
		return err
	}
	name := v.String()
	data, err := os.ReadFile(name)
	if err != nil {
		return &cellFailure{EName: "RunError", EValue: fmt.Sprintf("%%run %q: %v", name, err)}
	}
	src := stripPackageClause(string(data))
	for _, c := range splitChunks(src) {
		if err := c.checkSyntax(); err != nil {
			return &compileError{msg: fmt.Sprintf("%%run %q: %s", name, filePositions(syntaxMessage(err), name, 0))}
		}
	}
	for _, c := range splitChunks(src) {
		if err := w.evalChunk(ctx, c); err != nil {
			var p interp.Panic
			if errors.As(err, &p) || ctx.Err() != nil {
				return err
			}
			return &compileError{msg: fmt.Sprintf("%%run %q: %s", name, filePositions(err.Error(), name, 1))}
		}
	}
	return nil
}

var packageClauseRE = regexp.MustCompile(`(?m)^package[ \t]+[A-Za-z_][A-Za-z_0-9]*[ \t]*(;|$)`)

// stripPackageClause blanks a file's package clause, keeping its lines.
func stripPackageClause(src string) string {
	loc := packageClauseRE.FindStringIndex(src)
	if loc == nil {
		return src
	}
	return src[:loc[0]] + strings.Repeat(" ", loc[1]-loc[0]) + src[loc[1]:]
}

// compileError is an error found before or while compiling cell code, its
// positions already mapped to cell lines.
type compileError struct{ msg string }

func (e *compileError) Error() string { return e.msg }

// errorOutput maps what went wrong to the error output of the cell.
func (w *worker) errorOutput(run *cellRun, err error) kernel.Output {
	out := kernel.Output{Kind: kernel.Error}
	var ce *compileError
	var f *cellFailure
	var p interp.Panic
	switch {
	case errors.As(err, &ce):
		out.EName, out.EValue = "CompileError", ce.msg
	case errors.As(err, &f):
		out.EName, out.EValue = f.EName, f.EValue
	case errors.As(err, &p):
		switch v := p.Value.(type) {
		case *cellFailure:
			out.EName, out.EValue = v.EName, v.EValue
		case exitRequest:
			out.EName, out.EValue = "Exit", fmt.Sprintf("os.Exit(%d) called by the cell", v.code)
		default:
			if run.failure != nil {
				out.EName, out.EValue = run.failure.EName, run.failure.EValue
			} else {
				out.EName, out.EValue = "Panic", cellPositions(fmt.Sprint(p.Value), 1)
				out.Traceback = append(out.Traceback, "panic: "+out.EValue)
				for _, fr := range run.frames {
					out.Traceback = append(out.Traceback, "  "+cellPositions(fr, 1))
				}
			}
		}
	default:
		out.EName, out.EValue = "CompileError", cellPositions(err.Error(), 1)
	}
	if len(out.Traceback) == 0 {
		out.Traceback = []string{out.EName + ": " + out.EValue}
		if line := firstLine(out.EValue); line > 0 {
			if src := sourceLine(run.cell.Source, line); src != "" {
				out.Traceback = append(out.Traceback, fmt.Sprintf("%4d | %s", line, src))
			}
		}
	}
	return out
}

func syntaxMessage(err error) string {
	msg := err.Error()
	return msg
}

var positionRE = regexp.MustCompile(`(?:_\.go:|cell:)?(\d+):(\d+)(: )`)

// cellPositions rewrites "L:C: " positions (yaegi's, with shift lines of
// wrapper above the cell) as "line L:C: ".
func cellPositions(msg string, shift int) string {
	return positionRE.ReplaceAllStringFunc(msg, func(m string) string {
		sub := positionRE.FindStringSubmatch(m)
		line, _ := strconv.Atoi(sub[1])
		return fmt.Sprintf("line %d:%s: ", max(line-shift, 1), sub[2])
	})
}

func filePositions(msg, name string, shift int) string {
	return positionRE.ReplaceAllStringFunc(msg, func(m string) string {
		sub := positionRE.FindStringSubmatch(m)
		line, _ := strconv.Atoi(sub[1])
		return fmt.Sprintf("%s:%d:%s: ", name, max(line-shift, 1), sub[2])
	})
}

var firstLineRE = regexp.MustCompile(`^line (\d+):`)

func firstLine(msg string) int {
	m := firstLineRE.FindStringSubmatch(msg)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func sourceLine(src string, line int) string {
	lines := strings.Split(src, "\n")
	if line < 1 || line > len(lines) {
		return ""
	}
	return strings.TrimRight(lines[line-1], "\r")
}

// envStore is the session's environment: cell code's os.Getenv and friends
// and every shell command see the same variables.
type envStore struct {
	mu   sync.Mutex
	vars map[string]string
}

func newEnvStore(environ []string) *envStore {
	s := &envStore{vars: map[string]string{}}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == WorkerEnv || k == "YAEGI_SPECIAL_STDIO" {
			continue
		}
		s.vars[k] = v
	}
	return s
}

func (s *envStore) get(k string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.vars[k]
	return v, ok
}

func (s *envStore) set(k, v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.vars[k] = v
}

func (s *envStore) unset(k string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.vars, k)
}

func (s *envStore) environ() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.vars))
	for k, v := range s.vars {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func (w *worker) osOverrides() map[string]reflect.Value {
	getenv := func(k string) string { v, _ := w.env.get(k); return v }
	return map[string]reflect.Value{
		"Exit":      reflect.ValueOf(func(code int) { panic(exitRequest{code}) }),
		"Getenv":    reflect.ValueOf(getenv),
		"LookupEnv": reflect.ValueOf(w.env.get),
		"Setenv":    reflect.ValueOf(func(k, v string) error { w.env.set(k, v); return nil }),
		"Unsetenv":  reflect.ValueOf(func(k string) error { w.env.unset(k); return nil }),
		"Environ":   reflect.ValueOf(w.env.environ),
		"ExpandEnv": reflect.ValueOf(func(s string) string { return os.Expand(s, getenv) }),
		"Clearenv": reflect.ValueOf(func() {
			w.env.mu.Lock()
			w.env.vars = map[string]string{}
			w.env.mu.Unlock()
		}),
	}
}
