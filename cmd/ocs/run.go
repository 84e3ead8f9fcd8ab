package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"gopkg.in/yaml.v3"

	"ocs/kernel/gokernel"
	"ocs/notebook"
	"ocs/runner"
)

type runFlags struct {
	output      string
	params      []string
	paramsFile  string
	secrets     []string
	secretsFile string
	cellTimeout time.Duration
	timeout     time.Duration
	allowErrors bool
	outputCap   int
	quiet       bool
	helpParams  bool
	cwd         string
	resume      bool
	cells       string
	from        string
}

func newRunCmd() *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run SOURCE [flags]",
		Short: "Run a template and write its build record",
		Long: `Run a template's cells in order and write every output into a build record:
a copy of the notebook, saved after every cell and every few seconds while a
cell streams output. SOURCE is a notebook path. The source is never modified;
the record goes to -o PATH or to ./builds/NAME-TIME.ipynb, and its path is
printed on stdout at the end.

Parameters: the cell tagged "parameters" declares defaults in Go
(name := "value" // help). -p name=value and -f params.yaml inject a cell
tagged "injected-parameters" after it; values are checked against the
defaults' types. --help-params lists them.

Resume and reruns: a build record keeps a journal of every side effect a
cell made through ocs (shell commands, files written by magics, VCP
operations, secret requests by name). ocs run RECORD --resume replays the
cells before the failure from that journal (their variables come back, no
command runs twice, no node is made twice) and runs the rest live, in the
same record. --cells 12-15,18 and --from 12 do the same for chosen cells
(numbers as ocs status prints them, or cell ids). Given a template instead
of a record, the cells before the selection run live first.

Secrets: cells ask for secrets by name (secret.Get("db_password")). Values
come from --secret NAME (the environment variable NAME), --secrets FILE
(NAME=VALUE lines, mode 0600), or a no-echo prompt on a terminal. Secret
values, and parameters named like token/secret/password/key, are masked in
the record, its side logs and every message.

Exit status:
  0    every cell completed
  1    a cell failed
  2    usage error or invalid input
  3    timed out (--cell-timeout or --timeout)
  4    kernel or infrastructure failure
  130  interrupted (Ctrl-C, SIGTERM)`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTemplate(cmd, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "", "write the build record to `PATH`")
	fl.StringArrayVarP(&f.params, "param", "p", nil, "set a parameter: `name=value` (repeatable)")
	fl.StringVarP(&f.paramsFile, "params-file", "f", "", "read parameters from a YAML `FILE`")
	fl.StringArrayVar(&f.secrets, "secret", nil, "take secret `NAME` from the environment variable NAME (repeatable)")
	fl.StringVar(&f.secretsFile, "secrets", "", "read secrets from `FILE` (NAME=VALUE lines, mode 0600)")
	fl.DurationVar(&f.cellTimeout, "cell-timeout", 0, "stop a cell that runs longer than this")
	fl.DurationVar(&f.timeout, "timeout", 0, "stop the run when it takes longer than this")
	fl.BoolVar(&f.allowErrors, "allow-errors", false, "keep running after a failed cell")
	fl.IntVar(&f.outputCap, "output-cap", runner.DefaultOutputCap, "stream output `BYTES` kept per cell in the record")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "do not stream cell output to the terminal")
	fl.BoolVar(&f.helpParams, "help-params", false, "list the template's parameters and exit")
	fl.StringVar(&f.cwd, "cwd", "", "working directory of the cells (default: the notebook's folder)")
	fl.BoolVar(&f.resume, "resume", false, "continue a failed or interrupted build record from its first unfinished cell")
	fl.StringVar(&f.cells, "cells", "", "run just these cells (`LIST` like 12-15,18 or cell ids), replaying the ones before them")
	fl.StringVar(&f.from, "from", "", "run from this `CELL` (number or id) to the end, replaying the ones before it")
	return cmd
}

