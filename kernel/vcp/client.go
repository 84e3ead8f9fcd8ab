package vcp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"ocs/kernel/display"
)

// Target is one node as an SSH client reaches it. Its host key is pinned:
// a server presenting another key is refused.
type Target struct {
	Name    string `json:"name"` // label in output and errors, e.g. "grp/unit/1"
	Address string `json:"address"`
	Port    int    `json:"port"`
	User    string `json:"user"`
	KeyFile string `json:"key_file"` // private key file of the client
	HostKey string `json:"host_key"` // the node's host key, authorized_keys form
}

// ExitError says that a command on a node exited with a non-zero status.
type ExitError struct {
	Node   string
	Status int
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("command on node %q exited with status %d", e.Node, e.Status)
}

// FanOutError names every node on which a fanned-out command failed.
type FanOutError struct {
	Errors map[string]error // by node name
}

func (e *FanOutError) Error() string {
	names := make([]string, 0, len(e.Errors))
	for n := range e.Errors {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = e.Errors[n].Error()
	}
	return fmt.Sprintf("failed on %d node(s): %s", len(names), strings.Join(parts, "; "))
}

// Unwrap returns the per-node errors, so errors.As finds an *ExitError.
func (e *FanOutError) Unwrap() []error {
	names := make([]string, 0, len(e.Errors))
	for n := range e.Errors {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]error, len(names))
	for i, n := range names {
		out[i] = e.Errors[n]
	}
	return out
}

func hostKeyAlgorithms(k ssh.PublicKey) []string {
	if k.Type() == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{k.Type()}
}

// Dial opens an SSH connection to t, verifying its pinned host key.
func Dial(ctx context.Context, t Target) (*ssh.Client, error) {
	signer, err := loadSigner(t.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("node %q: %w", t.Name, err)
	}
	hk, err := parseAuthorizedKey(t.HostKey)
	if err != nil {
		return nil, fmt.Errorf("node %q: host key: %w", t.Name, err)
	}
	return dialWith(ctx, t, signer, ssh.FixedHostKey(hk), hostKeyAlgorithms(hk))
}

func dialWith(ctx context.Context, t Target, signer ssh.Signer, cb ssh.HostKeyCallback, algs []string) (*ssh.Client, error) {
	addr := net.JoinHostPort(t.Address, strconv.Itoa(t.Port))
	cfg := &ssh.ClientConfig{
		User:              t.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback:   cb,
		HostKeyAlgorithms: algs,
		Timeout:           10 * time.Second,
	}
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect to node %q: %w", t.Name, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if !stop() {
		if err == nil {
			c.Close()
		}
		return nil, fmt.Errorf("connect to node %q: %w", t.Name, ctx.Err())
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("connect to node %q: %w", t.Name, err)
	}
	return ssh.NewClient(c, chans, reqs), nil
}

// Run runs command on the node t through its shell, streaming its output
// to stdout and stderr (either may be nil). A non-zero exit is an
// *ExitError. When ctx is done the command gets SIGTERM and the connection
// is closed.
func Run(ctx context.Context, t Target, command string, stdin io.Reader, stdout, stderr io.Writer) error {
	c, err := Dial(ctx, t)
	if err != nil {
		return err
	}
	defer c.Close()
	return runOn(ctx, c, t.Name, command, stdin, stdout, stderr)
}

func runOn(ctx context.Context, c *ssh.Client, name, command string, stdin io.Reader, stdout, stderr io.Writer) error {
	s, err := c.NewSession()
	if err != nil {
		return fmt.Errorf("open session on node %q: %w", name, err)
	}
	defer s.Close()
	s.Stdin, s.Stdout, s.Stderr = stdin, stdout, stderr
	stop := context.AfterFunc(ctx, func() {
		_ = s.Signal(ssh.SIGTERM)
		time.Sleep(500 * time.Millisecond)
		c.Close()
	})
	defer stop()
	err = s.Run(command)
	if ctx.Err() != nil {
		return fmt.Errorf("run on node %q: %w", name, ctx.Err())
	}
	var ee *ssh.ExitError
	if errors.As(err, &ee) {
		return &ExitError{Node: name, Status: ee.ExitStatus()}
	}
	if err != nil {
		return fmt.Errorf("run on node %q: %w", name, err)
	}
	return nil
}

