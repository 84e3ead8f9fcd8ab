// Package jupyter runs notebook cells in a Jupyter kernel (Debian's
// ipykernel, or any installed kernelspec): it finds the kernelspec the way
// Jupyter does, starts the kernel process from it, speaks the wire protocol
// 5.3 over ZeroMQ (pure Go), and maps each cell's execute request and iopub
// messages onto the kernel.Kernel seam: outputs in order, interrupts,
// getpass answered from secrets, a dead kernel told apart from a failed cell.
package jupyter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"ocs/kernel"
	"ocs/kernel/cellenv"
	"ocs/kernel/effects"
	"ocs/kernel/pybridge"
)

const (
	// DefaultStartTimeout bounds a kernel's start-up, as nbclient's
	// startup_timeout does.
	DefaultStartTimeout = 60 * time.Second
	// interruptGrace is how long a kernel may take to stop a cell after an
	// interrupt before it is killed and restarted; with the restart it stays
	// within the two seconds the kernel.Kernel contract allows.
	interruptGrace = 1500 * time.Millisecond
	closeTimeout   = 2 * time.Second
	hbInterval     = 2 * time.Second
	hbTimeout      = 10 * time.Second
)

// Options configure a Jupyter kernel.
type Options struct {
	// Spec is the kernelspec to start (see Find).
	Spec *Spec
	// Dir is the kernel's working directory, the cells' cwd ("" = the
	// caller's).
	Dir string
	// Env is the kernel process's environment (nil = the caller's); the
	// kernelspec's env is added to it.
	Env []string
	// StartTimeout bounds the start-up handshake (0 = DefaultStartTimeout).
	StartTimeout time.Duration
	// Setup is code run silently, in order, after the kernel started and
	// before the first cell (and again after a restart): shell semantics,
	// sys.path, SDK imports. A failing snippet fails the start.
	Setup []string
	// RuntimeDir holds the connection file's private folder ("" = the
	// system's temporary folder).
	RuntimeDir string
	// Logger receives the client's logs (default: the one in ctx).
	Logger *zerolog.Logger
	// CacheDir is where ocs's Python modules are installed (pybridge's
	// InstallPython); "" = the user's cache folder.
	CacheDir string
	// SysPath are folders put first on the kernel's sys.path, after ocs's
	// own modules (a Python SDK's, say).
	SysPath []string
	// Steps are set-up code whose outcome decides something: each runs
	// after Setup's shell semantics and before Setup, at every start of a
	// kernel process, and gets what it printed back (see SetupStep).
	Steps []SetupStep
	// FirstCell, when set, runs in the window of each kernel process's
	// first cell, once the cell's journal is installed: what it does
	// through effects.Do is journaled first in that cell (and answered
	// from the journal in replay). Its error fails the cell.
	FirstCell func() error
}

// A SetupStep is set-up code whose outcome ocs acts on: which VCP SDK
// serves, say, asked of the kernel's own Python instead of a separate
// interpreter before the kernel starts.
type SetupStep interface {
	// Code returns the Python code to run silently with the rest of the
	// set-up code, at each start of a kernel process.
	Code() string
	// Done receives what Code printed to stdout and the base environment
	// of the cells' shell commands, and returns their environment (env
	// itself when the step adds nothing). Its error fails the start as it
	// is, without ErrDead: the kernel answered, and the answer is not
	// acceptable.
	Done(stdout string, env []string) ([]string, error)
}

// Kernel is a Jupyter kernel process and the client connected to it.
type Kernel struct {
	opts Options
	log  zerolog.Logger

	closing   chan struct{}
	closeOnce sync.Once

	bridge *pybridge.Server
	// ownSetup is ocs's set-up code, run before the steps and Setup.
	ownSetup string
	// headless, for an ipykernel, starts it without its debugger.
	headless *headless
	// shellEnv is the environment of the cells' shell commands: Env,
	// without what ocs adds for the kernel process itself.
	shellEnv []string
	// shell runs the `!` lines (cellenv.Shell, looked up once).
	shell string

	mu     sync.Mutex
	proc   *process
	dead   error // wraps kernel.ErrDead once the kernel is gone for good
	closed bool
	// shutdownAsked is the shutdown request sent to proc (Finish, Close).
	shutdownAsked *shutdownRequest
	info          map[string]any // language_info of kernel_info_reply
	// fresh says the kernel process has run no cell yet (FirstCell).
	fresh bool
}

