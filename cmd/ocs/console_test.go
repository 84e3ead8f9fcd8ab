package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
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
