package gokernel

import (
	"encoding/json"
	"io"
	"sync"

	"ocs/kernel"
	"ocs/kernel/gokernel/standby"
)

// The worker protocol: JSON lines on two extra file descriptors, so that
// nothing cell code writes to the worker's stdout or stderr can corrupt it.
// fd 3 carries requests from the supervisor, fd 4 messages from the worker.
const (
	requestFD  = 3
	responseFD = 4
)

// WorkerEnv is set to "1" in the environment of a worker process; a binary
// that sees it should call ServeWorker (tests use this to make the test binary
// its own worker).
const WorkerEnv = standby.WorkerEnv

// Message types.
const (
	msgReady       = "ready"        // worker → supervisor: interpreter is up
	msgExec        = "exec"         // supervisor → worker: run Cell
	msgInterrupt   = "interrupt"    // supervisor → worker: stop the running cell
	msgOutput      = "output"       // worker → supervisor: Output
	msgEffect      = "effect"       // worker → supervisor: Effect (Live mode)
	msgEffectStart = "effect_start" // worker → supervisor: Effect about to run; reply effect_ack
	msgEffectAck   = "effect_ack"   // supervisor → worker: the start is journaled (or Err)
	msgSecret      = "secret"       // worker → supervisor: Name wanted; reply with Value or Err
	msgChild       = "child"        // worker → supervisor: shell process group PID started
	msgChildDone   = "child_done"   // worker → supervisor: shell process group PID ended
	msgDone        = "done"         // worker → supervisor: the cell ended, Done says how
	statusOK       = "ok"           // Done.Status values
	statusError    = "error"        //
	statusCanceled = "interrupted"  //
)

type message struct {
	Type   string         `json:"t"`
	Cell   *kernel.Cell   `json:"cell,omitempty"`
	Output *kernel.Output `json:"output,omitempty"`
	Effect *kernel.Effect `json:"effect,omitempty"`
	Name   string         `json:"name,omitempty"`
	Value  string         `json:"value,omitempty"`
	Err    string         `json:"err,omitempty"`
	PID    int            `json:"pid,omitempty"`
	Done   *doneReport    `json:"done,omitempty"`
}

type doneReport struct {
	Status     string                  `json:"status"`
	EName      string                  `json:"ename,omitempty"`
	EValue     string                  `json:"evalue,omitempty"`
	Divergence *kernel.DivergenceError `json:"divergence,omitempty"`
}

// messageWriter serialises messages from several goroutines onto one stream.
type messageWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
	err error
}

func newMessageWriter(w io.Writer) *messageWriter {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &messageWriter{enc: enc}
}

func (w *messageWriter) send(m message) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	w.err = w.enc.Encode(m)
	return w.err
}