var _ kernel.Finisher = (*Kernel)(nil)

// process is one running kernel process and its channels.
type process struct {
	cmd     *exec.Cmd
	folder  string // private folder of the connection file
	ch      *channels
	exited  chan struct{} // closed once the process has been reaped
	waitErr error
	hbLost  chan struct{}
	tail    *tailBuffer
}

// New starts a kernel and returns once it answered kernel_info_request and
// ran opts.Setup.
func New(ctx context.Context, opts Options) (*Kernel, error) {
	if opts.Spec == nil {
		return nil, errors.New("start jupyter kernel: no kernelspec")
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	if opts.Env == nil {
		opts.Env = os.Environ()
	}
	log := zerolog.Ctx(ctx)
	if opts.Logger != nil {
		log = opts.Logger
	}
	k := &Kernel{opts: opts, log: log.With().Str("kernel", opts.Spec.Name).Logger(), closing: make(chan struct{}), shellEnv: opts.Env, shell: cellenv.Shell()}
	if err := k.prepare(); err != nil {
		return nil, fmt.Errorf("start jupyter kernel %q: %w", opts.Spec.Name, err)
	}
	p, err := k.start(ctx)
	if err != nil {
		k.bridge.Close()
		return nil, fmt.Errorf("start jupyter kernel %q: %w", opts.Spec.Name, err)
	}
	k.proc = p
	return k, nil
}

// prepare installs ocs's Python modules, opens the kernel's bridge and
// makes the set-up code of the shell semantics.
func (k *Kernel) prepare() error {
	register()
	registerHeadless()
	cache := k.opts.CacheDir
	if cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return fmt.Errorf("find the cache folder: %w", err)
		}
		cache = filepath.Join(dir, "ocs")
	}
	dirs, err := pybridge.InstallPython(cache)
	if err != nil {
		return err
	}
	sysPath := append([]string{dirs["ocs"], dirs[PythonGroup]}, k.opts.SysPath...)
	k.ownSetup = setupCode(sysPath)
	if k.headless = newHeadless(k.opts.Spec, k.opts.Env, dirs); k.headless != nil {
		k.ownSetup = k.headless.restore + k.ownSetup
	}
	runtime := k.opts.RuntimeDir
	if runtime == "" {
		runtime = os.TempDir()
	}
	if k.bridge, err = pybridge.Listen(runtime); err != nil {
		return fmt.Errorf("open the kernel's bridge: %w", err)
	}
	return nil
}

// LanguageInfo returns the language_info the kernel reported, for the
// record's metadata.
func (k *Kernel) LanguageInfo() map[string]any {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.info
}

// PID returns the kernel process's id, for diagnostics and tests.
func (k *Kernel) PID() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.proc == nil || k.proc.cmd.Process == nil {
		return 0
	}
	return k.proc.cmd.Process.Pid
}

