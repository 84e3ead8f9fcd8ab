package jupyter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-zeromq/zmq4"
)

// connection is the content of a connection file: where the kernel binds
// and the key that signs every message.
type connection struct {
	IP              string `json:"ip"`
	Transport       string `json:"transport"`
	ShellPort       int    `json:"shell_port"`
	IOPubPort       int    `json:"iopub_port"`
	StdinPort       int    `json:"stdin_port"`
	ControlPort     int    `json:"control_port"`
	HBPort          int    `json:"hb_port"`
	SignatureScheme string `json:"signature_scheme"`
	Key             string `json:"key"`
	KernelName      string `json:"kernel_name"`
}

func (c *connection) endpoint(port int) string {
	return "tcp://" + net.JoinHostPort(c.IP, strconv.Itoa(port))
}

// freePorts asks the system for n distinct free TCP ports on the loopback.
// The kernel binds them moments later; another program taking one in
// between makes the kernel fail to start, which the start-up reports.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// newConnection makes fresh ports and a random key.
func newConnection(kernelName string) (*connection, error) {
	ports, err := freePorts(5)
	if err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("make a signing key: %w", err)
	}
	return &connection{
		IP: "127.0.0.1", Transport: "tcp",
		ShellPort: ports[0], IOPubPort: ports[1], StdinPort: ports[2], ControlPort: ports[3], HBPort: ports[4],
		SignatureScheme: "hmac-sha256", Key: hex.EncodeToString(key), KernelName: kernelName,
	}, nil
}

// writeConnectionFile writes c into a new private folder under dir; the
// caller removes the folder.
func writeConnectionFile(dir string, c *connection) (folder, path string, err error) {
	folder, err = os.MkdirTemp(dir, "ocs-kernel-")
	if err != nil {
		return "", "", fmt.Errorf("make the kernel's folder: %w", err)
	}
	if err := os.Chmod(folder, 0o700); err != nil {
		os.RemoveAll(folder)
		return "", "", err
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		os.RemoveAll(folder)
		return "", "", err
	}
	path = filepath.Join(folder, "connection.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		os.RemoveAll(folder)
		return "", "", fmt.Errorf("write the connection file: %w", err)
	}
	return folder, path, nil
}

// channels are the client's sockets to one kernel and what they received.
type channels struct {
	sign    *signer
	session string
	cancel  context.CancelFunc

	shell, control, stdin, iopub, hb zmq4.Socket

	shellIn, controlIn, stdinIn, iopubIn chan *message
	done                                 chan struct{} // closed by close
	closeOnce                            sync.Once
	sendMu                               sync.Mutex
}

var quietLog = log.New(io.Discard, "", 0)

// dial connects every channel once the kernel listens on its shell port;
// it retries until the kernel has bound the others too, or ctx ends.
func dial(ctx context.Context, c *connection, session string) (*channels, error) {
	if err := awaitListening(ctx, c.IP, c.ShellPort); err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(context.Background())
	id := zmq4.SocketIdentity(session)
	opts := func(extra ...zmq4.Option) []zmq4.Option {
		return append([]zmq4.Option{zmq4.WithLogger(quietLog), zmq4.WithDialerRetry(10 * time.Millisecond), zmq4.WithDialerMaxRetries(-1), zmq4.WithDialerTimeout(time.Second)}, extra...)
	}
	ch := &channels{
		sign:    newSigner([]byte(c.Key)),
		session: session,
		cancel:  cancel,
		// shell and stdin share one identity: the kernel sends input
		// requests to the identity that sent the execute request.
		shell:     zmq4.NewDealer(sctx, opts(zmq4.WithID(id))...),
		stdin:     zmq4.NewDealer(sctx, opts(zmq4.WithID(id))...),
		control:   zmq4.NewDealer(sctx, opts()...),
		iopub:     zmq4.NewSub(sctx, opts()...),
		hb:        zmq4.NewReq(sctx, opts()...),
		shellIn:   make(chan *message, 64),
		controlIn: make(chan *message, 16),
		stdinIn:   make(chan *message, 16),
		iopubIn:   make(chan *message, 1024),
		done:      make(chan struct{}),
	}
	if err := ch.iopub.SetOption(zmq4.OptionSubscribe, ""); err != nil {
		ch.close()
		return nil, fmt.Errorf("subscribe to iopub: %w", err)
	}
	type dialing struct {
		s    zmq4.Socket
		port int
		name string
	}
	all := []dialing{{ch.shell, c.ShellPort, "shell"}, {ch.control, c.ControlPort, "control"}, {ch.stdin, c.StdinPort, "stdin"}, {ch.iopub, c.IOPubPort, "iopub"}, {ch.hb, c.HBPort, "heartbeat"}}
	errc := make(chan error, len(all))
	for _, d := range all {
		go func() {
			if err := d.s.Dial(c.endpoint(d.port)); err != nil {
				errc <- fmt.Errorf("connect %s channel: %w", d.name, err)
				return
			}
			errc <- nil
		}()
	}
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	var first error
	for range all {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		ch.close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, first
	}
	go ch.read(ch.shell, ch.shellIn)
	go ch.read(ch.control, ch.controlIn)
	go ch.read(ch.stdin, ch.stdinIn)
	go ch.read(ch.iopub, ch.iopubIn)
	return ch, nil
}