func runTemplate(cmd *cobra.Command, source string, f *runFlags) error {
	ctx := cmd.Context()
	stderr := cmd.ErrOrStderr()
	nb, err := notebook.ReadFile(source)
	if err != nil {
		return inputError{err}
	}
	if f.helpParams {
		return printParams(cmd, nb)
	}
	params, err := collectParams(f)
	if err != nil {
		return err
	}
	secrets, err := newSecretStore(f.secrets, f.secretsFile, stderr)
	if err != nil {
		return err
	}
	opts := runner.Options{
		Params:      params,
		Secrets:     secrets,
		CellTimeout: f.cellTimeout,
		Timeout:     f.timeout,
		AllowErrors: f.allowErrors,
		OutputCap:   f.outputCap,
		Version:     version,
		Observer:    newProgress(cmd, stderr, f.quiet),
	}
	absSource, _ := filepath.Abs(source)
	workdir := filepath.Dir(absSource)
	var run *runner.Run
	switch {
	case f.resume && (f.cells != "" || f.from != ""), f.cells != "" && f.from != "":
		return usageError{fmt.Errorf("--resume, --cells and --from cannot be combined")}
	case f.resume || (f.cells != "" || f.from != "") && runner.IsRecord(nb):
		if !runner.IsRecord(nb) {
			return usageError{fmt.Errorf("--resume needs a build record; %s is a template", source)}
		}
		cont := runner.Continuation{Resume: f.resume}
		if cont.Cells, cont.From, err = selection(nb, f); err != nil {
			return err
		}
		opts.Record = source
		if f.output != "" {
			opts.Record = f.output
		}
		if src := runner.RecordSource(nb); src.Path != "" {
			workdir = filepath.Dir(src.Path)
		}
		run, err = runner.Continue(nb, opts, cont)
	default:
		if f.cells != "" || f.from != "" {
			// --from on a template runs it all: the cells before the
			// selection must run live, and the rest are the selection.
			if opts.Cells, _, err = selection(nb, f); err != nil {
				return err
			}
			fmt.Fprintf(stderr, "ocs: %s is a template, not a build record: it has no journal to replay, so the cells before the selection run live first\n", source)
		}
		opts.Record = f.output
		if opts.Record == "" {
			name := strings.TrimSuffix(filepath.Base(source), filepath.Ext(source))
			opts.Record = filepath.Join("builds", fmt.Sprintf("%s-%s.ipynb", name, time.Now().UTC().Format("20060102T150405Z")))
		}
		if sameFile(absSource, opts.Record) {
			return usageError{fmt.Errorf("the record %s would overwrite the template; choose another -o", opts.Record)}
		}
		opts.Source = runner.Source{Path: absSource}
		run, err = runner.New(nb, opts)
	}
	if err != nil {
		if errors.Is(err, runner.ErrInput) {
			return inputError{err}
		}
		return err
	}
	record := opts.Record
	if f.cwd != "" {
		workdir = f.cwd
	}
	k, err := gokernel.New(ctx, gokernel.Options{Dir: workdir})
	if err != nil {
		return err
	}
	defer k.Close()

	// First SIGINT/SIGTERM: interrupt the running cell, save, exit 130.
	// Second SIGINT: save at once and exit.
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		n := 0
		for range sigs {
			n++
			if n == 1 {
				fmt.Fprintln(stderr, "ocs: interrupting the running cell (press Ctrl-C again to stop at once)")
				cancel(runner.ErrInterrupted)
				continue
			}
			_ = run.Abort()
			fmt.Fprintln(cmd.OutOrStdout(), record)
			exitNow(exitInterrupted)
		}
	}()
	res, err := run.Execute(runCtx, k)
	if err != nil {
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout(), record)
	switch {
	case res.KernelDied:
		return runError{code: exitInfra, err: fmt.Errorf("cell %d: %w", res.FailedCell, res.Err)}
	case res.Status == runner.Completed:
		return nil
	case res.Status == runner.TimedOut:
		return runError{code: exitTimeout, err: fmt.Errorf("cell %d timed out", res.FailedCell)}
	case res.Status == runner.Interrupted:
		return runError{code: exitInterrupted, err: fmt.Errorf("interrupted at cell %d", res.FailedCell)}
	default:
		return runError{code: exitCellFailed, err: fmt.Errorf("cell %d failed: %w", res.FailedCell, res.Err),
			hint: fmt.Sprintf("the record %s has the outputs; ocs status %s shows every cell", record, record)}
	}
}

// selection reads --cells or --from against nb.
func selection(nb *notebook.Notebook, f *runFlags) (cells []int, from int, err error) {
	switch {
	case f.cells != "":
		cells, err = runner.ParseCells(nb, f.cells)
	case f.from != "":
		var one []int
		if one, err = runner.ParseCells(nb, f.from); err == nil {
			if len(one) != 1 {
				return nil, 0, usageError{fmt.Errorf("--from takes one cell, got %q", f.from)}
			}
			from = one[0]
		}
	}
	if err != nil {
		return nil, 0, inputError{err}
	}
	return cells, from, nil
}

// newProgress returns the terminal display, or nil when logs are JSON:
// machine-read stderr gets the log events and nothing else.
func newProgress(cmd *cobra.Command, stderr io.Writer, quiet bool) runner.Observer {
	if format, _ := cmd.Flags().GetString("log-format"); format == "json" {
		return nil
	}
	return &progress{w: stderr, tty: isTerminal(stderr), quiet: quiet}
}

// exitNow ends the process; the one place below main that does, for a
// second Ctrl-C, which must not wait for the running cell.
var exitNow = os.Exit

func sameFile(a, b string) bool {
	ab, err := filepath.Abs(b)
	if err != nil {
		return false
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(ab)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// collectParams merges -f (first) and -p (later wins).
func collectParams(f *runFlags) (map[string]string, error) {
	params := map[string]string{}
	if f.paramsFile != "" {
		data, err := os.ReadFile(f.paramsFile)
		if err != nil {
			return nil, inputError{fmt.Errorf("parameters file: %w", err)}
		}
		var values map[string]any
		if err := yaml.Unmarshal(data, &values); err != nil {
			return nil, inputError{fmt.Errorf("parameters file %s: %w", f.paramsFile, err)}
		}
		for name, v := range values {
			switch v := v.(type) {
			case []any:
				items := make([]string, len(v))
				for i, x := range v {
					items[i] = fmt.Sprint(x)
				}
				params[name] = strings.Join(items, ",")
			case map[string]any, nil:
				return nil, inputError{fmt.Errorf("parameters file %s: %q must be a value or a list", f.paramsFile, name)}
			default:
				params[name] = fmt.Sprint(v)
			}
		}
	}
	for _, p := range f.params {
		name, value, ok := strings.Cut(p, "=")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, usageError{fmt.Errorf("-p %q: want name=value", p)}
		}
		params[strings.TrimSpace(name)] = value
	}
	return params, nil
}

func printParams(cmd *cobra.Command, nb *notebook.Notebook) error {
	params, _, err := runner.Params(nb)
	if err != nil {
		return inputError{err}
	}
	if len(params) == 0 {
		fmt.Fprintln(cmd.OutOrStdout(), "this template declares no parameters")
		return nil
	}
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tTYPE\tDEFAULT\tHELP")
	for _, p := range params {
		def := p.Default
		if runner.IsSecretName(p.Name) && def != "" {
			def = runner.Mask
		}
		fmt.Fprintf(w, "%s\t%s\t%q\t%s\n", p.Name, p.Type, def, p.Help)
	}
	return w.Flush()
}
