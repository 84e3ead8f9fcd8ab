// Package gokernel runs notebook cells written in Go: a yaegi interpreter with
// notebook semantics and an IPython-style shell bridge, inside a worker
// process that a supervisor implementing kernel.Kernel starts, talks to,
// interrupts and, when it must, kills.
package gokernel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"ocs/kernel"
	"ocs/kernel/gokernel/standby"
)

// WorkerSubcommand is the hidden ocs subcommand that runs ServeWorker.
const WorkerSubcommand = standby.Subcommand

const (
	// interruptGrace is how long a worker may take to stop a cell after an
	// interrupt before it is killed; with the kill it stays within the two
	// seconds the kernel.Kernel contract allows.
	interruptGrace = 1500 * time.Millisecond
	startTimeout   = 30 * time.Second
	closeTimeout   = 2 * time.Second
)

// Options configure a Go kernel.
type Options struct {
	// Dir is the session's initial working directory ("" = the caller's).
	Dir string
	// Env is the session's initial environment (nil = the caller's).
	Env []string
	// WorkerCommand starts a worker process (default: this executable with
	// the hidden kernel-worker subcommand).
	WorkerCommand []string
	// Logger receives the supervisor's logs (default: the one in ctx).
	Logger *zerolog.Logger
}

// Kernel is a Go kernel: a supervised worker process running yaegi.
type Kernel struct {
	opts Options
	log  zerolog.Logger
	// defaultWorker: opts.WorkerCommand is this executable's worker verb,
	// which a standby (package standby) runs.
	defaultWorker bool

	// closing is closed by Close, so that a running Execute gives up the
	// kernel instead of holding Close off.
	closing   chan struct{}
	closeOnce sync.Once
	// reader is the worker whose messages a caller is waiting for, for
	// Close to wake (see waking).
	reader atomic.Pointer[workerProc]

	mu      sync.Mutex
	proc    *workerProc
	unready bool // proc was started by Start and has not said it is ready
	// startFailed: the worker of Start did not start, and no cell has
	// reported it yet.
	startFailed bool
	dead        error // wraps kernel.ErrDead once the worker is gone for good
	closed      bool
}

var (
	_ kernel.Starter  = (*Kernel)(nil)
	_ kernel.Finisher = (*Kernel)(nil)
)

// New starts a worker and returns once it is ready.
func New(ctx context.Context, opts Options) (*Kernel, error) {
	k, err := Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	p := k.proc
	if err := k.awaitReady(ctx, p); err != nil {
		p.kill()
		return nil, fmt.Errorf("start go kernel: %w", err)
	}
	k.unready = false
	return k, nil
}

// Start starts a worker and returns without waiting for it to be ready:
// the worker's start-up (a new process and its interpreter, tens of
// milliseconds) then overlaps what the caller does before its first cell,
// which waits for it. A worker that does not start fails that Execute with
// ErrDead and the reason.
func Start(ctx context.Context, opts Options) (*Kernel, error) {
	defaultWorker := len(opts.WorkerCommand) == 0
	if defaultWorker {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("start go kernel: find own executable: %w", err)
		}
		opts.WorkerCommand = []string{exe, WorkerSubcommand}
	}
	if opts.Env == nil {
		opts.Env = os.Environ()
	}
	log := zerolog.Ctx(ctx)
	if opts.Logger != nil {
		log = opts.Logger
	}
	k := &Kernel{opts: opts, log: *log, closing: make(chan struct{})}
	k.defaultWorker = defaultWorker
	p, err := k.launch()
	if err != nil {
		return nil, fmt.Errorf("start go kernel: %w", err)
	}
	k.proc = p
	k.unready = true
	return k, nil
}

// workerProc is one running worker process.
type workerProc struct {
	process  *os.Process
	standby  bool // adopted from package standby rather than started
	requests *os.File
	out      *messageWriter
	// messages is read by whoever waits for the worker (Execute,
	// awaitReady, Close), not by a goroutine of its own: a message handed
	// from a reader goroutine to the waiting one woke a second thread for
	// every cell (see readMessage).
	messages *os.File
	lines    lineReader
	exited   chan struct{} // closed once the process has been reaped
	waitErr  error
	tail     *tailBuffer
	children map[int]bool // shell process groups alive in the worker
	launched time.Time
}

// start starts a worker and waits until it is ready.
func (k *Kernel) start(ctx context.Context) (*workerProc, error) {
	p, err := k.launch()
	if err != nil {
		return nil, err
	}
	if err := k.awaitReady(ctx, p); err != nil {
		p.kill()
		return nil, err
	}
	return p, nil
}

