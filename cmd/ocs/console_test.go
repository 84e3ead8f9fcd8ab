package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// A log line written while the status line is shown lands above it, and
// the status line is drawn again below.
func TestConsoleKeepsStatusBelowLines(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		want   string
	}{
		{"no status", []string{"log\n"}, "log\n"},
		{"line above status", []string{"<status>", "log line\n"}, "\r\x1b[Kcell 1\r\x1b[Klog line\ncell 1"},
		{"partial line is ended", []string{"<status>", "abc"}, "\r\x1b[Kcell 1\r\x1b[Kabc\ncell 1"},
		{"cleared", []string{"<status>", "<clear>", "done\n"}, "\r\x1b[Kcell 1\r\x1b[Kdone\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			c := &console{w: &b, live: true}
			for _, w := range tc.writes {
				switch w {
				case "<status>":
					c.setStatus("cell 1")
				case "<clear>":
					c.clearStatus()
				default:
					io.WriteString(c, w)
				}
			}
			if b.String() != tc.want {
				t.Errorf("wrote %q, want %q", b.String(), tc.want)
			}
		})
	}
}

func TestConsoleJSONWrapsPlainLines(t *testing.T) {
	var b bytes.Buffer
	c := &console{w: &b}
	c.setJSON()
	io.WriteString(c, `{"level":"info","message":"as is"}`+"\n")
	io.WriteString(c, "ocs: warning: source \"x\" is offline\nocs: interrupting")
	io.WriteString(c, " the cell\nplain\n")
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	want := []string{`"message":"as is"`, `"level":"warn","message":"source \"x\" is offline"`, `"level":"info","message":"interrupting the cell"`, `"level":"info","message":"plain"`}
	if len(lines) != len(want) {
		t.Fatalf("lines:\n%s", b.String())
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], "{") || !strings.Contains(lines[i], w) {
			t.Errorf("line %d = %s, want it to hold %s", i, lines[i], w)
		}
	}
}

// On a terminal with TERM=dumb a run writes no cursor codes and no
// spinner; on an ordinary terminal it does (which shows the check can
// fail).
func TestDumbTerminalGetsNoEscapes(t *testing.T) {
	nb := filepath.Join(t.TempDir(), "slow.ipynb")
	src := `{"cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": ["!sleep 0.3; echo done"]}],
 "metadata": {"kernelspec": {"name": "ocs-go", "display_name": "Go (ocs)", "language": "go"}}, "nbformat": 4, "nbformat_minor": 4}`
	if err := os.WriteFile(nb, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		term        string
		wantEscapes bool
	}{{"dumb", false}, {"xterm", true}} {
		t.Run(tc.term, func(t *testing.T) {
			t.Setenv("TERM", tc.term)
			ptm, tty, err := pty.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer ptm.Close()
			var out bytes.Buffer
			done := make(chan struct{})
			go func() { io.Copy(&out, ptm); close(done) }()
			code := run([]string{"run", nb, "-o", filepath.Join(t.TempDir(), "rec.ipynb")}, strings.NewReader(""), io.Discard, tty)
			tty.Close()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
			}
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, out.String())
			}
			got := out.String()
			if has := strings.Contains(got, "\x1b"); has != tc.wantEscapes {
				t.Errorf("TERM=%s: escape codes present = %v, want %v:\n%q", tc.term, has, tc.wantEscapes, got)
			}
			if !strings.Contains(got, "done") {
				t.Errorf("cell output missing:\n%q", got)
			}
		})
	}
}

// writeLog records each Write its console makes, as the write(2) calls
// they become.
type writeLog struct {
	mu     sync.Mutex
	writes []string
}

func (l *writeLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes = append(l.writes, string(p))
	return len(p), nil
}

func (l *writeLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.writes...)
}

// On a pipe, a held line (a cell's start) goes out with the next write, in
// one write, and in order; on a terminal, or in JSON mode, at once.
func TestConsoleHoldGoesWithTheNextWrite(t *testing.T) {
	tests := []struct {
		name       string
		live, json bool
		steps      []string // "hold:TEXT", "write:TEXT", "flush"
		want       []string
	}{
		{"held then end line", false, false, []string{"hold:[1/2] cell 0 ...\n", "write:✓ [1/2] cell 0 completed in 0s\n"},
			[]string{"[1/2] cell 0 ...\n✓ [1/2] cell 0 completed in 0s\n"}},
		{"held then output", false, false, []string{"hold:start\n", "write:out", "write:more\n"},
			[]string{"start\nout", "more\n"}},
		{"a second hold writes the first", false, false, []string{"hold:a\n", "hold:b\n", "write:c\n"},
			[]string{"a\n", "b\nc\n"}},
		{"flush before exit", false, false, []string{"hold:a\n", "flush"}, []string{"a\n"}},
		{"terminal writes at once", true, false, []string{"hold:a\n", "write:b\n"}, []string{"a\n", "b\n"}},
		{"json writes at once", false, true, []string{"hold:{\"a\":1}\n"}, []string{"{\"a\":1}\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var l writeLog
			c := &console{w: &l, live: tc.live, json: tc.json}
			for _, s := range tc.steps {
				switch kind, text, _ := strings.Cut(s, ":"); kind {
				case "hold":
					c.hold(text)
				case "write":
					io.WriteString(c, text)
				case "flush":
					c.flushHeld()
				}
			}
			if got := l.get(); strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("writes %q, want %q", got, tc.want)
			}
		})
	}
}

// A held line nothing follows (a long silent cell's start) still goes out,
// after holdDelay.
func TestConsoleHeldLineGoesOutAlone(t *testing.T) {
	var l writeLog
	c := &console{w: &l}
	c.hold("[1/1] cell 0 ...\n")
	deadline := time.Now().Add(holdDelay + 5*time.Second)
	for len(l.get()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := l.get(); len(got) != 1 || got[0] != "[1/1] cell 0 ...\n" {
		t.Fatalf("writes %q, want the held line alone", got)
	}
}
