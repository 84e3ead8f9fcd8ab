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
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"ocs/catalog"
	"ocs/kernel"
	"ocs/kernel/cellenv"
	"ocs/kernel/vcp"
	"ocs/kernel/vcpcell"
	"ocs/notebook"
	"ocs/runner"
)

type runFlags struct {
	output      string
	params      []string
	paramsFiles []string
	paramsYAML  []string
	secrets     []string
	secretsFile string
	cellTimeout time.Duration
	timeout     time.Duration
	allowErrors bool
	// interruptOnTimeout, autosave and prepareOnly follow papermill's
	// options of the same purpose.
	interruptOnTimeout bool
	autosave           time.Duration
	prepareOnly        bool
	outputCap          int
	sideLogCap         int64
	quiet              bool
	helpParams         bool
	json               bool
	cwd                string
	workdir            string
	resume             bool
	cells              string
	from               string
	vcp                vcpFlags
	kernel             kernelFlags
	report             bool
}

func newRunCmd() *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run SOURCE [flags]",
		Short: "Run a template and write its build record",
		Long: `Run a template's cells in order and write every output into a build record:
a copy of the notebook, saved as the cells end and every few seconds while a
cell streams output. SOURCE is a notebook file, or a template of the catalog
(NAME, SOURCE:NAME, NAME/NOTEBOOK; see ocs catalog list). A folder template
runs its notebooks in order, each in a fresh kernel with its own record,
stopping at the first that fails; notebooks without code (a README) are
skipped, and lifecycle notebooks numbered 900 and up (stop, restart, delete)
run only when named: ocs run moodle/990. The source is never modified;
each record goes to -o PATH (one notebook only) or to
./builds/NOTEBOOK-TIME.ipynb, and its path is printed on stdout.

Parameters: the cell tagged "parameters" declares defaults in Go
(name := "value" // help). -p name=value and -f params.yaml inject a cell
tagged "injected-parameters" after it; values are checked against the
defaults' types. --help-params lists them. In Python notebooks the same
cell holds Python defaults (papermill's convention) and values are typed as
papermill types them (YAML types kept from -f); cells tagged vcp:parameters
(OCS's convention) get each value written in place: NAME = with nothing
after it is required (a run without it stops with exit 2), NAME = VALUE has
a default, # NAME = VALUE is an example. Cells tagged vcp:skip run only when
ocs fills them. See docs/python-templates.md.

Work folder: a Python notebook of a template folder (one with scripts/,
playbooks/, group_vars/, ...) runs in ./builds/NAME/ or --workdir DIR,
which links the template's folders and copies its group_vars/ once, so the
template's notebooks share it; --cwd DIR runs the cells in DIR as it is.

Kernels: Go notebooks (kernelspec ocs-go, or no language) run in ocs's own
Go kernel. Any other notebook runs in the Jupyter kernel its kernelspec
names (python3: Debian's python3-ipykernel), found where Jupyter looks
($JUPYTER_PATH, ~/.local/share/jupyter, /usr/local/share/jupyter,
/usr/share/jupyter); --kernel NAME picks another, --start-timeout bounds its
start.

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
  130  interrupted (Ctrl-C, SIGTERM)

` + vcpFlagsHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTemplate(cmd, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "", "write the build record to `PATH`")
	fl.StringArrayVarP(&f.params, "param", "p", nil, "set a parameter: `name=value` (repeatable)")
	fl.StringArrayVarP(&f.paramsFiles, "params-file", "f", nil, "read parameters from a YAML `FILE` (repeatable: later files win)")
	fl.StringArrayVarP(&f.paramsYAML, "yaml", "y", nil, "set parameters from inline `YAML` like 'nodes: 3' (repeatable: wins over -f; -p wins over both)")
	fl.StringArrayVar(&f.secrets, "secret", nil, "take secret `NAME` from the environment variable NAME (repeatable)")
	fl.StringVar(&f.secretsFile, "secrets", "", "read secrets from `FILE` (NAME=VALUE lines, mode 0600)")
	durationVar(fl, &f.cellTimeout, "cell-timeout", 0, "stop a cell that runs longer than `DURATION` (90s, 1h30m, or seconds: 30)")
	durationVar(fl, &f.timeout, "timeout", 0, "stop the run when it takes longer than `DURATION` (90s, 1h30m, or seconds)")
	fl.BoolVar(&f.allowErrors, "allow-errors", false, "keep running after a failed cell (the run still exits 1)")
	fl.BoolVar(&f.interruptOnTimeout, "interrupt-on-timeout", false, "with --allow-errors, go on to the next cell after one that timed out (the run still exits 3)")
	durationVar(fl, &f.autosave, "autosave-every", 2*time.Second, "save the record at least every `DURATION` while a cell streams output")
	fl.BoolVar(&f.prepareOnly, "prepare-only", false, "write the record with the parameters injected and run no cell")
	fl.IntVar(&f.outputCap, "output-cap", runner.DefaultOutputCap, "stream output `BYTES` kept per cell in the record")
	fl.Int64Var(&f.sideLogCap, "side-log-cap", runner.DefaultSideLogCap, "output `BYTES` a cell's side log keeps past the output cap (the rest is dropped)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "do not stream cell output to the terminal")
	fl.BoolVar(&f.helpParams, "help-params", false, "list the template's parameters and exit")
	fl.BoolVar(&f.json, "json", false, "with --help-params, list the parameters as JSON (docs/json.md)")
	fl.StringVar(&f.cwd, "cwd", "", "working directory of the cells, as it is (default: the notebook's folder, or the work folder of a Python template)")
	fl.StringVar(&f.workdir, "workdir", "", "lay out the template's work folder in `DIR` and run there (default for Python templates: ./builds/NAME/)")
	fl.BoolVar(&f.resume, "resume", false, "continue a failed or interrupted build record from its first unfinished cell")
	fl.StringVar(&f.cells, "cells", "", "run just these cells (`LIST` like 12-15,18 or cell ids), replaying the ones before them")
	fl.StringVar(&f.from, "from", "", "run from this `CELL` (number or id) to the end, replaying the ones before it")
	addVcpFlags(fl, &f.vcp)
	addKernelFlags(fl, &f.kernel)
	fl.BoolVar(&f.report, "report", false, "also write the HTML report beside the record (RECORD.html) and print its path")
	return cmd
}