func (k *Kernel) start(ctx context.Context) (*process, error) {
	began := time.Now()
	spec := k.opts.Spec
	conn, err := newConnection(spec.Name)
	if err != nil {
		return nil, err
	}
	folder, connFile, err := writeConnectionFile(k.opts.RuntimeDir, conn)
	if err != nil {
		return nil, err
	}
	argv := append(spec.command(connFile), headlessArgs(spec)...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = k.opts.Dir
	cmd.Env = k.environ()
	tail := &tailBuffer{max: 64 << 10}
	cmd.Stdout = tail
	cmd.Stderr = tail
	cmd.SysProcAttr = kernelProcAttr()
	if err := cmd.Start(); err != nil {
		os.RemoveAll(folder)
		return nil, fmt.Errorf("%w: run %q: %w", kernel.ErrDead, argv[0], err)
	}
	p := &process{cmd: cmd, folder: folder, exited: make(chan struct{}), hbLost: make(chan struct{}), tail: tail}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	fail := func(err error) (*process, error) {
		p.kill()
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w%s", kernel.ErrDead, err, p.diagnosis())
	}
	sctx, cancel := context.WithTimeout(ctx, k.opts.StartTimeout)
	defer cancel()
	// The kernel going away ends the wait at once.
	stop := context.AfterFunc(sctx, func() {})
	defer stop()
	go func() {
		select {
		case <-p.exited:
			cancel()
		case <-sctx.Done():
		}
	}()
	ch, err := dial(sctx, conn, newID())
	if err != nil {
		return fail(k.startError(ctx, sctx, p, err))
	}
	p.ch = ch
	info, err := k.handshake(sctx, p)
	if err != nil {
		return fail(k.startError(ctx, sctx, p, err))
	}
	go ch.heartbeat(hbInterval, hbTimeout, p.hbLost)
	k.info, _ = info["language_info"].(map[string]any)
	answered := time.Now()
	if err := k.setUp(sctx, p); err != nil {
		var step *stepError
		if errors.As(err, &step) {
			p.kill()
			return nil, step.err
		}
		return fail(k.startError(ctx, sctx, p, err))
	}
	k.log.Debug().Int("pid", cmd.Process.Pid).Dur("took", time.Since(began)).
		Dur("kernel_info", answered.Sub(began)).Dur("set_up", time.Since(answered)).Msg("jupyter kernel ready")
	k.fresh = true
	return p, nil
}

// setUpDone ends each set-up snippet's output, so that each step gets its
// own, and a failure is told by the snippet that raised it.
const setUpDone = "\x1eocs-set-up-done\n"

// setUp runs the set-up code (the shell semantics, the steps, then
// Options.Setup) in one silent execute request: one round trip, whatever
// the number of snippets. Each snippet is compiled on its own, so that a
// syntax error is told by its snippet too.
func (k *Kernel) setUp(ctx context.Context, p *process) error {
	codes := []string{k.ownSetup}
	for _, s := range k.opts.Steps {
		codes = append(codes, s.Code())
	}
	codes = append(codes, k.opts.Setup...)
	list, err := json.Marshal(codes)
	if err != nil {
		return err
	}
	out, err := k.silent(ctx, p, "for _ocs_code in "+string(list)+":\n"+
		"    exec(compile(_ocs_code, '<ocs set-up>', 'exec'))\n"+
		"    print("+strconv.Quote(setUpDone)+", end='', flush=True)\n"+
		"del _ocs_code\n")
	parts := strings.Split(out, setUpDone)
	if err != nil {
		return fmt.Errorf("set-up code %d: %w", len(parts), err)
	}
	env := k.opts.Env
	for i, s := range k.opts.Steps {
		if env, err = s.Done(parts[1+i], env); err != nil {
			return &stepError{err}
		}
	}
	k.shellEnv = env
	return nil
}

// stepError is a SetupStep's refusal of the kernel's answer.
type stepError struct{ err error }

func (e *stepError) Error() string { return e.err.Error() }

// startError explains why a start-up wait ended.
func (k *Kernel) startError(ctx, sctx context.Context, p *process, err error) error {
	select {
	case <-p.exited:
		return errors.New("the kernel exited during start-up")
	default:
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if sctx.Err() != nil {
		return fmt.Errorf("the kernel did not answer within %s (--start-timeout)", k.opts.StartTimeout)
	}
	return err
}

// environ is the kernel process's environment: the options' own, the
// kernelspec's env, and what quiets ipykernel's debugger warning.
func (k *Kernel) environ() []string {
	env := append([]string(nil), k.opts.Env...)
	set := func(name, value string) {
		prefix := name + "="
		for i, kv := range env {
			if strings.HasPrefix(kv, prefix) {
				env[i] = prefix + value
				return
			}
		}
		env = append(env, prefix+value)
	}
	for name, value := range k.opts.Spec.Env {
		set(name, value)
	}
	set("PYDEVD_DISABLE_FILE_VALIDATION", "1")
	if k.headless != nil {
		set("PYTHONPATH", k.headless.pythonPath(env))
	}
	set(pybridge.EnvSocket, k.bridge.Path())
	// ipykernel exits when this process is gone (a backstop for Pdeathsig).
	set("JPY_PARENT_PID", strconv.Itoa(os.Getpid()))
	return env
}

// handshake sends kernel_info_request until the reply and the iopub idle
// for it have both arrived: then the kernel is ready and iopub is
// subscribed (messages published before that would be lost).
func (k *Kernel) handshake(ctx context.Context, p *process) (map[string]any, error) {
	for {
		h, err := p.ch.send(p.ch.shell, "kernel_info_request", map[string]any{}, nil)
		if err != nil {
			return nil, err
		}
		var reply map[string]any
		idle := false
		retry := time.NewTimer(250 * time.Millisecond)
	wait:
		for reply == nil || !idle {
			select {
			case m := <-p.ch.shellIn:
				if m.Parent.MsgID == h.MsgID && m.Header.MsgType == "kernel_info_reply" {
					reply = map[string]any{}
					_ = json.Unmarshal(m.Content, &reply)
				}
			case m := <-p.ch.iopubIn:
				if m.Parent.MsgID == h.MsgID && isIdle(m) {
					idle = true
				}
			case <-retry.C:
				if reply != nil {
					// The reply came but iopub missed the idle: ask again
					// now that the subscription has had time to arrive.
					break wait
				}
				retry.Reset(250 * time.Millisecond)
			case <-ctx.Done():
				retry.Stop()
				return nil, ctx.Err()
			}
		}
		retry.Stop()
		if reply != nil && idle {
			return reply, nil
		}
	}
}

func isIdle(m *message) bool {
	if m.Header.MsgType != "status" {
		return false
	}
	var c struct {
		State string `json:"execution_state"`
	}
	_ = json.Unmarshal(m.Content, &c)
	return c.State == "idle"
}

// RunSilent runs code in the kernel without a cell: not in the history, no
// execution count, no outputs reported; it returns what the code printed to
// stdout, and an error carrying the exception when the code raised one.
func (k *Kernel) RunSilent(ctx context.Context, code string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return "", fmt.Errorf("run silent code: %w: kernel closed", kernel.ErrDead)
	}
	if k.dead != nil {
		return "", fmt.Errorf("run silent code: %w", k.dead)
	}
	if k.proc == nil {
		p, err := k.start(ctx)
		if err != nil {
			return "", fmt.Errorf("run silent code: restart the kernel: %w", err)
		}
		k.proc = p
	}
	return k.silent(ctx, k.proc, code)
}

func (k *Kernel) silent(ctx context.Context, p *process, code string) (string, error) {
	h, err := p.ch.send(p.ch.shell, "execute_request", map[string]any{
		"code": code, "silent": true, "store_history": false,
		"user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": false,
	}, nil)
	if err != nil {
		return "", err
	}
	var out, errOut strings.Builder
	var reply *executeReply
	idle := false
	for reply == nil || !idle {
		select {
		case m := <-p.ch.shellIn:
			if m.Parent.MsgID == h.MsgID && m.Header.MsgType == "execute_reply" {
				reply = &executeReply{}
				_ = json.Unmarshal(m.Content, reply)
			}
		case m := <-p.ch.iopubIn:
			if m.Parent.MsgID != h.MsgID {
				continue
			}
			switch m.Header.MsgType {
			case "status":
				idle = isIdle(m)
			case "stream":
				var s streamContent
				_ = json.Unmarshal(m.Content, &s)
				if s.Name == "stdout" {
					out.WriteString(s.Text)
				} else {
					errOut.WriteString(s.Text)
				}
			}
		case <-p.exited:
			return out.String(), fmt.Errorf("%w%s", kernel.ErrDead, p.diagnosis())
		case <-ctx.Done():
			return out.String(), ctx.Err()
		}
	}
	if reply.Status != "ok" {
		msg := reply.EName + ": " + reply.EValue
		if s := strings.TrimSpace(errOut.String()); s != "" {
			msg += " (stderr: " + lastLines(s, 3) + ")"
		}
		return out.String(), errors.New(msg)
	}
	return out.String(), nil
}

type executeReply struct {
	Status string `json:"status"`
	EName  string `json:"ename"`
	EValue string `json:"evalue"`
}

type streamContent struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

type bundleContent struct {
	Data      map[string]any `json:"data"`
	Metadata  map[string]any `json:"metadata"`
	Transient struct {
		DisplayID string `json:"display_id"`
	} `json:"transient"`
}

type errorContent struct {
	EName     string   `json:"ename"`
	EValue    string   `json:"evalue"`
	Traceback []string `json:"traceback"`
}

// kill ends the kernel's process group and waits until it is reaped.
func (p *process) kill() {
	killGroup(p.cmd)
	select {
	case <-p.exited:
	case <-time.After(closeTimeout):
	}
	if p.ch != nil {
		p.ch.close()
	}
	os.RemoveAll(p.folder)
}

// diagnosis describes why a kernel ended: its exit status and the last
// lines it wrote to stderr (a Python traceback, say), as ": ..." or "".
func (p *process) diagnosis() string {
	select {
	case <-p.exited:
	case <-time.After(closeTimeout):
		return ""
	}
	why := "; the kernel process exited"
	if p.waitErr != nil {
		why = "; the kernel process ended (" + p.waitErr.Error() + ")"
	}
	if t := lastLines(p.tail.String(), 8); t != "" {
		why += "; its stderr ended with:\n" + t
	}
	return why
}

// Execute runs one cell; see kernel.Kernel.
func (k *Kernel) Execute(ctx context.Context, cell kernel.Cell, host kernel.Host) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return fmt.Errorf("execute cell %d: %w: kernel closed", cell.Index, kernel.ErrDead)
	}
	if k.dead != nil {
		return fmt.Errorf("execute cell %d: %w", cell.Index, k.dead)
	}
	if k.proc == nil {
		p, err := k.start(ctx)
		if err != nil {
			if ctx.Err() == nil {
				k.dead = fmt.Errorf("%w: restart after an interrupt failed: %w", kernel.ErrDead, err)
				err = k.dead
			}
			return fmt.Errorf("execute cell %d: %w", cell.Index, err)
		}
		k.proc = p
	}
	// The cell's effects (its `!` lines, secrets, SDK calls served by the
	// bridge) go through the cell's journal: run and reported live,
	// answered from the record in replay.
	sh := &syncHost{h: host}
	m := newMasks(cell.Mask)
	j := effects.NewJournal(cell.Mode, cell.Journal, cell.Index, m.mask, func(e kernel.Effect) error {
		sh.Effect(e)
		return nil
	})
	// A host that journals starts (the runner) has each live effect saved
	// as unfinished before it runs: a kill -9 during a `!` line leaves a
	// record that knows the command started.
	if _, ok := host.(kernel.EffectStarter); ok {
		j.OnStart(sh.EffectStarted)
	}
	cellCtx := context.WithValue(ctx, cellConfigKey{}, &cellConfig{env: k.shellEnv, shell: k.shell, masks: m})
	uninstall := effects.Install(cellCtx, j)
	end := k.bridge.Begin(cellCtx)
	var err error
	if k.fresh && k.opts.FirstCell != nil {
		err = k.opts.FirstCell()
		var d *kernel.DivergenceError
		if err != nil && !errors.As(err, &d) {
			err = &kernel.CellError{EName: "OcsError", EValue: m.mask(err.Error())}
			sh.Output(kernel.Output{Kind: kernel.Error, EName: "OcsError", EValue: m.mask(err.(*kernel.CellError).EValue)})
		}
	}
	k.fresh = false
	if err == nil {
		err = k.execute(ctx, cell, sh, m)
	}
	end()
	uninstall()
	if ctx.Err() != nil || errors.Is(err, kernel.ErrDead) {
		return err
	}
	// A divergence voids the replay, whatever the code did with the error.
	if d := j.Diverged(); d != nil {
		return d
	}
	if err == nil {
		err = j.Finish()
	}
	return err
}

