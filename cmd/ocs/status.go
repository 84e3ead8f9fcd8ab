package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"ocs/kernel/display"
	"ocs/runner"
)

// statusSchema is the version of `ocs status --json`'s output; it changes
// only when a field changes meaning or goes away (docs/record.md).
const statusSchema = 1

func newStatusCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status RECORD [--json]",
		Short: "Show the per-cell status of a build record",
		Long: `Print one line per code cell of a build record (index, section heading,
status, duration), then the run's status (abandoned: the record says running
but the process that ran it is gone) and, if it failed, which cell failed
and why. Cell numbers are the ones --cells and --from take. --json prints the
same as one JSON object (its fields are in docs/record.md).

Exit status is the run's own, so a script can test a record:
  0    the run completed
  1    a cell failed
  2    not a build record (or no such file)
  3    the run timed out
  4    the run did not finish (running, or its process is gone)
  130  the run was interrupted`,
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
			if err := applyEffectLog(nb, args[0]); err != nil {
				return err
			}
			if info.Abandoned(args[0]) {
				info.Status = string(runner.Abandoned)
			}
			rows := runner.Summarize(nb)
			if asJSON {
				if err := writeJSON(cmd.OutOrStdout(), statusJSON(info, rows)); err != nil {
					return err
				}
			} else if err := printStatus(cmd, args[0], info, rows); err != nil {
				return err
			}
			if code := statusExit(info.Status); code != exitOK {
				// The table or the JSON has said it all; only the code is owed.
				return reported{runError{code: code, err: fmt.Errorf("run %s", info.Status)}}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the run and its cells as JSON")
	return cmd
}

// statusExit maps a run's status to the exit code `ocs run` gave it.
func statusExit(status string) int {
	switch runner.Status(status) {
	case runner.Completed:
		return exitOK
	case runner.Failed:
		return exitCellFailed
	case runner.TimedOut:
		return exitTimeout
	case runner.Interrupted:
		return exitInterrupted
	}
	// Running, abandoned (its process is gone), or a status this ocs does
	// not know: the run did not finish, so it has no success to report.
	return exitInfra
}

func printStatus(cmd *cobra.Command, record string, info runner.RunInfo, rows []runner.CellSummary) error {
	w := display.NewColumns(cmd.OutOrStdout())
	fmt.Fprintln(w, "CELL\tSECTION\tSTATUS\tDURATION")
	for _, row := range rows {
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
	if info.Status == string(runner.Abandoned) {
		fmt.Fprintf(cmd.OutOrStdout(), "\nrun: %s (started %s; its process, pid %d on %s, is gone; ocs run %s --resume continues it)\n", runner.Abandoned, info.Start, info.PID, info.Host, record)
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
}

// The shape of `ocs status --json`, documented in docs/record.md.
type (
	statusDoc struct {
		Schema int          `json:"schema"`
		Run    statusRun    `json:"run"`
		Cells  []statusCell `json:"cells"`
	}
	statusRun struct {
		Status     string            `json:"status"`
		Kind       string            `json:"kind,omitempty"`
		Start      string            `json:"start,omitempty"`
		End        string            `json:"end,omitempty"`
		Duration   float64           `json:"duration"`
		FailedCell *statusFailure    `json:"failed_cell,omitempty"`
		Source     runner.Source     `json:"source"`
		Version    string            `json:"version,omitempty"`
		Host       string            `json:"host,omitempty"`
		PID        int               `json:"pid,omitempty"`
		User       string            `json:"user,omitempty"`
		Parameters map[string]string `json:"parameters,omitempty"`
		History    []statusHistory   `json:"history"`
	}
	statusFailure struct {
		Index int    `json:"index"`
		ID    string `json:"id,omitempty"`
		Error string `json:"error,omitempty"`
	}
	statusHistory struct {
		Kind       string         `json:"kind"`
		Status     string         `json:"status"`
		Start      string         `json:"start,omitempty"`
		End        string         `json:"end,omitempty"`
		Duration   float64        `json:"duration"`
		Version    string         `json:"version,omitempty"`
		FailedCell *statusFailure `json:"failed_cell,omitempty"`
	}
	statusCell struct {
		Index    int          `json:"index"`
		ID       string       `json:"id,omitempty"`
		Section  string       `json:"section"`
		Status   string       `json:"status"`
		Start    string       `json:"start,omitempty"`
		End      string       `json:"end,omitempty"`
		Duration float64      `json:"duration"`
		Reason   string       `json:"reason,omitempty"`
		Error    *statusError `json:"error,omitempty"`
	}
	statusError struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
)

func statusJSON(info runner.RunInfo, rows []runner.CellSummary) statusDoc {
	doc := statusDoc{Schema: statusSchema, Cells: []statusCell{}}
	doc.Run = statusRun{Status: info.Status, Kind: info.Kind, Start: info.Start, End: info.End, Duration: info.Duration,
		Source: info.Source, Version: info.Version, Host: info.Host, PID: info.PID, User: info.User, Parameters: info.Parameters,
		History: []statusHistory{}}
	if info.FailedCell >= 0 {
		doc.Run.FailedCell = &statusFailure{Index: info.FailedCell, ID: info.FailedID, Error: info.Failure}
	}
	for _, e := range info.History {
		h := statusHistory{Kind: e.Kind, Status: e.Status, Start: e.Start, End: e.End, Duration: e.Duration, Version: e.Version}
		if e.FailedCell >= 0 {
			h.FailedCell = &statusFailure{Index: e.FailedCell, ID: e.FailedID, Error: e.Failure}
		}
		doc.Run.History = append(doc.Run.History, h)
	}
	for _, r := range rows {
		status := string(r.Status)
		if status == "-" {
			status = ""
		}
		c := statusCell{Index: r.Index, ID: r.ID, Section: r.Heading, Status: status, Start: r.Start, End: r.End, Duration: r.Duration, Reason: r.Reason}
		if r.EName != "" || r.EValue != "" {
			c.Error = &statusError{Name: r.EName, Value: r.EValue}
		}
		doc.Cells = append(doc.Cells, c)
	}
	return doc
}
