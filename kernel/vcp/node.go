package vcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// NodeSubcommand is the hidden ocs subcommand that runs a local node:
// `ocs __vcp-node --dir NODE_DIR`.
const NodeSubcommand = "__vcp-node"

// nodeConfig is node.json in a node's directory: everything the node
// process needs. It holds no secret; the host key is a file beside it.
type nodeConfig struct {
	Address string `json:"address"`
	Port    int    `json:"port"` // 0: try 22, else any free port
	User    string `json:"user"`
	// Logins are more login names accepted for User (templates log in as
	// "vcp" or "root"); sessions run as User all the same.
	Logins         []string `json:"logins,omitempty"`
	Shell          string   `json:"shell"`
	Home           string   `json:"home"`
	AuthorizedKeys []string `json:"authorized_keys"`
	Env            []string `json:"env,omitempty"`
	// SecretEnv counts the entries the node reads from fd 4 at start (the
	// withheld ParamsE values, which are kept in no file).
	SecretEnv int `json:"secret_env,omitempty"`
}

// nodeSecretEnvFD is the pipe on which a node process gets its withheld
// environment entries.
const nodeSecretEnvFD = 4

const (
	nodeConfigFile = "node.json"
	nodeHostKey    = "host_key"
	nodeLogFile    = "node.log"
)

func readNodeConfig(dir string) (*nodeConfig, error) {
	path := filepath.Join(dir, nodeConfigFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read node config: %w", err)
	}
	var c nodeConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, &CorruptStateError{Path: path, Err: err}
	}
	if net.ParseIP(c.Address) == nil || c.Port < 0 || c.Port > 65535 || c.Home == "" {
		return nil, &CorruptStateError{Path: path, Err: errors.New("bad address, port or home")}
	}
	return &c, nil
}

// RunNode is the node process: it serves SSH on the node's address until
// ctx is done, then stops every session it started. When the listener is up
// it writes "PORT PID\n" to ready (if not nil) and closes it.
func RunNode(ctx context.Context, dir string, ready io.WriteCloser) error {
	cfg, err := readNodeConfig(dir)
	if err != nil {
		return err
	}
	hostKey, err := loadSigner(filepath.Join(dir, nodeHostKey))
	if err != nil {
		return err
	}
	var keys [][]byte
	for _, line := range cfg.AuthorizedKeys {
		k, err := parseAuthorizedKey(line)
		if err != nil {
			return fmt.Errorf("authorized key: %w", err)
		}
		keys = append(keys, k.Marshal())
	}
	if err := os.MkdirAll(cfg.Home, 0o700); err != nil {
		return fmt.Errorf("create node home: %w", err)
	}
	if cfg.SecretEnv > 0 {
		f := os.NewFile(nodeSecretEnvFD, "secret-env")
		var secret []string
		err := json.NewDecoder(io.LimitReader(f, 1<<20)).Decode(&secret)
		f.Close()
		if err != nil {
			return fmt.Errorf("read the node's withheld environment: %w", err)
		}
		cfg.Env = append(cfg.Env, secret...)
	}
	ln, err := listenNode(cfg.Address, cfg.Port)
	if err != nil {
		return err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	srv := &nodeServer{cfg: cfg, procs: map[*exec.Cmd]bool{}}
	srv.ssh = &ssh.ServerConfig{
		PublicKeyCallback: func(c ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if c.User() != cfg.User && !slices.Contains(cfg.Logins, c.User()) {
				return nil, fmt.Errorf("unknown user %q", c.User())
			}
			for _, a := range keys {
				if bytes.Equal(a, k.Marshal()) {
					return &ssh.Permissions{}, nil
				}
			}
			return nil, errors.New("unauthorized key")
		},
	}
	srv.ssh.AddHostKey(hostKey)
	if ready != nil {
		fmt.Fprintf(ready, "%d %d\n", port, os.Getpid())
		ready.Close()
	}
	go func() { <-ctx.Done(); ln.Close() }()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				srv.stopAll()
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			srv.stopAll()
			return fmt.Errorf("accept: %w", err)
		}
		go srv.conn(c)
	}
}