// launch starts a worker process. The first
// launch of the process adopts the standby worker of `ocs run`, when there
// is one and it fits (adopt).
func (k *Kernel) launch() (*workerProc, error) {
	if w := standby.Take(); w != nil {
		if p := k.adopt(w); p != nil {
			return p, nil
		}
	}
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("create request pipe: %w", err)
	}
	msgR, msgW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, fmt.Errorf("create message pipe: %w", err)
	}
	argv := k.opts.WorkerCommand
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = k.opts.Dir
	cmd.Env = k.workerEnv()
	cmd.ExtraFiles = []*os.File{reqR, msgW} // fds 3 and 4
	tail := &tailBuffer{max: 64 << 10}
	cmd.Stdout = tail
	cmd.Stderr = tail
	cmd.SysProcAttr = workerProcAttr()
	err = cmd.Start()
	reqR.Close()
	msgW.Close()
	if err != nil {
		reqW.Close()
		msgR.Close()
		return nil, fmt.Errorf("run worker %q: %w", argv[0], err)
	}
	return k.supervise(cmd.Process, false, reqW, msgR, tail, cmd.Wait), nil
}

// workerEnv is the environment a worker process starts with.
func (k *Kernel) workerEnv() []string {
	return append(append([]string(nil), k.opts.Env...), WorkerEnv+"=1")
}

// adopt configures the standby worker as the worker launch would start and
// returns it, or kills it and returns nil when it cannot be that worker: a
// worker command other than the default, a runtime variable (GOGC,
// GOMAXPROCS, ...) or an ignored signal that differs, a directory that is
// not one (whose failure a fresh start reports).
func (k *Kernel) adopt(w *standby.Worker) *workerProc {
	env := k.workerEnv()
	why := ""
	if !k.defaultWorker || !slices.Equal(w.Argv, k.opts.WorkerCommand) {
		why = "worker command differs"
	} else if ok, reason := w.Fits(env); !ok {
		why = reason
	} else if fi, err := os.Stat(k.dirOrDot()); err != nil || !fi.IsDir() {
		why = "no such directory"
	} else if err := w.Configure(k.opts.Dir, env); err != nil {
		why = "configure: " + err.Error()
	}
	if why != "" {
		k.log.Debug().Int("pid", w.Process.Pid).Str("reason", why).Msg("go kernel standby worker not adopted")
		w.Kill()
		return nil
	}
	tail := &tailBuffer{max: 64 << 10}
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(tail, w.Output)
		w.Output.Close()
		close(copied)
	}()
	// As exec.Cmd.Wait: the process, then the end of its output.
	wait := func() error {
		state, err := w.Process.Wait()
		<-copied
		if err != nil {
			return err
		}
		if !state.Success() {
			return &exec.ExitError{ProcessState: state}
		}
		return nil
	}
	return k.supervise(w.Process, true, w.Requests, w.Messages, tail, wait)
}

func (k *Kernel) dirOrDot() string {
	if k.opts.Dir == "" {
		return "."
	}
	return k.opts.Dir
}

// supervise makes the workerProc of a started worker, and reaps the
// worker with wait when it exits (its messages are read by whoever waits
// for them: see readMessage).
func (k *Kernel) supervise(proc *os.Process, adopted bool, reqW, msgR *os.File, tail *tailBuffer, wait func() error) *workerProc {
	p := &workerProc{
		process:  proc,
		standby:  adopted,
		requests: reqW,
		out:      newMessageWriter(reqW),
		messages: msgR,
		lines:    lineReader{r: msgR},
		exited:   make(chan struct{}),
		tail:     tail,
		children: map[int]bool{},
		launched: time.Now(),
	}
	go func() {
		p.waitErr = wait()
		close(p.exited)
	}()
	return p
}

// errWoken is readMessage's answer when wake cut a wait short.
var errWoken = errors.New("woken")

// pastDeadline is a read deadline that has passed: it ends a blocked read.
var pastDeadline = time.Unix(1, 0)

// wake makes a readMessage that waits, or the next one, return errWoken,
// from any goroutine; the waiter then looks at why (its context, the
// kernel's closing, a timer).
func (p *workerProc) wake() { _ = p.messages.SetReadDeadline(pastDeadline) }

