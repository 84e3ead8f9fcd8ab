// Command ocs runs infrastructure templates written as Jupyter notebooks,
// headless: it reads a template, runs its cells and writes a build record.
//
// This package stays thin: flags, wiring, and the one map from errors to
// exit codes (exit.go). The work happens in the notebook, kernel, runner and
// catalog packages.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"ocs/kernel/gokernel/standby"
	"ocs/runner"
)

func main() {
	// A standby worker (started by an `ocs run`'s init) waits here for its
	// configuration before it goes on as `ocs kernel-worker`.
	standby.Await()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// globals are the flags every verb shares.
type globals struct {
	logFormat string
	logLevel  string
	// started is set once flags and arguments have been accepted; an error
	// before that is a usage error.
	started bool
	// masker masks known secrets in every log line and error message.
	masker *runner.Masker
}

func run(args []string, stdin io.Reader, stdout, rawStderr io.Writer) int {
	// The standby worker of a run that took no Go kernel ends with it.
	defer standby.Discard()
	g := &globals{masker: runner.NewMasker()}
	// Everything on stderr is masked, whoever writes it.
	stderr := newConsole(rawStderr, g.masker.Writer(rawStderr))
	defer stderr.flushHeld()
	root := newRoot(g, stdin, stdout, stderr)
	root.SetArgs(args)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	finished := make(chan struct{})
	defer close(finished)
	go exitAfterTerm(ctx, finished, stderr)
	ctx = context.WithValue(ctx, maskerKey{}, g.masker)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	if !g.started {
		err = usageError{err}
	}
	if g.logFormat == "json" {
		stderr.setJSON() // a flag error comes before the logger was built
	}
	return report(stderr, cmd, err)
}

// termGrace is how long a verb has to end by itself once SIGTERM
// cancelled its context.
const termGrace = 2 * time.Second

// runsActive counts the runs whose own handler deals with signals (it
// interrupts the cell and saves the record, however long that takes).
var runsActive atomic.Int32

// exitAfterTerm ends the process soon after a SIGTERM that nothing acted
// on: a verb blocked outside a run's cell loop (reading standard input,
// say) must not swallow it.
func exitAfterTerm(term context.Context, finished <-chan struct{}, stderr io.Writer) {
	select {
	case <-finished:
		return
	case <-term.Done():
	}
	timer := time.NewTimer(termGrace)
	defer timer.Stop()
	for {
		select {
		case <-finished:
			return
		case <-timer.C:
			if runsActive.Load() > 0 {
				timer.Reset(termGrace)
				continue
			}
			fmt.Fprintln(stderr, "ocs: terminated")
			exitNow(exitInterrupted)
			return
		}
	}
}

// maskerKey carries the process's masker in the context: every secret a
// run learns is masked in the logs and error messages too.
type maskerKey struct{}

// processMasker returns the masker of this invocation of ocs.
func processMasker(ctx context.Context) *runner.Masker {
	if m, ok := ctx.Value(maskerKey{}).(*runner.Masker); ok {
		return m
	}
	return runner.NewMasker()
}

func newRoot(g *globals, stdin io.Reader, stdout io.Writer, stderr *console) *cobra.Command {
	root := &cobra.Command{
		Use:   "ocs",
		Short: "Run infrastructure templates written as Jupyter notebooks, headless",
		Long: `ocs runs infrastructure templates (Jupyter notebooks whose cells create
virtual nodes and configure them over SSH and Ansible) from a terminal, and
writes every output into a build record: a copy of the notebook.`,
		Version:       readBuildInfo().String(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			logger, err := newLogger(stderr, g.logFormat, g.logLevel)
			if err != nil {
				return usageError{err}
			}
			g.started = true
			cmd.SetContext(logger.WithContext(cmd.Context()))
			return nil
		},
	}
	root.SetVersionTemplate("ocs {{.Version}}\n")
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "auto", "log format: auto, console or json")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "", "log level: debug, info, warn or error (default: info for json, warn on the console, where progress lines show the rest)")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newVersionCmd(),
		newValidateCmd(),
		newStripCmd(),
		newConvertCmd(),
		newStatusCmd(),
		newReportCmd(),
		newRunCmd(),
		newCheckCmd(),
		newCatalogCmd(),
		newKernelWorkerCmd(),
	)
	root.AddCommand(newVcpCmd())
	root.AddCommand(newNodeCmd())
	root.AddCommand(newManCmd())
	addCompletions(root)
	addExamples(root)
	return root
}

// newLogger builds the one logger of the process: human lines on a terminal,
// JSON otherwise or when asked.
// w is the console, which masks every secret ocs knows in whatever is
// written through it (a panic's text, a command line).
func newLogger(w *console, format, level string) (zerolog.Logger, error) {
	if level == "" {
		level = "warn"
		if format == "json" {
			level = "info"
		}
	}
	lvl, err := zerolog.ParseLevel(level)
	if err != nil {
		return zerolog.Logger{}, fmt.Errorf("invalid --log-level %q", level)
	}
	switch format {
	case "auto":
		format = "console"
		if w.plain {
			format = "console-plain"
		}
	case "json":
		w.setJSON()
	case "console":
	default:
		return zerolog.Logger{}, fmt.Errorf("invalid --log-format %q (want auto, console or json)", format)
	}
	var out io.Writer = w
	switch format {
	case "console":
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05"}
	case "console-plain":
		out = zerolog.ConsoleWriter{Out: w, NoColor: true, TimeFormat: "15:04:05"}
	}
	// Records give durations in seconds; so do the logs, with sub-second
	// timestamps.
	zerolog.DurationFieldUnit = time.Second
	zerolog.DurationFieldInteger = false
	zerolog.TimeFieldFormat = time.RFC3339Nano
	return zerolog.New(out).Level(lvl).With().Timestamp().Logger(), nil
}

// writeJSON prints v as indented JSON, for the --json flags.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