// listenNode binds port on address; port 0 means 22 if possible, else any.
func listenNode(address string, port int) (net.Listener, error) {
	if port == 0 {
		if ln, err := net.Listen("tcp", net.JoinHostPort(address, "22")); err == nil {
			return ln, nil
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(address, strconv.Itoa(port)))
	if errors.Is(err, syscall.EADDRINUSE) && port != 0 {
		return nil, &PortTakenError{Address: address, Port: port, Holder: portHolder(address, port)}
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s port %d: %w", address, port, err)
	}
	return ln, nil
}

type nodeServer struct {
	cfg   *nodeConfig
	ssh   *ssh.ServerConfig
	mu    sync.Mutex
	procs map[*exec.Cmd]bool
}

// stopAll ends every running session command (its whole process group).
func (s *nodeServer) stopAll() {
	s.mu.Lock()
	var cmds []*exec.Cmd
	for c := range s.procs {
		cmds = append(cmds, c)
	}
	s.mu.Unlock()
	for _, c := range cmds {
		if c.Process != nil {
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGHUP)
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGTERM)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		n := len(s.procs)
		s.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range cmds {
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
	}
}

func (s *nodeServer) conn(nc net.Conn) {
	_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
	sc, chans, reqs, err := ssh.NewServerConn(nc, s.ssh)
	if err != nil {
		nc.Close()
		return
	}
	_ = nc.SetDeadline(time.Time{})
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	for nch := range chans {
		if nch.ChannelType() != "session" {
			_ = nch.Reject(ssh.UnknownChannelType, "only session channels are supported")
			continue
		}
		ch, creqs, err := nch.Accept()
		if err != nil {
			continue
		}
		sess := &session{srv: s, ch: ch, remote: sc.RemoteAddr().String(), local: sc.LocalAddr().String()}
		go sess.serve(creqs)
	}
}

type session struct {
	srv           *nodeServer
	ch            ssh.Channel
	remote, local string
	env           []string
	term          string
	winsize       *pty.Winsize
	mu            sync.Mutex
	ptmx          *os.File
	cmd           *exec.Cmd
	started       bool
}

var sshSignals = map[string]syscall.Signal{
	"ABRT": syscall.SIGABRT, "ALRM": syscall.SIGALRM, "FPE": syscall.SIGFPE, "HUP": syscall.SIGHUP,
	"ILL": syscall.SIGILL, "INT": syscall.SIGINT, "KILL": syscall.SIGKILL, "PIPE": syscall.SIGPIPE,
	"QUIT": syscall.SIGQUIT, "SEGV": syscall.SIGSEGV, "TERM": syscall.SIGTERM, "USR1": syscall.SIGUSR1,
	"USR2": syscall.SIGUSR2,
}

func (s *session) serve(reqs <-chan *ssh.Request) {
	for req := range reqs {
		ok := false
		switch req.Type {
		case "env":
			var kv struct{ Name, Value string }
			if ssh.Unmarshal(req.Payload, &kv) == nil && kv.Name != "" {
				s.env = append(s.env, kv.Name+"="+kv.Value)
				ok = true
			}
		case "pty-req":
			var p struct {
				Term             string
				Cols, Rows, W, H uint32
				Modes            string
			}
			if ssh.Unmarshal(req.Payload, &p) == nil {
				s.mu.Lock()
				s.term = p.Term
				s.winsize = &pty.Winsize{Cols: uint16(p.Cols), Rows: uint16(p.Rows)}
				s.mu.Unlock()
				ok = true
			}
		case "window-change":
			var p struct{ Cols, Rows, W, H uint32 }
			if ssh.Unmarshal(req.Payload, &p) == nil {
				s.mu.Lock()
				s.winsize = &pty.Winsize{Cols: uint16(p.Cols), Rows: uint16(p.Rows)}
				if s.ptmx != nil {
					_ = pty.Setsize(s.ptmx, s.winsize)
				}
				s.mu.Unlock()
				ok = true
			}
		case "signal":
			var p struct{ Signal string }
			if ssh.Unmarshal(req.Payload, &p) == nil {
				s.mu.Lock()
				if sig, known := sshSignals[p.Signal]; known && s.cmd != nil && s.cmd.Process != nil {
					_ = syscall.Kill(-s.cmd.Process.Pid, sig)
					ok = true
				}
				s.mu.Unlock()
			}
		case "shell", "exec":
			var p struct{ Command string }
			if req.Type == "exec" && ssh.Unmarshal(req.Payload, &p) != nil {
				break
			}
			if !s.started {
				s.started = true
				ok = true
				if req.WantReply {
					_ = req.Reply(true, nil)
				}
				go s.run(req.Type == "shell", p.Command)
				continue
			}
		case "subsystem":
			var p struct{ Name string }
			if ssh.Unmarshal(req.Payload, &p) == nil && p.Name == "sftp" && !s.started {
				s.started = true
				if req.WantReply {
					_ = req.Reply(true, nil)
				}
				go s.sftp()
				continue
			}
		}
		if req.WantReply {
			_ = req.Reply(ok, nil)
		}
	}
	// The channel is gone (the client was interrupted or went away): stop
	// what it started, also a command that ignores HUP and TERM.
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd != nil && cmd.Process != nil {
		s.srv.endGroup(cmd)
	}
}

// sessionKillGrace is how long the process group of a session whose
// channel closed gets after SIGHUP and SIGTERM before SIGKILL.
var sessionKillGrace = 2 * time.Second

// endGroup ends the process group of a session command: SIGHUP and
// SIGTERM, then SIGKILL once sessionKillGrace has passed with the command
// still running (`trap "" TERM HUP; sleep 45` does not outlive its session).
func (s *nodeServer) endGroup(cmd *exec.Cmd) {
	if !s.running(cmd) {
		return
	}
	pgid := cmd.Process.Pid // each session command leads its own group
	_ = syscall.Kill(-pgid, syscall.SIGHUP)
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	deadline := time.Now().Add(sessionKillGrace)
	for time.Now().Before(deadline) {
		if !s.running(cmd) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Kill the group even when its leader is gone: children that ignored
	// the signals are still in it.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// running reports whether cmd has not been waited for yet.
func (s *nodeServer) running(cmd *exec.Cmd) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.procs[cmd]
}

func (s *session) sftp() {
	// The sftp server closes its stream when done; keep the channel open
	// for the exit-status that OpenSSH's scp waits for.
	srv, err := sftp.NewServer(noClose{s.ch}, sftp.WithServerWorkingDirectory(s.srv.cfg.Home))
	code := uint32(0)
	if err == nil {
		if err = srv.Serve(); err != nil && !errors.Is(err, io.EOF) {
			code = 1
		}
		srv.Close()
	} else {
		code = 1
	}
	s.exit(code)
}

func (s *session) exit(code uint32) {
	_ = s.ch.CloseWrite()
	_, _ = s.ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{code}))
	_ = s.ch.Close()
}

