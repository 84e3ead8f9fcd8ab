package gokernel

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/traefik/yaegi/interp"

	"ocs/kernel"
	"ocs/kernel/cellenv"
	"ocs/kernel/display"
)

// Spec is the kernelspec of notebooks written for the Go kernel.
var Spec = kernel.Spec{Name: "ocs-go", DisplayName: "Go (ocs)", Language: "go"}

// masked replaces secret values in text the bridge reports.
const masked = "********"

// hostPackages are the packages cells import: the shell bridge that
// rewritten `!` lines call, ocs/display and ocs/secret.
func (w *worker) hostPackages() interp.Exports {
	return interp.Exports{
		"ocs/shellbridge/shellbridge": {
			"Sh":        reflect.ValueOf(w.sh),
			"Capture":   reflect.ValueOf(w.capture),
			"Script":    reflect.ValueOf(w.script),
			"WriteFile": reflect.ValueOf(w.writeFile),
			"Cd":        reflect.ValueOf(w.cd),
			"Env":       reflect.ValueOf(w.setEnv),
			"Join":      reflect.ValueOf(func(parts ...string) string { return strings.Join(parts, "") }),
			"Magic":     reflect.ValueOf(w.runMagic),
		},
		"ocs/display/display": {
			"Bundle":   reflect.ValueOf((*display.Bundle)(nil)),
			"Table":    reflect.ValueOf((*display.Table)(nil)),
			"HTML":     reflect.ValueOf(display.HTML),
			"Markdown": reflect.ValueOf(display.Markdown),
			"JSON":     reflect.ValueOf(display.JSON),
			"PNG":      reflect.ValueOf(display.PNG),
			"SVG":      reflect.ValueOf(display.SVG),
			"NewTable": reflect.ValueOf(display.NewTable),
			"Show":     reflect.ValueOf(display.Show),
			"Of":       reflect.ValueOf(display.Of),
		},
		"ocs/secret/secret": {
			"Get": reflect.ValueOf(w.secret),
		},
	}
}

// fail unwinds interpreted code with a cell failure.
func (w *worker) fail(f *cellFailure) {
	if run := w.current(); run != nil {
		run.failure = f
	}
	panic(f)
}

func (w *worker) cellContext() (context.Context, *cellRun) {
	run := w.current()
	if run == nil {
		// A goroutine that outlived its cell: nothing may run for it.
		panic(&cellFailure{EName: "BridgeError", EValue: "a shell command ran after its cell ended"})
	}
	return run.ctx, run
}

// addSecrets adds values to mask, longest first so that a secret holding
// another is masked whole.
func (w *worker) addSecrets(values ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, v := range values {
		if v != "" && !slices.Contains(w.secrets, v) {
			w.secrets = append(w.secrets, v)
		}
	}
	slices.SortFunc(w.secrets, func(a, b string) int { return len(b) - len(a) })
}

func (w *worker) mask(s string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, v := range w.secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, masked)
		}
	}
	return s
}

func (w *worker) sh(parts ...string) {
	w.runCommand(w.shell, strings.Join(parts, ""), false)
}

func (w *worker) capture(parts ...string) []string {
	return w.runCommand(w.shell, strings.Join(parts, ""), true)
}

func (w *worker) script(shell, body string) {
	if shell == "bash" {
		shell = w.shell
	}
	w.runCommand(shell, body, false)
}

// runCommand runs one shell command through the gateway and fails the cell
// when it exits non-zero.
func (w *worker) runCommand(shell, command string, capture bool) []string {
	ctx, run := w.cellContext()
	shown := w.mask(command)
	args := map[string]any{"command": shown}
	if capture {
		args["capture"] = true
	}
	res, err := run.gw.Do(ctx, "shell", args, func(ctx context.Context) (map[string]any, error) {
		status, lines, err := w.runShell(ctx, shell, command, capture)
		if err != nil {
			return nil, err
		}
		r := map[string]any{"exit": status}
		if capture {
			r["lines"] = lines
		}
		return r, nil
	})
	if err != nil {
		w.failGateway(err, fmt.Sprintf("command %q", shown))
	}
	status := toInt(res["exit"])
	if status != 0 {
		w.fail(&cellFailure{EName: "ShellError", EValue: fmt.Sprintf("command %q failed with exit status %d", shown, status)})
	}
	return toStrings(res["lines"])
}

// failGateway fails the cell for an error the gateway returned.
func (w *worker) failGateway(err error, what string) {
	var d *kernel.DivergenceError
	if errors.As(err, &d) {
		w.fail(&cellFailure{EName: "DivergenceError", EValue: d.Error(), Divergence: d})
	}
	w.fail(&cellFailure{EName: "BridgeError", EValue: fmt.Sprintf("%s: %s", what, w.mask(err.Error()))})
}

// runShell runs command (cellenv.Run: its own process group, killed when
// ctx ends), streaming its output as the cell's, and tells the supervisor
// about the group so that a worker that is killed takes it along.
func (w *worker) runShell(ctx context.Context, shell, command string, capture bool) (int, []string, error) {
	var captured strings.Builder
	c := cellenv.Command{
		Shell:  shell,
		Line:   command,
		Env:    w.env.environ(),
		Stdout: streamWriter{e: w.emit, name: "stdout"},
		Stderr: streamWriter{e: w.emit, name: "stderr"},
		Started: func(pid int) {
			w.trackGroup(pid, true)
			_ = w.emit.send(message{Type: msgChild, PID: pid})
		},
		Ended: func(pid int) {
			w.trackGroup(pid, false)
			_ = w.emit.send(message{Type: msgChildDone, PID: pid})
		},
	}
	if capture {
		c.Stdout = &captured
	}
	status, err := cellenv.Run(ctx, c)
	if err != nil {
		return 0, nil, err
	}
	var lines []string
	if capture {
		text := strings.TrimSuffix(captured.String(), "\n")
		if text != "" {
			lines = strings.Split(text, "\n")
		}
	}
	return status, lines, nil
}

