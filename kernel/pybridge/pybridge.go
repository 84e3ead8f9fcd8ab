// Package pybridge is the way back from Python code that ocs runs in a
// Jupyter kernel to the ocs process: a unix socket per kernel, over which
// the kernel's `!` lines, secret requests and VCP SDK calls are served by
// handlers in ocs (and so pass through the same effects gateway as Go
// cells), and the Python files ocs installs in the kernel to make those
// calls. The wire is JSON lines: a request {"id", "op", "args"}, then any
// number of {"id", "stdout"|"stderr": text} and one {"id", "result"} or
// {"id", "error": {"ename", "evalue"}}.
package pybridge

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
)

// EnvSocket names the environment variable that holds the socket's path in
// the kernel's environment.
const EnvSocket = "OCS_BRIDGE"

// Call is one request from Python code.
type Call struct {
	Op string
	// Args is the request's JSON object, numbers decoded as float64.
	Args map[string]any
	// Stdout and Stderr stream text to the caller while the call runs; the
	// Python side writes it to the cell's sys.stdout and sys.stderr as it
	// arrives, or collects it.
	Stdout, Stderr io.Writer
}

// Handler serves one Call. ctx is the running cell's context, cancelled when
// the cell is interrupted or ends, or when the caller goes away (a
// KeyboardInterrupt closes its connection). The result must be
// JSON-encodable.
type Handler func(ctx context.Context, call *Call) (map[string]any, error)

// Error is a failure the Python side raises with this name and message.
// Any other error a Handler returns is raised as "OcsError".
type Error struct {
	EName  string `json:"ename"`
	EValue string `json:"evalue"`
}

func (e *Error) Error() string {
	if e.EValue == "" {
		return e.EName
	}
	return e.EName + ": " + e.EValue
}

var (
	regMu    sync.Mutex
	handlers = map[string]Handler{}
	groups   = map[string][]fs.FS{}
)

//go:embed python
var ownPython embed.FS

func init() {
	sub, err := fs.Sub(ownPython, "python")
	if err != nil {
		panic(err) // the embedded folder is part of the build
	}
	AddPython("ocs", sub)
}

// Handle registers h for op, process-wide; call it while wiring, before a
// Server serves calls. A second handler for one op replaces the first.
func Handle(op string, h Handler) {
	regMu.Lock()
	defer regMu.Unlock()
	handlers[op] = h
}

func handler(op string) (Handler, bool) {
	regMu.Lock()
	defer regMu.Unlock()
	h, ok := handlers[op]
	return h, ok
}

// AddPython adds the Python files of fsys (paths relative to its root, such
// as "vcpsdk/vcpsdk.py") to the named group. The group "ocs" is this
// package's own (the module ocs_bridge); the kernel decides which groups
// go on the kernel's module path.
func AddPython(group string, fsys fs.FS) {
	regMu.Lock()
	defer regMu.Unlock()
	groups[group] = append(groups[group], fsys)
}

// pythonGroups returns a copy of the registry, so that installing does not
// hold the lock while it writes files.
func pythonGroups() map[string][]fs.FS {
	regMu.Lock()
	defer regMu.Unlock()
	out := make(map[string][]fs.FS, len(groups))
	for g, l := range groups {
		out[g] = append([]fs.FS(nil), l...)
	}
	return out
}

func errorReply(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{EName: "OcsError", EValue: err.Error()}
}

func unknownOp(op string) error {
	return &Error{EName: "OcsError", EValue: fmt.Sprintf("ocs does not serve %q", op)}
}