// step is one notebook `ocs run` runs, and how its record names it.
type step struct {
	path   string
	source runner.Source
}

// resolveSource maps SOURCE to notebooks: an existing file is run as it
// is; anything else is a catalog reference (NAME, SOURCE:NAME,
// NAME/NOTEBOOK), whose steps run in order.
func resolveSource(ctx context.Context, source string) ([]step, error) {
	if source == stdinName {
		return []step{{path: stdinName, source: runner.Source{Path: stdinName}}}, nil
	}
	if err := refuseURL("SOURCE", source); err != nil {
		return nil, err
	}
	fi, statErr := os.Lstat(source)
	if statErr == nil && fi.Mode()&os.ModeSymlink != 0 {
		fi, statErr = os.Stat(source)
	}
	switch {
	case statErr == nil && !fi.IsDir():
		abs, err := filepath.Abs(source)
		if err != nil {
			return nil, inputError{err}
		}
		return []step{{path: abs, source: runner.Source{Path: abs}}}, nil
	case statErr != nil && !errors.Is(statErr, os.ErrNotExist):
		// A symlink loop or an unreadable folder is not "no such template".
		return nil, inputError{fmt.Errorf("SOURCE %s: %w", source, describePathError(statErr))}
	}
	c, err := catalog.Open()
	if err != nil {
		return nil, inputError{err}
	}
	res, err := c.Resolve(ctx, source)
	if err != nil {
		if statErr == nil && fi.IsDir() {
			return nil, inputError{fmt.Errorf("%s is a folder, not a notebook file, and no template of the catalog has that name: %w", source, err)}
		}
		if looksLikePath(source) {
			return nil, hinted{inputError{fmt.Errorf("%s: no such file", source)},
				fmt.Sprintf("no template of the catalog is named %q either; ocs catalog list shows the templates", source)}
		}
		return nil, inputError{fmt.Errorf("%s is neither a notebook file nor a template: %w", source, err)}
	}
	if err := res.Runnable(); err != nil {
		return nil, inputError{err}
	}
	var steps []step
	for _, p := range res.Steps() {
		steps = append(steps, step{path: p, source: runner.Source{Path: p, Catalog: res.Source, Template: res.Template.Name, Commit: res.Commit}})
	}
	return steps, nil
}