// run is the state of one executing cell.
type run struct {
	k       *Kernel
	cell    kernel.Cell
	host    kernel.Host
	p       *process
	msgID   string
	masks   *masks
	secrets []string // names of the cell's getpass assignments, in order
	asked   int      // password requests answered so far
	stdin   error    // an input request ocs could not answer
	// clearWait is a clear_output(wait=True) waiting for the next output.
	clearWait bool
}

func (k *Kernel) execute(ctx context.Context, cell kernel.Cell, host kernel.Host, m *masks) error {
	p := k.proc
	log := k.log.With().Int("cell", cell.Index).Str("cell_id", cell.ID).Logger()
	h, err := p.ch.send(p.ch.shell, "execute_request", map[string]any{
		"code": cell.Source, "silent": false, "store_history": true,
		// ocs sends one request at a time and decides itself what a failure
		// stops; stop_on_error would make the kernel abort the next cell if
		// it came soon after a failed one.
		"user_expressions": map[string]any{}, "allow_stdin": true, "stop_on_error": false,
	}, nil)
	if err != nil {
		return k.died(cell, host, p)
	}
	r := &run{k: k, cell: cell, host: host, p: p, msgID: h.MsgID, masks: m, secrets: getpassNames(cell.Source)}
	var reply *executeReply
	idle := false
	ctxDone := ctx.Done()
	var grace <-chan time.Time
	for reply == nil || !idle {
		select {
		case m := <-p.ch.iopubIn:
			if m.Parent.MsgID != r.msgID {
				continue
			}
			if m.Header.MsgType == "status" {
				idle = isIdle(m)
				continue
			}
			r.output(m)
		case m := <-p.ch.shellIn:
			if m.Parent.MsgID == r.msgID && m.Header.MsgType == "execute_reply" {
				reply = &executeReply{}
				_ = json.Unmarshal(m.Content, reply)
			}
		case m := <-p.ch.stdinIn:
			if m.Parent.MsgID == r.msgID && m.Header.MsgType == "input_request" {
				r.input(ctx, m)
			}
		case <-p.exited:
			return k.died(cell, host, p)
		case <-p.hbLost:
			log.Error().Msg("jupyter kernel stopped answering heartbeats")
			return k.died(cell, host, p)
		case <-k.closing:
			p.kill()
			k.dead = fmt.Errorf("%w: kernel closed", kernel.ErrDead)
			return fmt.Errorf("execute cell %d: %w", cell.Index, k.dead)
		case <-ctxDone:
			log.Debug().Msg("interrupting cell")
			ctxDone = nil
			k.interrupt(p)
			grace = time.After(interruptGrace)
		case <-grace:
			// The next cell starts a new kernel: a start takes longer than
			// the time left to return.
			log.Warn().Msg("jupyter kernel did not stop the cell in time; killing it")
			p.kill()
			k.proc = nil
			host.Output(kernel.Output{Kind: kernel.Stream, Name: "stderr", Text: "ocs: the kernel did not stop in time and was killed; the next cell runs in a new one, without earlier cells' state\n"})
			return fmt.Errorf("execute cell %d: %w (the kernel was killed and restarts without its state)", cell.Index, ctx.Err())
		}
	}
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("execute cell %d: %w", cell.Index, ctx.Err())
	case r.stdin != nil:
		return r.stdin
	case reply.Status == "error":
		return &kernel.CellError{EName: reply.EName, EValue: reply.EValue}
	case reply.Status == "aborted":
		return &kernel.CellError{EName: "Aborted", EValue: "the kernel aborted the cell"}
	}
	return nil
}

