package gokernel

import (
	"bytes"
	"regexp"
	"sync"
	"time"

	"ocs/kernel"
)

// streamFlushDelay bounds how long stream text waits to be merged with more
// text before it is sent: output stays live without one message per write.
const streamFlushDelay = 20 * time.Millisecond

// emitter orders everything the worker reports: stream text is merged while
// the same stream keeps writing, and flushed before any other message, so the
// host sees outputs in the order they were produced.
type emitter struct {
	out *messageWriter

	mu      sync.Mutex
	name    string // stream of the pending text
	pending bytes.Buffer
	timer   *time.Timer
}

func (e *emitter) stream(name string, p []byte) {
	if len(p) == 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pending.Len() > 0 && e.name != name {
		e.flushLocked()
	}
	e.name = name
	e.pending.Write(p)
	if e.pending.Len() >= 64<<10 {
		e.flushLocked()
		return
	}
	if e.timer == nil {
		e.timer = time.AfterFunc(streamFlushDelay, e.flush)
	}
}

func (e *emitter) flush() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.flushLocked()
}

func (e *emitter) flushLocked() {
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
	if e.pending.Len() == 0 {
		return
	}
	text := e.pending.String()
	e.pending.Reset()
	_ = e.out.send(message{Type: msgOutput, Output: &kernel.Output{Kind: kernel.Stream, Name: e.name, Text: text}})
}

// send flushes pending stream text, then sends m.
func (e *emitter) send(m message) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.flushLocked()
	return e.out.send(m)
}

func (e *emitter) output(o kernel.Output) {
	_ = e.send(message{Type: msgOutput, Output: &o})
}

// streamWriter is the io.Writer the interpreter and shell commands write to.
type streamWriter struct {
	e    *emitter
	name string
	// frames, when set, receives the interpreter's panic position lines
	// instead of the stream: they belong in the error's traceback.
	frames func(line string)
}

var panicFrameRE = regexp.MustCompile(`^\d+:\d+: panic: `)

func (w streamWriter) Write(p []byte) (int, error) {
	if w.frames != nil && panicFrameRE.Match(p) {
		w.frames(string(bytes.TrimRight(p, "\n")))
		return len(p), nil
	}
	w.e.stream(w.name, p)
	return len(p), nil
}