// readMessage reads the worker's next message. The caller reads in its
// own goroutine, so a cell's done message wakes the goroutine that waits
// for it, not a reader goroutine that would hand it on (and, with a
// second P idle, wake another thread to run the waiter). It returns
// errWoken after a wake (the deadline is cleared again first, so a wake
// that comes later is not lost: the caller checks its reasons, then reads
// again), and io.EOF or another error once the worker's stream ended.
func (p *workerProc) readMessage() (message, error) {
	line, err := p.lines.next()
	if errors.Is(err, os.ErrDeadlineExceeded) {
		_ = p.messages.SetReadDeadline(time.Time{})
		return message{}, errWoken
	}
	if err != nil {
		return message{}, err
	}
	var m message
	if err := json.Unmarshal(line, &m); err != nil {
		return message{}, fmt.Errorf("malformed message from the worker: %w", err)
	}
	return m, nil
}

// lineReader reads newline-ended lines, keeping a line it got part of when
// a read fails (a deadline) for the next call.
type lineReader struct {
	r    io.Reader
	buf  []byte // buf[off:] is read and not yet returned
	off  int
	scan int // buf[off:scan] holds no newline
}

// next returns the next line without its newline; it is valid until the
// next call.
func (l *lineReader) next() ([]byte, error) {
	for {
		if i := bytes.IndexByte(l.buf[l.scan:], '\n'); i >= 0 {
			end := l.scan + i
			line := l.buf[l.off:end]
			l.off, l.scan = end+1, end+1
			return line, nil
		}
		l.scan = len(l.buf)
		if l.off > 0 {
			// What was returned before is no longer needed.
			n := copy(l.buf, l.buf[l.off:])
			l.buf, l.scan, l.off = l.buf[:n], l.scan-l.off, 0
		}
		if cap(l.buf)-len(l.buf) < 4<<10 {
			l.buf = slices.Grow(l.buf, max(4<<10, len(l.buf)))
		}
		n, err := l.r.Read(l.buf[len(l.buf):cap(l.buf)])
		l.buf = l.buf[:len(l.buf)+n]
		if n == 0 && err != nil {
			return nil, err
		}
	}
}

// awaitReady waits for the worker's ready message, until startTimeout
// after its launch. On an error the caller kills the worker; a cancelled
// ctx leaves it starting, to be waited for again.
func (k *Kernel) awaitReady(ctx context.Context, p *workerProc) error {
	var timedOut atomic.Bool
	timer := time.AfterFunc(time.Until(p.launched.Add(startTimeout)), func() { timedOut.Store(true); p.wake() })
	defer timer.Stop()
	defer context.AfterFunc(ctx, p.wake)()
	defer k.waking(p)()
	for {
		switch {
		case timedOut.Load():
			return fmt.Errorf("%w: worker not ready after %s", kernel.ErrDead, startTimeout)
		case k.isClosing():
			return fmt.Errorf("%w: kernel closed", kernel.ErrDead)
		case ctx.Err() != nil:
			return ctx.Err()
		}
		m, err := p.readMessage()
		if errors.Is(err, errWoken) {
			continue
		}
		if err == nil && m.Type == msgReady {
			k.log.Debug().Int("pid", p.process.Pid).Bool("standby", p.standby).Dur("took", time.Since(p.launched)).Msg("go kernel worker ready")
			return nil
		}
		return fmt.Errorf("%w: worker did not start: %s", kernel.ErrDead, p.diagnosis())
	}
}

// waking makes Close wake p's reader, until the returned func is called.
// Whoever reads p's messages calls it first, and checks isClosing after
// it and before each read: either Close sees the reader, or the reader
// sees that Close has begun.
func (k *Kernel) waking(p *workerProc) (done func()) {
	k.reader.Store(p)
	return func() { k.reader.CompareAndSwap(p, nil) }
}

func (k *Kernel) isClosing() bool {
	select {
	case <-k.closing:
		return true
	default:
		return false
	}
}

// kill ends the worker and every shell process group it reported, and
// waits for the worker to be reaped.
func (p *workerProc) kill() {
	for pid := range p.children {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
	_ = syscall.Kill(-p.process.Pid, syscall.SIGKILL)
	_ = p.process.Kill()
	p.requests.Close()
	<-p.exited
	p.messages.Close()
}

// diagnosis describes why a worker ended, from its exit status and the last
// lines it wrote (a goroutine panic's message, say).
func (p *workerProc) diagnosis() string {
	select {
	case <-p.exited:
	case <-time.After(closeTimeout):
	}
	why := "worker exited"
	if p.waitErr != nil {
		why = "worker " + p.waitErr.Error()
	}
	t := p.tail.String()
	// A Go crash dump starts at its "panic:" or "fatal error:" line.
	for _, marker := range []string{"\npanic: ", "\nfatal error: "} {
		if i := strings.Index("\n"+t, marker); i >= 0 {
			t = t[i:]
			break
		}
	}
	if t = strings.TrimSpace(t); t != "" {
		why += ": " + firstLines(t, 4)
	}
	return why
}

// Ready waits until a worker started by Start is ready; see kernel.Starter.
func (k *Kernel) Ready(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return fmt.Errorf("%w: kernel closed", kernel.ErrDead)
	}
	if k.dead != nil {
		return k.dead
	}
	return k.readyLocked(ctx)
}

