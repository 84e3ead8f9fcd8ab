package runner

import (
	"fmt"
	"os"
	"strconv"

	"ocs/notebook"
)

// CellSummary is one row of `ocs status`.
type CellSummary struct {
	Index    int
	ID       string
	Heading  string
	Status   Status
	Duration float64 // seconds; 0 when the cell did not run
	Error    string  // ename: evalue of its error output, if any
	Reason   string  // why a skipped cell did not run, or that its error was expected
	// Start and End are the cell's latest live run (RFC 3339), "" when it
	// did not run; EName and EValue are its error output's.
	Start, End    string
	EName, EValue string
}

// Summarize reads the per-cell statuses of a build record.
func Summarize(nb *notebook.Notebook) []CellSummary {
	var rows []CellSummary
	heading := ""
	for i, c := range nb.Cells {
		if h := Heading(c); h != "" {
			heading = h
		}
		if c.Type != notebook.Code {
			continue
		}
		meta, _ := c.Metadata[notebook.OCSKey].(map[string]any)
		row := CellSummary{Index: i, ID: c.ID, Heading: heading, Status: Status(fmt.Sprint(meta["status"]))}
		if meta == nil {
			row.Status = "-"
		}
		row.Duration, _ = strconv.ParseFloat(fmt.Sprint(meta["duration"]), 64)
		row.Reason = str(meta["reason"])
		if meta["expected_error"] == true {
			// A raises-exception cell that raised: completed, as papermill
			// counts it, but its error is not a surprise to hide.
			row.Reason = "expected error: tagged " + TagRaisesException
		}
		row.Start, row.End = str(meta["start_time"]), str(meta["end_time"])
		for _, o := range c.Outputs {
			if o.Type == notebook.ErrorOutput {
				row.Error = o.EName + ": " + o.EValue
				row.EName, row.EValue = o.EName, o.EValue
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// RunInfo is the record's notebook-level run metadata.
type RunInfo struct {
	Status     string
	Kind       string
	Start, End string
	Duration   float64
	FailedCell int // -1 when none
	FailedID   string
	Failure    string
	// PID and Host are the process that wrote the latest run.
	PID  int
	Host string
	// Version and User say who ran the latest run, with which ocs.
	Version, User string
	Source        Source
	// Parameters are the values given with -p/-f, masked as the record
	// has them.
	Parameters map[string]string
	// History lists every run that wrote the record, oldest first: the
	// first run, then each resume or partial rerun.
	History []RunEntry
}

// RunEntry is one run in a record's history.
type RunEntry struct {
	Kind       string // "run", "resume from cell 7", "cells 3-5", ...
	Status     string
	Start, End string
	Duration   float64
	Version    string
	FailedCell int // -1 when none
	FailedID   string
	Failure    string
}

// ReadRunInfo reads metadata.ocs of a build record; ok is false when the
// notebook is not a build record.
func ReadRunInfo(nb *notebook.Notebook) (info RunInfo, ok bool) {
	meta, ok := nb.Metadata[notebook.OCSKey].(map[string]any)
	if !ok {
		return RunInfo{FailedCell: -1}, false
	}
	info = RunInfo{Status: str(meta["status"]), Kind: str(meta["kind"]), Start: str(meta["start_time"]), End: str(meta["end_time"]),
		Version: str(meta["version"]), User: str(meta["user"]), Source: RecordSource(nb)}
	info.Duration, _ = strconv.ParseFloat(fmt.Sprint(meta["duration"]), 64)
	info.PID, _ = strconv.Atoi(fmt.Sprint(meta["pid"]))
	info.Host = str(meta["host"])
	info.FailedCell, info.FailedID, info.Failure = failedCell(meta["failed_cell"])
	if params, ok := meta["parameters"].(map[string]any); ok {
		info.Parameters = make(map[string]string, len(params))
		for k, v := range params {
			info.Parameters[k] = fmt.Sprint(v)
		}
	}
	runs, _ := meta["runs"].([]any)
	for _, x := range runs {
		m, _ := x.(map[string]any)
		e := RunEntry{Kind: str(m["kind"]), Status: str(m["status"]), Start: str(m["start_time"]), End: str(m["end_time"]), Version: str(m["version"])}
		e.Duration, _ = strconv.ParseFloat(fmt.Sprint(m["duration"]), 64)
		e.FailedCell, e.FailedID, e.Failure = failedCell(m["failed_cell"])
		info.History = append(info.History, e)
	}
	return info, true
}

// failedCell reads a failed_cell entry; index is -1 when there is none.
func failedCell(v any) (index int, id, failure string) {
	fc, ok := v.(map[string]any)
	if !ok {
		return -1, "", ""
	}
	index = -1
	if n, err := strconv.Atoi(fmt.Sprint(fc["index"])); err == nil {
		index = n
	}
	return index, str(fc["id"]), str(fc["error"])
}

// Abandoned is the status `ocs status` reports for a run the record says
// is running whose process is gone (killed with -9, or the machine went
// down): nothing will finish it, --resume continues it.
const Abandoned Status = "abandoned"

// Abandoned reports whether the record at path says its run is running
// while no process runs it. On this host the record's lock answers (its
// holder's lock dies with it); for a record without a lock file beside it
// (a copy), whether the recorded pid is alive. A run on another host is
// never called abandoned: it cannot be seen from here.
func (info RunInfo) Abandoned(path string) bool {
	if Status(info.Status) != Running || info.PID <= 0 {
		return false
	}
	if host, err := os.Hostname(); err != nil || host != info.Host {
		return false
	}
	if inUse, known := recordInUse(path); known {
		return !inUse
	}
	return !processAlive(info.PID)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