// output maps one iopub message of the cell onto kernel outputs.
func (r *run) output(m *message) {
	emit := func(o kernel.Output) {
		if r.clearWait {
			r.clearWait = false
			r.host.Output(kernel.Output{Kind: kernel.ClearOutput})
		}
		r.host.Output(o)
	}
	switch m.Header.MsgType {
	case "stream":
		// A cell's big output comes in messages of megabytes: decoded
		// without copies (m is not used again).
		if s, ok := decodeStream(m.Content); ok && s.Text != "" {
			if s.Name != "stderr" {
				s.Name = "stdout"
			}
			emit(kernel.Output{Kind: kernel.Stream, Name: s.Name, Text: s.Text})
		}
	case "display_data", "execute_result", "update_display_data":
		var b bundleContent
		if json.Unmarshal(m.Content, &b) != nil {
			return
		}
		o := kernel.Output{Kind: kernel.Display, Data: b.Data, Metadata: b.Metadata, DisplayID: b.Transient.DisplayID}
		switch m.Header.MsgType {
		case "execute_result":
			o.Kind, o.ExecutionCount = kernel.Result, r.cell.Count
		case "update_display_data":
			o.Kind = kernel.UpdateDisplay
			r.host.Output(o) // an update changes earlier outputs; it is not the next output
			return
		}
		emit(o)
	case "error":
		var e errorContent
		if json.Unmarshal(m.Content, &e) == nil {
			emit(kernel.Output{Kind: kernel.Error, EName: e.EName, EValue: e.EValue, Traceback: e.Traceback})
		}
	case "clear_output":
		var c struct {
			Wait bool `json:"wait"`
		}
		_ = json.Unmarshal(m.Content, &c)
		if c.Wait {
			r.clearWait = true
			return
		}
		r.clearWait = false
		r.host.Output(kernel.Output{Kind: kernel.ClearOutput})
	}
}