func (w *worker) writeFile(path string, appendMode bool, body string) {
	ctx, run := w.cellContext()
	sum := sha256.Sum256([]byte(body))
	args := map[string]any{"path": w.mask(path), "append": appendMode, "sha256": hex.EncodeToString(sum[:])}
	_, err := run.gw.Do(ctx, "writefile", args, func(context.Context) (map[string]any, error) {
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if appendMode {
			flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		}
		f, err := os.OpenFile(path, flags, 0o644)
		if err != nil {
			return nil, err
		}
		if _, err := f.WriteString(body); err != nil {
			f.Close()
			return nil, err
		}
		return map[string]any{"bytes": len(body)}, f.Close()
	})
	if err != nil {
		w.failGateway(err, fmt.Sprintf("write file %q", w.mask(path)))
	}
	verb := "Writing"
	if appendMode {
		verb = "Appending to"
	}
	w.emit.stream("stdout", []byte(verb+" "+w.mask(path)+"\n"))
}

// cd changes the session's working directory: the worker's own, so that
// cell code and every later shell command see it.
func (w *worker) cd(dir string) {
	if strings.HasPrefix(dir, "~") {
		home, _ := w.env.get("HOME")
		dir = home + dir[1:]
	}
	if err := os.Chdir(dir); err != nil {
		w.fail(&cellFailure{EName: "CdError", EValue: fmt.Sprintf("%%cd %q: %v", dir, err)})
	}
	wd, _ := os.Getwd()
	w.env.set("PWD", wd)
	w.emit.stream("stdout", []byte(wd+"\n"))
}

// setEnv implements %env in IPython's forms: NAME=VALUE, NAME VALUE, NAME
// (show one) and nothing (show all names).
func (w *worker) setEnv(arg string) {
	arg = strings.TrimSpace(arg)
	if arg == "" {
		var names []string
		for _, kv := range w.env.environ() {
			k, _, _ := strings.Cut(kv, "=")
			names = append(names, k)
		}
		w.emit.stream("stdout", []byte(strings.Join(names, "\n")+"\n"))
		return
	}
	name, value, isSet := strings.Cut(arg, "=")
	if !isSet {
		name, value, isSet = strings.Cut(arg, " ")
	}
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if name == "" || strings.ContainsAny(name, " \t") {
		w.fail(&cellFailure{EName: "EnvError", EValue: fmt.Sprintf("%%env: bad variable name %q", name)})
	}
	if !isSet {
		v, _ := w.env.get(name)
		w.emit.stream("stdout", []byte(w.mask(v)+"\n"))
		return
	}
	w.env.set(name, value)
	w.emit.stream("stdout", []byte("env: "+name+"="+w.mask(value)+"\n"))
}

// secret asks the host for a named secret. The request goes through the
// gateway by name only; the value never enters the journal.
func (w *worker) secret(name string) string {
	ctx, run := w.cellContext()
	var value string
	fetched := false
	fetch := func(ctx context.Context) error {
		v, err := w.requestSecret(ctx, name)
		if err != nil {
			return err
		}
		value, fetched = v, true
		w.addSecrets(v)
		return nil
	}
	_, err := run.gw.Do(ctx, "secret", map[string]any{"name": name}, func(ctx context.Context) (map[string]any, error) {
		return map[string]any{}, fetch(ctx)
	})
	if err == nil && !fetched {
		// Replay answered the call; the value itself is never journaled.
		err = fetch(ctx)
	}
	if err != nil {
		var d *kernel.DivergenceError
		if errors.As(err, &d) {
			w.failGateway(err, "")
		}
		w.fail(&cellFailure{EName: "SecretError", EValue: fmt.Sprintf("secret %q: %v", name, err)})
	}
	return value
}

func (w *worker) requestSecret(ctx context.Context, name string) (string, error) {
	// A reply to a request an interrupt abandoned may still arrive; it must
	// not answer this one.
	select {
	case <-w.secretReplies:
	default:
	}
	if err := w.emit.send(message{Type: msgSecret, Name: name}); err != nil {
		return "", fmt.Errorf("ask the host: %w", err)
	}
	for {
		select {
		case m := <-w.secretReplies:
			if m.Name != name {
				continue
			}
			if m.Err != "" {
				return "", errors.New(m.Err)
			}
			return m.Value, nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

func toInt(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case float64:
		return int(n)
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}

func toStrings(v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		out := make([]string, 0, len(l))
		for _, x := range l {
			s, _ := x.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

// reportEffect sends a completed effect to the supervisor, which hands it
// to the Host.
func (w *worker) reportEffect(e kernel.Effect) error {
	return w.emit.send(message{Type: msgEffect, Effect: &e})
}

// reportStart tells the supervisor that an effect is about to run, and
// waits until the host has journaled it: a kill after that point leaves a
// record that knows the effect started.
func (w *worker) reportStart(ctx context.Context, e kernel.Effect) error {
	// An ack to a start an interrupt abandoned may still arrive.
	select {
	case <-w.effectAcks:
	default:
	}
	if err := w.emit.send(message{Type: msgEffectStart, Effect: &e}); err != nil {
		return fmt.Errorf("report the start: %w", err)
	}
	select {
	case m := <-w.effectAcks:
		if m.Err != "" {
			return errors.New(m.Err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