// read decodes what one socket receives until the socket closes. Messages
// with a bad signature are dropped.
func (ch *channels) read(s zmq4.Socket, out chan<- *message) {
	for {
		raw, err := s.Recv()
		if err != nil {
			select {
			case <-ch.done:
				return
			default:
			}
			if errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				return
			}
			// A connection dropped (the kernel died); zmq4 reports it on
			// the next receive. Keep reading until close.
			select {
			case <-ch.done:
				return
			case <-time.After(20 * time.Millisecond):
			}
			continue
		}
		m, err := ch.sign.decode(raw.Frames)
		if err != nil {
			continue
		}
		select {
		case out <- m:
		case <-ch.done:
			return
		}
	}
}

// send signs and sends a request on s; it returns the request's header.
func (ch *channels) send(s zmq4.Socket, msgType string, content any, parent *header) (header, error) {
	h := newHeader(ch.session, msgType)
	body, err := json.Marshal(content)
	if err != nil {
		return h, fmt.Errorf("encode %s: %w", msgType, err)
	}
	m := &message{Header: h, Content: body}
	if parent != nil {
		m.Parent = *parent
	}
	frames, err := ch.sign.encode(m)
	if err != nil {
		return h, fmt.Errorf("encode %s: %w", msgType, err)
	}
	ch.sendMu.Lock()
	defer ch.sendMu.Unlock()
	if err := s.SendMulti(zmq4.NewMsgFrom(frames...)); err != nil {
		return h, fmt.Errorf("send %s: %w", msgType, err)
	}
	return h, nil
}

func (ch *channels) close() {
	ch.closeOnce.Do(func() {
		close(ch.done)
		ch.cancel()
		for _, s := range []zmq4.Socket{ch.shell, ch.control, ch.stdin, ch.iopub, ch.hb} {
			_ = s.Close()
		}
	})
}

// heartbeat pings the kernel every interval and closes lost when no pong
// came back within timeout: a kernel whose process lives but no longer
// answers is as good as dead.
func (ch *channels) heartbeat(interval, timeout time.Duration, lost chan<- struct{}) {
	pong := make(chan error, 1)
	for {
		select {
		case <-ch.done:
			return
		case <-time.After(interval):
		}
		go func() {
			if err := ch.hb.Send(zmq4.NewMsgString("ping")); err != nil {
				pong <- err
				return
			}
			_, err := ch.hb.Recv()
			pong <- err
		}()
		select {
		case <-ch.done:
			return
		case err := <-pong:
			if err == nil {
				continue
			}
		case <-time.After(timeout):
		}
		select {
		case <-ch.done:
		default:
			close(lost)
		}
		return
	}
}

// tailBuffer keeps the last max bytes written to it: the end of a kernel's
// stderr, for the record of a kernel that died.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// lastLines returns the last n non-empty lines of s.
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimRight(l, "\r "))
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// killGroup ends the kernel's whole process group.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Process.Kill()
}
