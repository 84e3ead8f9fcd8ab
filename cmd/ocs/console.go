package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// console is stderr as ocs writes it. Everything written to stderr (log
// lines, messages, cell output) passes through it, so that:
//   - on a terminal, the live status line of a run stays below them: it is
//     cleared before a write and drawn again after it;
//   - on a dumb terminal (TERM=dumb) or with NO_COLOR set, no cursor codes
//     or colours are written at all;
//   - with --log-format json, every line is a JSON object: a line that is
//     not one (an "ocs: warning: ..." message, say) is wrapped in one.
type console struct {
	mu      sync.Mutex
	w       io.Writer // what is written, through the secret masker
	tty     io.Writer // the terminal (or pipe) itself
	live    bool      // a terminal that takes cursor codes
	plain   bool      // no colours either
	json    bool
	status  string // the live line shown now
	partial []byte // JSON mode: the start of a line not yet ended
	// held is a line written with hold and not yet out; heldOut writes it
	// once holdDelay has passed.
	held    []byte
	heldOut *time.Timer
}

// holdDelay is how long a held line may wait for the next write, which
// takes it along.
const holdDelay = 100 * time.Millisecond

// hold writes line with the next write to the console, or after
// holdDelay if none comes first. A run's progress lines on a pipe are two
// per cell, its start and its end; a quick cell's two now cost one
// write(2), which wakes whatever reads stderr once (bench/run's log
// file, a CI runner), not twice. Order with everything else written is
// kept: any write takes the held line first.
func (c *console) hold(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.json || c.live {
		c.writeLocked([]byte(line))
		return
	}
	if len(c.held) > 0 {
		c.writeLocked(nil)
	}
	c.held = append(c.held[:0], line...)
	if c.heldOut == nil {
		c.heldOut = time.AfterFunc(holdDelay, c.flushHeld)
	} else {
		c.heldOut.Reset(holdDelay)
	}
}

// flushHeld writes a held line now: when holdDelay has passed, and before
// ocs exits.
func (c *console) flushHeld() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.held) > 0 {
		c.writeLocked(nil)
	}
}

// newConsole writes to w, a writer of the terminal or pipe raw that masks
// what passes (raw itself where nothing needs masking).
func newConsole(raw, w io.Writer) *console {
	tty := isTerminal(raw)
	dumb := os.Getenv("TERM") == "dumb"
	_, noColor := os.LookupEnv("NO_COLOR")
	return &console{w: w, tty: raw, live: tty && !dumb, plain: !tty || dumb || noColor}
}

// Fd lets isTerminal see the terminal behind the console.
func (c *console) Fd() uintptr {
	if f, ok := c.tty.(interface{ Fd() uintptr }); ok {
		return f.Fd()
	}
	return ^uintptr(0)
}

func (c *console) setJSON() {
	c.mu.Lock()
	c.json = true
	c.mu.Unlock()
}

func (c *console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writeLocked(p)
}

func (c *console) writeLocked(p []byte) (int, error) {
	if len(c.held) > 0 {
		c.heldOut.Stop()
		n := len(p)
		held := append(c.held, p...)
		c.held = held[:0]
		_, err := c.w.Write(held)
		return n, err
	}
	if c.json {
		return len(p), c.writeJSONLines(p)
	}
	if c.status != "" {
		io.WriteString(c.w, "\r\033[K")
	}
	n, err := c.w.Write(p)
	if c.status != "" {
		if len(p) > 0 && p[len(p)-1] != '\n' {
			io.WriteString(c.w, "\n")
		}
		io.WriteString(c.w, c.status)
	}
	return n, err
}

// writeJSONLines passes JSON lines through and wraps any other line.
func (c *console) writeJSONLines(p []byte) error {
	c.partial = append(c.partial, p...)
	for {
		i := bytes.IndexByte(c.partial, '\n')
		if i < 0 {
			return nil
		}
		line := c.partial[:i]
		rest := c.partial[i+1:]
		if err := c.writeJSONLine(line); err != nil {
			return err
		}
		c.partial = append(c.partial[:0], rest...)
	}
}

func (c *console) writeJSONLine(line []byte) error {
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 {
		return nil
	}
	if trimmed[0] == '{' && json.Valid(trimmed) {
		_, err := c.w.Write(append(trimmed, '\n'))
		return err
	}
	_, err := c.w.Write(jsonEvent(messageLevel(string(trimmed))))
	return err
}

// messagePrefixes are the prefixes of ocs's own message lines, with
// their log levels; the first that matches wins.
var messagePrefixes = []struct{ prefix, level string }{
	{"ocs: error: ", "error"}, {"ocs: warning: ", "warn"}, {"ocs: hint: ", "info"}, {"ocs: ", "info"},
}

// messageLevel turns one of ocs's message lines ("ocs: warning: ...")
// into log fields.
func messageLevel(line string) map[string]any {
	for _, p := range messagePrefixes {
		if rest, ok := strings.CutPrefix(line, p.prefix); ok {
			return map[string]any{"level": p.level, "message": rest}
		}
	}
	return map[string]any{"level": "info", "message": line}
}

// jsonEvent encodes fields as one log line, with the logger's time format.
func jsonEvent(fields map[string]any) []byte {
	if _, ok := fields["time"]; !ok {
		fields["time"] = time.Now().Format(time.RFC3339Nano)
	}
	data, err := json.Marshal(fields)
	if err != nil {
		data = []byte(`{"level":"error","message":"unencodable message"}`)
	}
	return append(data, '\n')
}

// setStatus shows s as the live status line (a terminal only).
func (c *console) setStatus(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || c.json {
		return
	}
	c.status = s
	io.WriteString(c.w, "\r\033[K"+s)
}

// clearStatus removes the live status line.
func (c *console) clearStatus() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.status != "" {
		io.WriteString(c.w, "\r\033[K")
		c.status = ""
	}
}