// Output runs command on t and returns its standard output; the error of a
// failed command carries its standard error text.
func Output(ctx context.Context, t Target, command string) (string, error) {
	var out, errb bytes.Buffer
	err := Run(ctx, t, command, nil, &out, &errb)
	if err != nil && errb.Len() > 0 {
		err = fmt.Errorf("%w: %s", err, strings.TrimSpace(errb.String()))
	}
	return out.String(), err
}

// withSFTP runs f with an SFTP session on the node.
func withSFTP(ctx context.Context, t Target, f func(*sftp.Client) error) error {
	c, err := Dial(ctx, t)
	if err != nil {
		return err
	}
	defer c.Close()
	sc, err := sftp.NewClient(c)
	if err != nil {
		return fmt.Errorf("sftp to node %q: %w", t.Name, err)
	}
	defer sc.Close()
	return f(sc)
}

// CopyTo copies the local file src to dst on the node (over SFTP), keeping
// its mode. A relative dst is relative to the node user's home.
func CopyTo(ctx context.Context, t Target, src, dst string) error {
	return withSFTP(ctx, t, func(sc *sftp.Client) error { return copyTo(sc, t, src, dst) })
}

func copyTo(sc *sftp.Client, t Target, src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copy to node %q: %w", t.Name, err)
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := sc.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return fmt.Errorf("copy to node %q: create %q: %w", t.Name, dst, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy to node %q: write %q: %w", t.Name, dst, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("copy to node %q: write %q: %w", t.Name, dst, err)
	}
	_ = sc.Chmod(dst, fi.Mode().Perm())
	return nil
}

// CopyFrom copies the file src on the node to the local file dst.
func CopyFrom(ctx context.Context, t Target, src, dst string) error {
	return withSFTP(ctx, t, func(sc *sftp.Client) error { return copyFrom(sc, t, src, dst) })
}

func copyFrom(sc *sftp.Client, t Target, src, dst string) error {
	in, err := sc.Open(src)
	if err != nil {
		return fmt.Errorf("copy from node %q: open %q: %w", t.Name, src, err)
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("copy from node %q: %w", t.Name, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy from node %q: read %q: %w", t.Name, src, err)
	}
	return out.Close()
}

// FanOut runs command on every target in parallel. Each line of output is
// written to stdout or stderr prefixed with "NAME | ". The error is a
// *FanOutError naming each node that failed.
func FanOut(ctx context.Context, targets []Target, command string, stdout, stderr io.Writer) error {
	var mu sync.Mutex
	width := 0
	for _, t := range targets {
		width = max(width, display.Width(t.Name))
	}
	errs := map[string]error{}
	var wg sync.WaitGroup
	for _, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prefix := display.PadRight(t.Name, width) + " | "
			o := &lineWriter{mu: &mu, w: stdout, prefix: prefix}
			e := &lineWriter{mu: &mu, w: stderr, prefix: prefix}
			err := Run(ctx, t, command, nil, o, e)
			o.Flush()
			e.Flush()
			if err != nil {
				mu.Lock()
				errs[t.Name] = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return &FanOutError{Errors: errs}
	}
	return nil
}

// lineWriter writes whole lines, each with a prefix, under a shared mutex
// so that lines of different nodes never interleave.
type lineWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	if l.w == nil {
		return len(p), nil
	}
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.mu.Lock()
		_, err := fmt.Fprintf(l.w, "%s%s\n", l.prefix, l.buf[:i])
		l.mu.Unlock()
		l.buf = l.buf[i+1:]
		if err != nil {
			return len(p), err
		}
	}
	return len(p), nil
}

// Flush writes a last unterminated line.
func (l *lineWriter) Flush() {
	if l.w != nil && len(l.buf) > 0 {
		l.mu.Lock()
		fmt.Fprintf(l.w, "%s%s\n", l.prefix, l.buf)
		l.mu.Unlock()
		l.buf = nil
	}
}