// looksLikePath says whether SOURCE was meant as a file: it names a folder
// or has a notebook's extension, where template names (moodle,
// ocs-templates:Moodle/011) have neither.
func looksLikePath(source string) bool {
	if strings.HasPrefix(source, "/") || strings.HasPrefix(source, "./") || strings.HasPrefix(source, "../") || strings.HasPrefix(source, "~") {
		return true
	}
	switch strings.ToLower(filepath.Ext(source)) {
	case ".ipynb", ".go", ".py", ".json":
		return true
	}
	return false
}

func runTemplate(cmd *cobra.Command, source string, f *runFlags) error {
	ctx := cmd.Context()
	tuneRunGC()
	if f.sideLogCap <= 0 {
		return usageError{fmt.Errorf("--side-log-cap must be a positive number of bytes, not %d", f.sideLogCap)}
	}
	if err := checkRunFlags(f); err != nil {
		return err
	}
	if err := f.vcp.setup(); err != nil {
		return err
	}
	steps, err := resolveSource(ctx, source)
	if err != nil {
		return err
	}
	// A notebook without code (a template's README) has nothing to run.
	var nbs []*notebook.Notebook
	var run []step
	for _, s := range steps {
		if s.path == stdinName {
			zerolog.Ctx(ctx).Debug().Msg("reading the notebook from standard input")
		}
		nb, err := readNotebookInput(cmd.ErrOrStderr(), s.path, cmd.InOrStdin())
		if err != nil {
			return err
		}
		if len(steps) > 1 && !hasCode(nb) {
			continue
		}
		nbs, run = append(nbs, nb), append(run, s)
	}
	if f.json && !f.helpParams {
		return usageError{fmt.Errorf("--json goes with --help-params (a run's result is its record: ocs status RECORD --json)")}
	}
	if f.helpParams && f.json {
		return printParamsJSON(cmd, nbs)
	}
	if f.helpParams {
		return printParams(cmd, nbs)
	}
	if len(run) > 1 && (f.resume || f.cells != "" || f.from != "") {
		return usageError{fmt.Errorf("%s runs %d notebooks; --resume, --cells and --from take one (a build record, or NAME/NOTEBOOK)", source, len(run))}
	}
	if len(run) > 1 && f.output != "" {
		return usageError{fmt.Errorf("%s runs %d notebooks, each with its own record; -o names one (run one notebook: NAME/NOTEBOOK)", source, len(run))}
	}
	params, err := collectParams(f)
	if err != nil {
		return err
	}
	if len(run) > 1 {
		if err := checkParamsDeclared(nbs, params); err != nil {
			return err
		}
	}
	if err := checkRequired(run, nbs, params); err != nil {
		return err
	}
	secrets, err := newSecretStore(f.secrets, f.secretsFile, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	for i, s := range run {
		p := params
		if len(run) > 1 {
			p = declaredParams(nbs[i], params)
		}
		if err := runNotebook(cmd, nbs[i], s, p, secrets, f); err != nil {
			return err
		}
	}
	return nil
}

func hasCode(nb *notebook.Notebook) bool {
	for _, c := range nb.Cells {
		if c.Type == notebook.Code {
			return true
		}
	}
	return false
}

// runNotebook runs one notebook in a fresh kernel and writes its record.
func runNotebook(cmd *cobra.Command, nb *notebook.Notebook, s step, params map[string]string, secrets runner.Secrets, f *runFlags) error {
	ctx := cmd.Context()
	stderr := cmd.ErrOrStderr()
	opts := runner.Options{
		Params:      params,
		Secrets:     secrets,
		Masker:      processMasker(ctx),
		CellTimeout: f.cellTimeout,
		Timeout:     f.timeout,
		AllowErrors: f.allowErrors,
		OutputCap:   f.outputCap,
		// The flags set zero for "none"; the runner reads zero as its
		// default, so a zero autosave means "as often as it can".
		InterruptOnTimeout: f.interruptOnTimeout,
		SideLogCap:         f.sideLogCap,
		SaveInterval:       max(f.autosave, time.Millisecond),
		Version:            readBuildInfo().String(),
		Observer:           newProgress(cmd, stderr, f.quiet),
	}
	typed, err := typedParams(f, params)
	if err != nil {
		return err
	}
	opts.ParamValues = typed
	workdir, err := workFolder(nb, s, f)
	if err != nil {
		return err
	}
	s.source.Workdir = workdir
	dir := filepath.Dir(s.path)
	var run *runner.Run
	var locks recordLocks
	defer locks.unlock()
	switch {
	case f.resume && (f.cells != "" || f.from != ""), f.cells != "" && f.from != "":
		return usageError{fmt.Errorf("--resume, --cells and --from cannot be combined")}
	case f.prepareOnly && (f.resume || f.cells != "" || f.from != ""):
		return usageError{fmt.Errorf("--prepare-only prepares a fresh run; it does not combine with --resume, --cells or --from")}
	case f.resume || (f.cells != "" || f.from != "") && runner.IsRecord(nb):
		if !runner.IsRecord(nb) {
			return usageError{fmt.Errorf("--resume needs a build record; %s is a template", s.path)}
		}
		if s.path != stdinName {
			if nb, err = locks.lockContinued(s.path); err != nil {
				return err
			}
		}
		cont := runner.Continuation{Resume: f.resume}
		if cont.Cells, cont.From, err = selection(nb, f); err != nil {
			return err
		}
		// A continued run writes into the record it continues.
		if s.path == stdinName && f.output == "" {
			return usageError{fmt.Errorf("a record read from standard input has nowhere to be continued: give -o PATH (or -o -)")}
		}
		opts.Record = s.path
		if f.output != "" {
			opts.Record = f.output
		}
		src := runner.RecordSource(nb)
		if src.Path != "" {
			dir = filepath.Dir(src.Path)
		}
		// The same guard as for a fresh run: -o never names the template.
		if f.output != "" && f.output != stdinName && src.Path != "" && sameFile(src.Path, f.output) {
			return usageError{fmt.Errorf("the record %s would overwrite the template %s; choose another -o", f.output, src.Path)}
		}
		cleanup, perr := placeRecord(&opts, s.path, stderr)
		if perr != nil {
			return perr
		}
		defer cleanup()
		run, err = runner.Continue(nb, opts, cont)
		err = describeUnfinished(ctx, err)
	default:
		if f.cells != "" || f.from != "" {
			// --from on a template runs it all: the cells before the
			// selection must run live, and the rest are the selection.
			if opts.Cells, _, err = selection(nb, f); err != nil {
				return err
			}
			fmt.Fprintf(stderr, "ocs: %s is a template, not a build record: it has no journal to replay, so the cells before the selection run live first\n", s.path)
		}
		opts.Record = f.output
		if notebook.IsTextFile(opts.Record) {
			return usageError{fmt.Errorf("the record %s would be a text file; a build record is a .ipynb notebook", opts.Record)}
		}
		if opts.Record != "" && opts.Record != stdinName && s.path != stdinName && sameFile(s.path, opts.Record) {
			return usageError{fmt.Errorf("the record %s would overwrite the template; choose another -o", opts.Record)}
		}
		opts.Source = s.source
		cleanup, perr := placeRecord(&opts, s.path, stderr)
		if perr != nil {
			return perr
		}
		defer cleanup()
		run, err = runner.New(nb, opts)
	}
	if err != nil {
		if errors.Is(err, runner.ErrInput) {
			return inputError{err}
		}
		return err
	}
	if err := locks.lock(opts.Record); err != nil {
		return err
	}
	record := opts.Record
	printRecord := func() {
		if f.output == stdinName {
			copyRecord(cmd.OutOrStdout(), stderr, record)
			return
		}
		fmt.Fprintln(cmd.OutOrStdout(), record)
	}
	if f.prepareOnly {
		if err := run.Prepare(); err != nil {
			return err
		}
		printRecord()
		return nil
	}
	if f.cwd != "" {
		dir = f.cwd
	} else if workdir != "" {
		dir = workdir
	}
	// The cells' child processes get an environment ocs built: `ocs` from a
	// private folder, and none of the --secret variables.
	stateDir, err := vcp.DefaultStateDir()
	if err != nil {
		return fmt.Errorf("vcp state directory: %w", err)
	}
	env, err := cellenv.New(cellenv.Options{StateDir: stateDir, Drop: f.secrets})
	if err != nil {
		return err
	}
	defer env.Close()
	k, err := startKernel(ctx, nb, f, dir, env.Environ())
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
	runsActive.Add(1)
	defer runsActive.Add(-1)
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
			_ = env.Close()
			printRecord()
			exitNow(exitInterrupted)
		}
	}()
	res, err := run.Execute(runCtx, k)
	if err != nil {
		return err
	}
	printRecord()
	if f.report {
		if err := reportAfterRun(cmd, record); err != nil {
			return err
		}
	}
	switch {
	case res.KernelDied:
		return runError{code: exitInfra, err: fmt.Errorf("cell %d: %w", res.FailedCell, res.Err)}
	case res.Status == runner.Completed:
		return nil
	case res.Status == runner.TimedOut:
		return runError{code: exitTimeout, err: fmt.Errorf("cell %d timed out: %w", res.FailedCell, res.Err)}
	case res.Status == runner.Interrupted:
		return runError{code: exitInterrupted, err: fmt.Errorf("interrupted at cell %d", res.FailedCell)}
	case cellErrorNamed(res.Err, vcpcell.StateLockedEName):
		return runError{code: exitInfra, err: fmt.Errorf("cell %d: %w", res.FailedCell, res.Err),
			hint: "another ocs held the VCP state lock for too long; see who with the message above, or set OCS_STATE_LOCK_WAIT"}
	default:
		return runError{code: exitCellFailed, err: fmt.Errorf("cell %d failed: %w", res.FailedCell, res.Err),
			hint: fmt.Sprintf("the record %s has the outputs; ocs status %s shows every cell", record, record)}
	}
}