func (s *session) environ() []string {
	c := s.srv.cfg
	env := []string{
		"HOME=" + c.Home, "USER=" + c.User, "LOGNAME=" + c.User, "SHELL=" + c.Shell,
		"PATH=" + os.Getenv("PATH"),
		"SSH_CONNECTION=" + hostPortSpaced(s.remote) + " " + hostPortSpaced(s.local),
	}
	if s.term != "" {
		env = append(env, "TERM="+s.term)
	}
	for _, k := range []string{"LANG", "LC_ALL", "TZ"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, c.Env...)
	return append(env, s.env...)
}

func hostPortSpaced(addr string) string {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h + " " + p
}

func (s *session) run(shell bool, command string) {
	c := s.srv.cfg
	var cmd *exec.Cmd
	if shell {
		cmd = exec.Command(c.Shell, "-l")
	} else {
		cmd = exec.Command(c.Shell, "-c", command)
	}
	cmd.Dir = c.Home
	cmd.Env = s.environ()
	var outDone chan struct{}
	var err error
	s.mu.Lock()
	usePty := s.winsize != nil
	s.mu.Unlock()
	if usePty {
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGHUP}
		var ptmx *os.File
		s.mu.Lock()
		ptmx, err = pty.StartWithSize(cmd, s.winsize)
		if err == nil {
			s.ptmx, s.cmd = ptmx, cmd
			// A window-change may have come while the shell started.
			_ = pty.Setsize(ptmx, s.winsize)
		}
		s.mu.Unlock()
		if err == nil {
			outDone = make(chan struct{})
			go func() { _, _ = io.Copy(ptmx, s.ch) }()
			go func() { _, _ = io.Copy(s.ch, ptmx); close(outDone) }()
		}
	} else {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		cmd.Stdout = s.ch
		cmd.Stderr = s.ch.Stderr()
		var stdin io.WriteCloser
		stdin, err = cmd.StdinPipe()
		if err == nil {
			err = cmd.Start()
		}
		if err == nil {
			s.mu.Lock()
			s.cmd = cmd
			s.mu.Unlock()
			go func() { _, _ = io.Copy(stdin, s.ch); stdin.Close() }()
		}
	}
	if err != nil {
		fmt.Fprintf(s.ch.Stderr(), "ocs node: cannot start %s: %v\r\n", c.Shell, err)
		s.exit(127)
		return
	}
	s.srv.mu.Lock()
	s.srv.procs[cmd] = true
	s.srv.mu.Unlock()
	werr := cmd.Wait()
	s.srv.mu.Lock()
	delete(s.srv.procs, cmd)
	s.srv.mu.Unlock()
	if outDone != nil {
		select {
		case <-outDone:
		case <-time.After(2 * time.Second):
		}
		s.mu.Lock()
		s.ptmx.Close()
		s.mu.Unlock()
	}
	s.exit(exitCode(werr))
}

// exitCode maps a Wait error to an exit status; a signal n becomes 128+n.
func exitCode(err error) uint32 {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return uint32(128 + int(ws.Signal()))
		}
		return uint32(ee.ExitCode())
	}
	return 255
}

type noClose struct{ ssh.Channel }

func (noClose) Close() error { return nil }
