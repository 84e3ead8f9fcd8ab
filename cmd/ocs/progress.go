package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"ocs/kernel"
	"ocs/kernel/display"
	"ocs/runner"
)

// progress shows a run on stderr: on a terminal, a live status line per
// cell (index/total, section, elapsed, spinner) below the cell's output as
// it streams; elsewhere (a pipe, TERM=dumb), plain lines only.
type progress struct {
	c     *console
	quiet bool

	mu      sync.Mutex
	cell    runner.CellInfo
	started time.Time
	running bool
	stop    chan struct{}
	frame   int
	midLine bool // the last output did not end its line
}

var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

func (p *progress) label(c runner.CellInfo) string {
	s := fmt.Sprintf("[%d/%d] cell %d", c.Ordinal, c.Total, c.Index)
	if c.Heading != "" {
		s += " · " + display.Truncate(c.Heading, 50)
	}
	return s
}

func (p *progress) CellStarted(c runner.CellInfo) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cell, p.started, p.running, p.midLine = c, time.Now(), true, false
	if !p.c.live {
		// Out with the cell's first output or its end line, or after a
		// while if neither comes.
		p.c.hold(p.label(c) + " ...\n")
		return
	}
	p.drawLocked()
	p.stop = make(chan struct{})
	go p.spin(p.stop)
}

func (p *progress) spin(stop chan struct{}) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.frame++
			p.drawLocked()
			p.mu.Unlock()
		}
	}
}

func (p *progress) drawLocked() {
	if !p.running {
		return
	}
	p.c.setStatus(fmt.Sprintf("%s %s %s", spinner[p.frame%len(spinner)], p.label(p.cell), time.Since(p.started).Round(100*time.Millisecond)))
}

func (p *progress) CellOutput(c runner.CellInfo, o kernel.Output) {
	if p.quiet {
		return
	}
	text := outputText(o)
	if text == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	// The console keeps the status line below the text, ending a partial
	// line before it draws the status again.
	io.WriteString(p.c, text)
	p.midLine = !p.c.live && !strings.HasSuffix(text, "\n")
}

func outputText(o kernel.Output) string {
	switch o.Kind {
	case kernel.Stream:
		return o.Text
	case kernel.Error:
		if len(o.Traceback) > 0 {
			return strings.Join(o.Traceback, "\n") + "\n"
		}
		return o.EName + ": " + o.EValue + "\n"
	default:
		if s, ok := o.Data["text/plain"].(string); ok {
			return strings.TrimSuffix(s, "\n") + "\n"
		}
	}
	return ""
}

func (p *progress) CellFinished(c runner.CellInfo, status runner.Status, took time.Duration, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stop != nil {
		close(p.stop)
		p.stop = nil
	}
	p.running = false
	mark := map[runner.Status]string{runner.Completed: "✓", runner.Failed: "✗", runner.TimedOut: "⏱", runner.Interrupted: "■"}[status]
	p.c.clearStatus()
	if p.midLine {
		fmt.Fprintln(p.c)
	}
	fmt.Fprintf(p.c, "%s %s %s in %s\n", mark, p.label(c), status, took.Round(time.Millisecond))
}
