package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"ocs/kernel/display"
	"ocs/runner"
)

func newStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status RECORD",
		Short: "Show the per-cell status of a build record",
		Long: `Print one line per code cell of a build record (index, section heading,
status, duration), then the run's status (abandoned: the record says running
but the process that ran it is gone) and, if it failed, which cell failed
and why. Cell numbers are the ones --cells and --from take.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			nb, err := openNotebook(cmd.ErrOrStderr(), args[0])
			if err != nil {
				return err
			}
			info, ok := runner.ReadRunInfo(nb)
			if !ok {
				return inputError{fmt.Errorf("%s is not a build record (it has no metadata.ocs)", args[0])}
			}
			w := display.NewColumns(cmd.OutOrStdout())
			fmt.Fprintln(w, "CELL\tSECTION\tSTATUS\tDURATION")
			for _, row := range runner.Summarize(nb) {
				dur := "-"
				if row.Duration > 0 {
					dur = fmt.Sprintf("%.2fs", row.Duration)
				}
				st := string(row.Status)
				if row.Reason != "" {
					st += " (" + row.Reason + ")"
				}
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", row.Index, display.Truncate(row.Heading, 40), st, dur)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if info.Abandoned(args[0]) {
				fmt.Fprintf(cmd.OutOrStdout(), "\nrun: %s (started %s; its process, pid %d on %s, is gone; ocs run %s --resume continues it)\n", runner.Abandoned, info.Start, info.PID, info.Host, args[0])
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "\nrun: %s (%.1fs, started %s)\n", info.Status, info.Duration, info.Start)
			}
			if len(info.History) > 1 {
				fmt.Fprintln(cmd.OutOrStdout(), "history:")
				for i, e := range info.History {
					fmt.Fprintf(cmd.OutOrStdout(), "  %d. %s: %s (%.1fs, started %s)\n", i+1, e.Kind, e.Status, e.Duration, e.Start)
				}
			}
			if info.FailedCell >= 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "failed at cell %d: %s\n", info.FailedCell, info.Failure)
			}
			return nil
		},
	}
}