// readyLocked waits for the worker of Start; a worker that does not start
// makes the kernel dead. A cancelled ctx leaves it starting.
func (k *Kernel) readyLocked(ctx context.Context) error {
	if !k.unready {
		return nil
	}
	p := k.proc
	if err := k.awaitReady(ctx, p); err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return err
		}
		p.kill()
		k.dead, k.startFailed, k.unready = err, true, false
		k.log.Error().Err(err).Msg("go kernel worker did not start")
		return err
	}
	k.unready = false
	return nil
}

// Execute runs one cell; see kernel.Kernel.
func (k *Kernel) Execute(ctx context.Context, cell kernel.Cell, host kernel.Host) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return fmt.Errorf("execute cell %d: %w: kernel closed", cell.Index, kernel.ErrDead)
	}
	if err := k.readyLocked(ctx); err != nil && k.dead == nil {
		return fmt.Errorf("execute cell %d: %w", cell.Index, err)
	}
	if k.dead != nil {
		if k.startFailed {
			// The first cell tells why no cell can run.
			k.startFailed = false
			host.Output(kernel.Output{Kind: kernel.Error, EName: "KernelDied", EValue: k.dead.Error(), Traceback: []string{"KernelDied: " + k.dead.Error()}})
		}
		return fmt.Errorf("execute cell %d: %w", cell.Index, k.dead)
	}
	p := k.proc
	if err := p.out.send(message{Type: msgExec, Cell: &cell}); err != nil {
		return k.died(cell, host, p)
	}
	// The loop reads the worker's messages itself; a cancelled ctx, the
	// interrupt's grace running out and Close wake its read.
	defer k.waking(p)()
	stopCtxWake := context.AfterFunc(ctx, p.wake)
	defer stopCtxWake()
	interrupted := false
	var graceOver atomic.Bool
	var grace *time.Timer
	defer func() {
		if grace != nil {
			grace.Stop()
		}
	}()
	// Effects that started and have not ended: if the worker must be
	// killed, ocs itself cut them short.
	var inflight []kernel.Effect
	for {
		switch {
		case k.isClosing():
			p.kill()
			k.dead = fmt.Errorf("%w: kernel closed", kernel.ErrDead)
			return fmt.Errorf("execute cell %d: %w", cell.Index, k.dead)
		case graceOver.Load():
			k.log.Warn().Int("cell", cell.Index).Str("cell_id", cell.ID).Msg("worker did not stop the cell in time; restarting it")
			p.kill()
			for _, e := range inflight {
				host.Effect(kernel.Effect{Op: e.Op, Args: e.Args, Err: kernel.ErrEffectInterrupted})
			}
			np, err := k.start(context.WithoutCancel(ctx))
			if err != nil {
				k.dead = fmt.Errorf("%w: restart after an interrupt failed: %w", kernel.ErrDead, err)
				return fmt.Errorf("execute cell %d: %w (%w)", cell.Index, ctx.Err(), k.dead)
			}
			k.proc = np
			host.Output(kernel.Output{Kind: kernel.Stream, Name: "stderr", Text: "ocs: the Go kernel did not stop in time and was restarted; earlier cells' state is lost\n"})
			return fmt.Errorf("execute cell %d: %w (the kernel was restarted and lost its state)", cell.Index, ctx.Err())
		case ctx.Err() != nil && !interrupted:
			k.log.Debug().Int("cell", cell.Index).Str("cell_id", cell.ID).Msg("interrupting cell")
			interrupted = true
			_ = p.out.send(message{Type: msgInterrupt})
			grace = time.AfterFunc(interruptGrace, func() { graceOver.Store(true); p.wake() })
		}
		m, err := p.readMessage()
		if errors.Is(err, errWoken) {
			continue
		}
		if err != nil {
			return k.died(cell, host, p)
		}
		switch m.Type {
		case msgOutput:
			if m.Output != nil {
				host.Output(*m.Output)
			}
		case msgEffect:
			if m.Effect != nil {
				inflight = endInflight(inflight, *m.Effect)
				host.Effect(*m.Effect)
			}
		case msgEffectStart:
			if m.Effect != nil {
				inflight = append(inflight, *m.Effect)
			}
			reply := message{Type: msgEffectAck}
			if s, ok := host.(kernel.EffectStarter); ok && m.Effect != nil {
				if err := s.EffectStarted(*m.Effect); err != nil {
					reply.Err = err.Error()
				}
			}
			_ = p.out.send(reply)
		case msgSecret:
			reply := message{Type: msgSecret, Name: m.Name}
			v, err := host.Secret(m.Name)
			if err != nil {
				reply.Err = err.Error()
			} else {
				reply.Value = v
			}
			_ = p.out.send(reply)
		case msgChild:
			p.children[m.PID] = true
		case msgChildDone:
			delete(p.children, m.PID)
		case msgDone:
			// An effect the cell's code left running (interpreted code
			// returns at an interrupt while the call it made is still
			// being stopped) is cut short by the cell's end.
			for _, e := range inflight {
				host.Effect(kernel.Effect{Op: e.Op, Args: e.Args, Err: kernel.ErrEffectInterrupted})
			}
			return doneError(ctx, cell, m.Done)
		}
	}
}

