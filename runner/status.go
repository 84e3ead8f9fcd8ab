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
	Reason   string  // why a skipped cell did not run
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
		for _, o := range c.Outputs {
			if o.Type == notebook.ErrorOutput {
				row.Error = o.EName + ": " + o.EValue
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// RunInfo is the record's notebook-level run metadata.
type RunInfo struct {
	Status     string
	Start, End string
	Duration   float64
	FailedCell int // -1 when none
	Failure    string
	// PID and Host are the process that wrote the latest run.
	PID  int
	Host string
	// History lists every run that wrote the record, oldest first: the
	// first run, then each resume or partial rerun.
	History []RunEntry
}

// RunEntry is one run in a record's history.
type RunEntry struct {
	Kind     string // "run", "resume from cell 7", "cells 3-5", ...
	Status   string
	Start    string
	Duration float64
}

// ReadRunInfo reads metadata.ocs of a build record; ok is false when the
// notebook is not a build record.
func ReadRunInfo(nb *notebook.Notebook) (info RunInfo, ok bool) {
	meta, ok := nb.Metadata[notebook.OCSKey].(map[string]any)
	if !ok {
		return RunInfo{FailedCell: -1}, false
	}
	info = RunInfo{Status: str(meta["status"]), Start: str(meta["start_time"]), End: str(meta["end_time"]), FailedCell: -1}
	info.Duration, _ = strconv.ParseFloat(fmt.Sprint(meta["duration"]), 64)
	info.PID, _ = strconv.Atoi(fmt.Sprint(meta["pid"]))
	info.Host = str(meta["host"])
	runs, _ := meta["runs"].([]any)
	for _, x := range runs {
		m, _ := x.(map[string]any)
		e := RunEntry{Kind: str(m["kind"]), Status: str(m["status"]), Start: str(m["start_time"])}
		e.Duration, _ = strconv.ParseFloat(fmt.Sprint(m["duration"]), 64)
		info.History = append(info.History, e)
	}
	if fc, ok := meta["failed_cell"].(map[string]any); ok {
		if n, err := strconv.Atoi(fmt.Sprint(fc["index"])); err == nil {
			info.FailedCell = n
		}
		info.Failure = str(fc["error"])
	}
	return info, true
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