// interrupt asks the kernel to stop the running cell, the way its
// kernelspec says.
func (k *Kernel) interrupt(p *process) {
	if k.opts.Spec.InterruptMode == "message" {
		if _, err := p.ch.send(p.ch.control, "interrupt_request", map[string]any{}, nil); err == nil {
			return
		}
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT)
}

// died records that the kernel is gone and reports it.
func (k *Kernel) died(cell kernel.Cell, host kernel.Host, p *process) error {
	p.kill()
	why := strings.TrimPrefix(p.diagnosis(), "; ")
	if why == "" {
		why = "the kernel stopped answering"
	}
	k.dead = fmt.Errorf("%w: %s", kernel.ErrDead, why)
	k.log.Error().Int("cell", cell.Index).Str("cell_id", cell.ID).Str("reason", why).Msg("jupyter kernel died")
	host.Output(kernel.Output{Kind: kernel.Error, EName: "KernelDied", EValue: why, Traceback: []string{"KernelDied: " + why}})
	return fmt.Errorf("execute cell %d: %w", cell.Index, k.dead)
}

// Finish asks the kernel to shut down, so that it does while the runner
// saves the record; Close then waits for its answer. See kernel.Finisher.
func (k *Kernel) Finish() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.closed && k.proc != nil {
		k.askShutdown(k.proc)
	}
}