// newProgress returns the terminal display, or nil when logs are JSON:
// machine-read stderr gets the log events and nothing else.
func newProgress(cmd *cobra.Command, stderr io.Writer, quiet bool) runner.Observer {
	if format, _ := cmd.Flags().GetString("log-format"); format == "json" {
		return nil
	}
	c, ok := stderr.(*console)
	if !ok {
		c = newConsole(stderr, stderr)
	}
	return &progress{c: c, quiet: quiet}
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
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// cellErrorNamed reports whether err is a cell's failure with this error name.
func cellErrorNamed(err error, ename string) bool {
	var ce *kernel.CellError
	return errors.As(err, &ce) && ce.EName == ename
}

// placeRecord decides where the record goes: -o PATH (checked before any
// cell runs), a fresh name under builds/ that no other run can take, or,
// for -o -, a private folder whose record is copied to stdout at the end.
// The cleanup removes what a run that never saved leaves.
func placeRecord(opts *runner.Options, source string, stderr io.Writer) (func(), error) {
	switch {
	case opts.Record == stdinName:
		tmp, err := os.MkdirTemp("", "ocs-record-")
		if err != nil {
			return nil, fmt.Errorf("make a folder for the record: %w", err)
		}
		opts.Record = filepath.Join(tmp, notebookName(source)+".ipynb")
		return func() { removeStdoutRecord(stderr, tmp) }, nil
	case opts.Record == "":
		path, err := reserveRecord(notebookName(source), time.Now())
		if err != nil {
			return nil, err
		}
		opts.Record = path
		return func() { removeIfEmpty(path) }, nil
	}
	if err := checkRecordPath(opts.Record); err != nil {
		return nil, err
	}
	return func() {}, nil
}

// copyRecord writes the record of `-o -` to stdout.
func copyRecord(stdout, stderr io.Writer, path string) {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "ocs: error: the record was not written: %v\n", err)
		return
	}
	defer f.Close()
	if _, err := io.Copy(stdout, f); err != nil {
		fmt.Fprintf(stderr, "ocs: error: write the record to standard output: %v\n", err)
	}
}

// removeStdoutRecord removes the private folder of an `-o -` record; side
// logs, which have no other home, are kept and named.
func removeStdoutRecord(stderr io.Writer, dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() && strings.HasSuffix(e.Name(), ".d") {
			fmt.Fprintf(stderr, "ocs: the cells' full output logs are in %s\n", filepath.Join(dir, e.Name()))
			return
		}
	}
	os.RemoveAll(dir)
}

// checkRunFlags refuses values the flags' types allow but ocs cannot use.
func checkRunFlags(f *runFlags) error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"--cell-timeout", f.cellTimeout}, {"--timeout", f.timeout}} {
		if d.v < 0 {
			return usageError{fmt.Errorf("%s %v: a duration cannot be negative (0 means no limit)", d.name, d.v)}
		}
	}
	if f.outputCap < 0 {
		return usageError{fmt.Errorf("--output-cap %d: the cap cannot be negative", f.outputCap)}
	}
	return nil
}
