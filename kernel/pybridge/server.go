package pybridge

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"unicode/utf8"
)

// maxRequest bounds one request line: a call's arguments are a command line
// or SDK parameters, never bulk data.
const maxRequest = 16 << 20

// The longest path a unix socket address holds on Linux (sun_path less
// its terminating NUL).
const maxSocketPath = 107

var errNoCell = errors.New("no cell is running")

// Server is the bridge of one kernel: a 0600 socket in a 0700 folder of its
// own, served while a cell runs.
type Server struct {
	dir  string
	path string
	ln   *net.UnixListener

	mu     sync.Mutex
	window context.Context // the running cell's, nil between cells
	conns  map[net.Conn]bool
	closed bool
	wg     sync.WaitGroup
}

// Listen makes a private folder under dir with the socket in it, and
// serves calls on it until Close.
func Listen(dir string) (*Server, error) {
	private, err := os.MkdirTemp(dir, "ocs-bridge-")
	if err != nil {
		return nil, fmt.Errorf("make the bridge folder: %w", err)
	}
	path := filepath.Join(private, "bridge.sock")
	if len(path) > maxSocketPath {
		os.RemoveAll(private)
		return nil, fmt.Errorf("bridge socket path %q is longer than %d bytes; set TMPDIR to a shorter folder", path, maxSocketPath)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		os.RemoveAll(private)
		return nil, fmt.Errorf("listen on the bridge socket: %w", err)
	}
	// The folder is 0700 already; the socket's own mode is a second wall.
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		os.RemoveAll(private)
		return nil, fmt.Errorf("restrict the bridge socket: %w", err)
	}
	s := &Server{dir: private, path: path, ln: ln, conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Path is the socket's path, the value of EnvSocket for the kernel.
func (s *Server) Path() string { return s.path }

// Begin opens the window in which calls are served with ctx, the running
// cell's context; end closes it and cancels the calls still running (a
// thread the cell left behind). Calls outside a window fail with "no cell
// is running".
func (s *Server) Begin(ctx context.Context) (end func()) {
	ctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	s.window = ctx
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		if s.window == ctx {
			s.window = nil
		}
		s.mu.Unlock()
		cancel()
	}
}

func (s *Server) cellContext() (context.Context, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.window, s.window != nil
}

// Close stops serving, ends every connection and removes the socket and its
// folder.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	if rmErr := os.RemoveAll(s.dir); rmErr != nil && err == nil {
		err = rmErr
	}
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c)
	}
}

type request struct {
	ID   int64          `json:"id"`
	Op   string         `json:"op"`
	Args map[string]any `json:"args"`
}

// serve reads the requests of one connection. The reading goes on while a
// call runs, so that the caller going away (EOF) cancels the call.
func (s *Server) serve(c net.Conn) {
	defer s.wg.Done()
	gone, leave := context.WithCancel(context.Background())
	defer func() {
		leave()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	out := &replies{w: c}
	reqs := make(chan request)
	go func() {
		defer leave()
		defer close(reqs)
		r := bufio.NewReaderSize(c, 64<<10)
		for {
			line, err := readLine(r)
			if err != nil {
				return
			}
			var req request
			if err := json.Unmarshal(line, &req); err != nil {
				out.send(map[string]any{"id": nil, "error": &Error{EName: "OcsError", EValue: "malformed request: " + err.Error()}})
				return
			}
			select {
			case reqs <- req:
			case <-gone.Done():
				return
			}
		}
	}()
	for req := range reqs {
		res, err := s.call(gone, req, out)
		if err != nil {
			out.send(map[string]any{"id": req.ID, "error": errorReply(err)})
			continue
		}
		if res == nil {
			res = map[string]any{}
		}
		out.send(map[string]any{"id": req.ID, "result": res})
	}
}

// readLine reads one request line of at most maxRequest bytes.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxRequest {
			return nil, fmt.Errorf("request longer than %d bytes", maxRequest)
		}
		if err == nil {
			return line, nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
	}
}

// call runs one request's handler under the cell's context, cancelled too
// when the caller goes away.
func (s *Server) call(gone context.Context, req request, out *replies) (res map[string]any, err error) {
	h, ok := handler(req.Op)
	if !ok {
		return nil, unknownOp(req.Op)
	}
	cell, ok := s.cellContext()
	if !ok {
		return nil, errNoCell
	}
	ctx, cancel := context.WithCancel(cell)
	defer cancel()
	stop := context.AfterFunc(gone, cancel)
	defer stop()
	stdout := &streamWriter{out: out, id: req.ID, name: "stdout"}
	stderr := &streamWriter{out: out, id: req.ID, name: "stderr"}
	defer func() {
		// A handler's panic must not take ocs down with the kernel's cell.
		if p := recover(); p != nil {
			res, err = nil, fmt.Errorf("internal error serving %q: %v", req.Op, p)
		}
		stdout.flush()
		stderr.flush()
	}()
	if req.Args == nil {
		req.Args = map[string]any{}
	}
	return h(ctx, &Call{Op: req.Op, Args: req.Args, Stdout: stdout, Stderr: stderr})
}

// replies writes reply lines to one connection, one at a time.
type replies struct {
	mu sync.Mutex
	w  io.Writer
}

func (r *replies) send(v map[string]any) error {
	line, err := json.Marshal(v)
	if err != nil {
		line, _ = json.Marshal(map[string]any{"id": v["id"], "error": &Error{EName: "OcsError", EValue: "unencodable reply: " + err.Error()}})
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, err = r.w.Write(append(line, '\n'))
	return err
}

// streamWriter sends text to the caller as it is written. A write that ends
// inside a UTF-8 sequence keeps the sequence's start for the next write, so
// that a character split across writes arrives whole.
type streamWriter struct {
	out     *replies
	id      int64
	name    string
	mu      sync.Mutex
	pending []byte
}

func (w *streamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	buf := append(w.pending, p...)
	cut := len(buf) - incompleteTail(buf)
	w.pending = append([]byte(nil), buf[cut:]...)
	if cut == 0 {
		return len(p), nil
	}
	if err := w.out.send(map[string]any{"id": w.id, w.name: string(buf[:cut])}); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (w *streamWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pending) > 0 {
		_ = w.out.send(map[string]any{"id": w.id, w.name: string(w.pending)})
		w.pending = nil
	}
}

// incompleteTail is the length of a UTF-8 sequence cut short at the end of
// b (0 when b ends on a whole character or on bytes no longer sequence can
// complete).
func incompleteTail(b []byte) int {
	for n := 1; n <= 3 && n <= len(b); n++ {
		c := b[len(b)-n]
		if c < 0x80 {
			return 0
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(b[len(b)-n:]) {
				return n
			}
			return 0
		}
	}
	return 0
}
