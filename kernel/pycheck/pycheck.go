// Package pycheck checks the syntax of Python notebook cells without
// running them: each cell goes through IPython's own input transformations
// (so `!cmd`, `x = !cmd` and `%magic` lines become the calls IPython makes
// of them) and is then compiled, in one Python process for all the cells.
package pycheck

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
)

// DefaultPython is the interpreter the check runs: Debian's, which has
// IPython (python3-ipykernel brings it), not whatever python3 PATH finds.
const DefaultPython = "/usr/bin/python3"

//go:embed check.py
var script string

// SyntaxError is a cell that does not compile.
type SyntaxError struct {
	Line, Column int // 1-based; 0 when unknown
	Msg          string
}

func (e *SyntaxError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("line %d:%d: %s", e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// Compile checks every source and returns, for each, nil or the
// *SyntaxError it has. The error is for a check that could not run (no
// Python, no IPython).
func Compile(ctx context.Context, python string, sources []string) ([]error, error) {
	if python == "" {
		python = DefaultPython
	}
	in, err := json.Marshal(sources)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, python, "-I", "-c", script)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("check Python cells with %s (it needs IPython: apt-get install python3-ipykernel): %w: %s", python, err, lastLine(stderr.String()))
	}
	var results []*struct {
		Line   int    `json:"line"`
		Column int    `json:"column"`
		Msg    string `json:"msg"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &results); err != nil || len(results) != len(sources) {
		return nil, fmt.Errorf("check Python cells with %s: unreadable answer (%v)", python, err)
	}
	out := make([]error, len(sources))
	for i, r := range results {
		if r != nil {
			out[i] = &SyntaxError{Line: r.Line, Column: r.Column, Msg: r.Msg}
		}
	}
	return out, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