type shutdownRequest struct {
	proc  *process
	msgID string // "" when it could not be sent
	began time.Time
}

// askShutdown sends p its shutdown request, once; it returns the request's
// id ("" when it could not be sent).
func (k *Kernel) askShutdown(p *process) string {
	if k.shutdownAsked == nil || k.shutdownAsked.proc != p {
		k.shutdownAsked = &shutdownRequest{proc: p, began: time.Now()}
		if h, err := p.ch.send(p.ch.control, "shutdown_request", map[string]any{"restart": false}, nil); err == nil {
			k.shutdownAsked.msgID = h.MsgID
		}
	}
	return k.shutdownAsked.msgID
}

// Close shuts the kernel down: a shutdown_request (unless Finish sent it),
// then, whether or not it exited, a kill of its process group; the
// connection file goes too.
func (k *Kernel) Close() error {
	k.closeOnce.Do(func() { close(k.closing) })
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil
	}
	k.closed = true
	p := k.proc
	if p == nil {
		return k.bridge.Close()
	}
	select {
	case <-p.exited:
	default:
		if id := k.askShutdown(p); id != "" {
			waitShutdownReply(p, id)
		}
		k.log.Debug().Dur("took", time.Since(k.shutdownAsked.began)).Msg("jupyter kernel shut down")
	}
	p.kill()
	return k.bridge.Close()
}

// waitShutdownReply waits, at most closeTimeout, for the kernel's answer
// to a shutdown request, or its exit. What an ipykernel does after the
// reply (look for its children through /proc, stop its loops, run its
// atexit hooks, tear the interpreter down) takes a quarter of a second
// here and concerns no one once the record is saved: the caller then ends
// its process group at once.
func waitShutdownReply(p *process, msgID string) {
	timeout := time.After(closeTimeout)
	for {
		select {
		case m := <-p.ch.controlIn:
			if m.Parent.MsgID == msgID && m.Header.MsgType == "shutdown_reply" {
				return
			}
		case <-p.exited:
			return
		case <-timeout:
			return
		}
	}
}
