package runner

import (
	"encoding/json"
	"fmt"
	"strings"

	"ocs/kernel"
	"ocs/notebook"
)

// unfinishedKey marks a journal entry whose effect started and whose end
// the record does not hold: the run was killed while it ran.
const unfinishedKey = "unfinished"

// UnfinishedError says that --resume would run again, live, an effect that
// an earlier run started and may have done in part or in whole: a `!`
// command or a VCP operation cut short by a kill -9 (no end journaled), or
// a VCP operation cut short by an interrupt. ocs never does it twice by
// itself; --from reruns the cell deliberately.
type UnfinishedError struct {
	Cell   int
	Op     string
	Args   map[string]any
	Killed bool // no end journaled (else: interrupted)
	// Exists, when the caller could look, says what the VCP operation
	// left (the unit group and its units), for a person to decide.
	Exists string
}

func (e *UnfinishedError) Unwrap() error { return ErrInput }

func (e *UnfinishedError) Error() string {
	how := "was interrupted during"
	if e.Killed {
		how = "was killed during"
	}
	what := e.Op
	if cmd, ok := e.Args["command"].(string); ok && e.Op == "shell" {
		what = fmt.Sprintf("the command %q", cmd)
	} else if args, err := json.Marshal(e.Args); err == nil && len(e.Args) > 0 {
		what += " " + string(args)
	}
	msg := fmt.Sprintf("cell %d's earlier run %s %s, and the record holds no end for it: it may have been done in part or in whole, so --resume will not do it again by itself", e.Cell, how, what)
	if strings.HasPrefix(e.Op, "vcp.") {
		if e.Exists != "" {
			msg += "; " + e.Exists
		}
		if g := ugroupOf(e.Args); g != "" {
			msg += fmt.Sprintf("; see what exists with ocs vcp nodes %s, remove it with ocs vcp rm %s", g, g)
		}
	} else {
		msg += "; check what it did"
	}
	return msg + fmt.Sprintf(", then rerun from that cell deliberately with --from %d", e.Cell)
}

// ugroupOf returns the unit group a VCP operation's arguments name.
func ugroupOf(args map[string]any) string {
	if g, ok := args["ugroup"].(string); ok {
		return g
	}
	if g, ok := args["name"].(string); ok {
		return g // vcp.create_ugroup
	}
	return ""
}

// UGroup returns the unit group the operation named, or "".
func (e *UnfinishedError) UGroup() string {
	if !strings.HasPrefix(e.Op, "vcp.") {
		return ""
	}
	return ugroupOf(e.Args)
}

// redoable ops read and change nothing: doing them again is harmless.
func redoable(op string) bool {
	if op == "secret" || op == "vcp.read_pubkey" {
		return true
	}
	for _, p := range []string{"vcp.get_", "vcp.find_", "vcp.df_"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

// unfinishedEffect returns the first effect of cell c (index i) that must
// not be done again by a resume, or nil.
func unfinishedEffect(c *notebook.Cell, i int) *UnfinishedError {
	meta, _ := c.Metadata[notebook.OCSKey].(map[string]any)
	list, _ := meta["effects"].([]any)
	for _, x := range list {
		m, _ := x.(map[string]any)
		op, _ := m["op"].(string)
		if op == "" || redoable(op) {
			continue
		}
		args, _ := m["args"].(map[string]any)
		killed := m[unfinishedKey] == true
		// An interrupted `!` command was killed by ocs itself, as the
		// cell's interruption says; a VCP operation may have made part of
		// what it makes.
		interrupted := m["error"] == kernel.ErrEffectInterrupted && strings.HasPrefix(op, "vcp.")
		if killed || interrupted {
			return &UnfinishedError{Cell: i, Op: op, Args: args, Killed: killed}
		}
	}
	return nil
}
