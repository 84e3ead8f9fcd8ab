package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"ocs/notebook"
	"ocs/runner"
	htmlreport "ocs/runner/report"
)

func newReportCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "report RECORD... [-o FILE|DIR]",
		Short: "Write an HTML report of build records",
		Long: `Write one self-contained HTML page per build record: the run's status and,
for a failed, timed-out or interrupted run, the cell, its section and the
error; the template, source, ocs version, host, user, times, parameters
(masked as the record has them) and run history; a timeline of the cells; an
outline of the sections; every cell with its status, duration and outputs.
The page needs no network and no JavaScript: open it from disk or send it as
an attachment.

Each report goes beside its record (RECORD.html for RECORD.ipynb), to -o FILE
(one record), or into -o DIR (a folder; made if missing). The paths are
printed on stdout.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := ""
			if out != "" {
				fi, err := os.Stat(out)
				switch {
				case err == nil && fi.IsDir(), strings.HasSuffix(out, "/"), len(args) > 1:
					if err := os.MkdirAll(out, 0o755); err != nil {
						return inputError{fmt.Errorf("report: %w", err)}
					}
					dir = out
				}
			}
			for _, record := range args {
				nb, err := notebook.ReadFile(record)
				if err != nil {
					return inputError{err}
				}
				if !runner.IsRecord(nb) {
					return inputError{fmt.Errorf("%s is not a build record (it has no metadata.ocs)", record)}
				}
				if err := applyEffectLog(nb, record); err != nil {
					return err
				}
				path := htmlreport.PathFor(record)
				switch {
				case dir != "":
					path = filepath.Join(dir, filepath.Base(path))
				case out != "":
					path = out
				}
				if err := writeReport(nb, record, path); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), path)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the report to `FILE`, or into the folder DIR")
	return cmd
}

// writeReport writes the report of the record at record (already read as
// nb) to path.
func writeReport(nb *notebook.Notebook, record, path string) error {
	opts := htmlreport.Beside(record, path)
	opts.Version = version
	if info, ok := runner.ReadRunInfo(nb); ok && info.Abandoned(record) {
		opts.Abandoned = true
	}
	return htmlreport.WriteFile(path, nb, opts)
}

// reportAfterRun writes the report of the record a run just saved, beside
// it, and prints its path: for `ocs run --report`, after a failure too.
func reportAfterRun(cmd *cobra.Command, record string) error {
	nb, err := notebook.ReadFile(record)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	path := htmlreport.PathFor(record)
	if err := writeReport(nb, record, path); err != nil {
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout(), path)
	return nil
}
