package jupyter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"ocs/kernel"
	"ocs/kernel/effects"
)

// getpassLine matches an assignment of getpass()'s answer to a name:
// "password = getpass()", "pw: str = getpass.getpass('Password: ')".
var getpassLine = regexp.MustCompile(`(?m)^[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*(?::[^=\n]*)?=[ \t]*(?:[A-Za-z_][A-Za-z0-9_]*\.)?getpass[ \t]*\(`)

// getpassNames returns the names a cell assigns getpass() answers to, in
// the order the assignments appear: the secrets that answer the cell's
// password requests, one each, in order.
func getpassNames(source string) []string {
	var names []string
	for _, m := range getpassLine.FindAllStringSubmatch(source, -1) {
		names = append(names, m[1])
	}
	return names
}

// eof is the input_reply value that makes ipykernel raise EOFError in the
// cell: the way to refuse an input request without leaving the kernel
// waiting for an answer that never comes.
const eof = "\x04"

// input answers one input_request of the cell: a password request from
// the secret the cell assigns it to, anything else refused.
func (r *run) input(ctx context.Context, m *message) {
	var req struct {
		Prompt   string `json:"prompt"`
		Password bool   `json:"password"`
	}
	_ = json.Unmarshal(m.Content, &req)
	value := eof
	switch {
	case req.Password && r.asked < len(r.secrets):
		name := r.secrets[r.asked]
		r.asked++
		v, err := r.secret(name)
		if err != nil {
			r.refuse(&kernel.CellError{EName: "SecretError", EValue: fmt.Sprintf("cell %d: getpass for %s: %v", r.cell.Index, name, err)})
			break
		}
		value = v
	case req.Password:
		r.refuse(&kernel.CellError{EName: "StdinError", EValue: fmt.Sprintf("cell %d asked for a password (prompt %q) that no NAME = getpass(...) assignment names, so ocs cannot tell which secret answers it", r.cell.Index, req.Prompt)})
	default:
		r.refuse(&kernel.CellError{EName: "StdinError", EValue: fmt.Sprintf("cell %d asked for input (prompt %q), but ocs runs cells headless: give the value as a parameter, or as a secret through NAME = getpass()", r.cell.Index, req.Prompt)})
	}
	parent := m.Header
	if _, err := r.p.ch.send(r.p.ch.stdin, "input_reply", map[string]any{"value": value}, &parent); err != nil {
		r.k.log.Warn().Err(err).Int("cell", r.cell.Index).Msg("input_reply not sent")
	}
}

// refuse keeps the first input request ocs could not answer, as the cell's
// error, and shows it in the cell's output.
func (r *run) refuse(err *kernel.CellError) {
	if r.stdin == nil {
		r.stdin = err
	}
	r.host.Output(kernel.Output{Kind: kernel.Stream, Name: "stderr", Text: "ocs: " + err.EValue + "\n"})
}

// secret asks the host for a named secret through the cell's gateway, by
// name only: the value never enters the journal, and a replayed cell asks
// the host again.
func (r *run) secret(name string) (string, error) {
	var value string
	fetched := false
	fetch := func() error {
		v, err := r.host.Secret(name)
		if err != nil {
			return err
		}
		value, fetched = v, true
		r.masks.add(v)
		return nil
	}
	_, err := effects.Do("secret", map[string]any{"name": name}, func(context.Context) (map[string]any, error) {
		return map[string]any{}, fetch()
	})
	switch {
	case errors.Is(err, effects.ErrNoCell):
		err = fetch()
	case err == nil && !fetched:
		err = fetch()
	}
	return value, err
}