// WorkerPID returns the process id of the current worker, for diagnostics.
func (k *Kernel) WorkerPID() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.proc == nil {
		return 0
	}
	return k.proc.process.Pid
}

// died records that the worker is gone and reports it.
func (k *Kernel) died(cell kernel.Cell, host kernel.Host, p *workerProc) error {
	p.kill()
	why := p.diagnosis()
	k.dead = fmt.Errorf("%w: %s", kernel.ErrDead, why)
	k.log.Error().Int("cell", cell.Index).Str("reason", why).Msg("go kernel worker died")
	host.Output(kernel.Output{Kind: kernel.Error, EName: "KernelDied", EValue: why, Traceback: []string{"KernelDied: " + why}})
	return fmt.Errorf("execute cell %d: %w", cell.Index, k.dead)
}

func doneError(ctx context.Context, cell kernel.Cell, d *doneReport) error {
	if d == nil {
		return fmt.Errorf("execute cell %d: %w: malformed report", cell.Index, kernel.ErrDead)
	}
	switch d.Status {
	case statusOK:
		return nil
	case statusCanceled:
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("execute cell %d: %w", cell.Index, err)
		}
		return &kernel.CellError{EName: d.EName, EValue: d.EValue}
	}
	if d.Divergence != nil {
		return d.Divergence
	}
	return &kernel.CellError{EName: d.EName, EValue: d.EValue}
}

// Finish closes the worker's request pipe, so that the worker ends and
// exits while the runner saves the record; see kernel.Finisher.
func (k *Kernel) Finish() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.closed && k.proc != nil && !k.unready {
		k.proc.requests.Close()
	}
}

// Close stops the worker: it exits when its request stream ends; one that
// does not is killed.
func (k *Kernel) Close() error {
	k.closeOnce.Do(func() { close(k.closing) })
	if p := k.reader.Load(); p != nil {
		p.wake()
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil
	}
	k.closed = true
	p := k.proc
	if p == nil {
		return nil
	}
	if k.unready {
		// No cell ran: nothing to finish.
		p.kill()
		return nil
	}
	p.requests.Close()
	// The worker ends its message stream as it exits. A wake meant for
	// an Execute that has returned (its context's, running late) does not
	// cut the wait short.
	deadline := time.Now().Add(closeTimeout)
	_ = p.messages.SetReadDeadline(deadline)
	for {
		_, err := p.lines.next()
		if errors.Is(err, os.ErrDeadlineExceeded) && time.Now().Before(deadline) {
			_ = p.messages.SetReadDeadline(deadline)
			continue
		}
		if err != nil {
			break
		}
	}
	p.kill()
	return nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

var _ io.Writer = (*tailBuffer)(nil)

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

func firstLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " | ")
}

// endInflight removes from inflight the started effect that e ends.
func endInflight(inflight []kernel.Effect, e kernel.Effect) []kernel.Effect {
	for i, s := range inflight {
		if s.Op == e.Op && reflect.DeepEqual(s.Args, e.Args) {
			return append(inflight[:i], inflight[i+1:]...)
		}
	}
	return inflight
}
