package runner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"ocs/notebook"
)

// The effect log is a write-ahead log of effect starts beside the record,
// the hidden file ".NAME.ipynb.effects" (docs/record.md, "Saving"). An
// effect's start must be on disk before the effect runs, so that a kill -9
// leaves the knowledge that it started; appending one line to this file
// costs one write(2), where saving the whole record (temp file, rename)
// costs a millisecond or more. Whatever reads a record to continue or
// describe it applies the log first (ApplyEffectLog).
//
// The first line is a header naming the run that writes the log (its
// start_time, as metadata.ocs has it); each further line is one effect's
// start: the cell, the start_time of that execution of the cell, the
// index of the effect in the cell's journal, and the journal entry as the
// record gets it (secrets masked, "unfinished": true). An effect the
// kernel reports only once it ended takes a line too (its entry is not
// unfinished): so a cell's lines number its journal from 0 without a gap,
// and a line is in a journal exactly when the journal reaches its index.

// effectLogFormat is the header's version: it changes when a line changes
// meaning.
const effectLogFormat = 1

// effectLogRoom is the disk room taken for the log when it is made (best
// effort, the file's size unchanged), so that a full disk does not fail
// the first few thousand effect starts.
const effectLogRoom = 256 << 10

// fallocKeepSize is FALLOC_FL_KEEP_SIZE: allocate blocks without making
// the file longer, so that a reader sees only what was written.
const fallocKeepSize = 0x1

func effectLogPath(record string) string { return besideRecord(record, "effects") }

// effectLogHeader is the log's first line.
type effectLogHeader struct {
	Format   int    `json:"ocs_effects"`
	RunStart string `json:"run_start"`
}

// effectLine is one effect's start.
type effectLine struct {
	Cell      string         `json:"cell"`
	CellIndex int            `json:"cell_index"`
	StartTime string         `json:"start_time"`
	Effect    int            `json:"effect"`
	Entry     map[string]any `json:"entry"`
}

// effectLog is the log a run appends to.
type effectLog struct {
	f    *os.File
	path string
}

// createEffectLog starts a fresh log for record (an older one is
// truncated), for the run that started at runStart.
func createEffectLog(record string, runStart time.Time) (*effectLog, error) {
	path := effectLogPath(record)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("start the effect log: %w", err)
	}
	// An older file keeps its mode through O_CREATE; the log holds what the
	// record holds, which is no one else's to read either way.
	_ = f.Chmod(0o600)
	_ = syscall.Fallocate(int(f.Fd()), fallocKeepSize, 0, effectLogRoom)
	l := &effectLog{f: f, path: path}
	header, _ := json.Marshal(effectLogHeader{Format: effectLogFormat, RunStart: runStart.Format(time.RFC3339Nano)})
	if _, err := f.Write(append(header, '\n')); err != nil {
		l.remove()
		return nil, fmt.Errorf("start the effect log: %w", err)
	}
	return l, nil
}

// append writes one line, in one write(2) and without an fsync: a kill -9
// after it returns keeps the line (it is in the page cache), as it keeps
// a record that was saved.
func (l *effectLog) append(line effectLine) error {
	data, err := json.Marshal(line)
	if err != nil {
		return fmt.Errorf("save the start of an effect: %w", err)
	}
	if _, err := l.f.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("save the start of an effect: %w", err)
	}
	return nil
}

// remove closes and removes the log: the record on disk holds all it
// held.
func (l *effectLog) remove() {
	if l == nil {
		return
	}
	_ = l.f.Close()
	_ = os.Remove(l.path)
}

// ApplyEffectLog applies the effect log beside the record at path, if
// there is one, to nb (that record as read from path): the starts of
// effects the record on disk does not hold yet, written by a run that was
// killed, are put in its journal, marked unfinished. Applying a log twice
// changes nothing the first time did not. A log that a later save of the
// record made stale (another run wrote it since) is ignored, as is a last
// line a kill cut short. It returns how many entries it added; a line that
// cannot be read is an ErrInput naming the log and the line.
func ApplyEffectLog(nb *notebook.Notebook, path string) (int, error) {
	logPath := effectLogPath(path)
	fi, err := os.Lstat(logPath)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read the effect log %s: %w", logPath, err)
	}
	if !fi.Mode().IsRegular() {
		return 0, invalid("the effect log %s is not a regular file", logPath)
	}
	data, err := os.ReadFile(logPath)
	if err != nil {
		return 0, fmt.Errorf("read the effect log %s: %w", logPath, err)
	}
	return applyEffectLog(nb, logPath, data)
}

func applyEffectLog(nb *notebook.Notebook, logPath string, data []byte) (int, error) {
	meta, _ := nb.Metadata[notebook.OCSKey].(map[string]any)
	runStart := str(meta["start_time"])
	added := 0
	for n := 1; ; n++ {
		end := bytes.IndexByte(data, '\n')
		if end < 0 {
			// Nothing, or a last line without its newline: a kill cut its
			// write short, so the effect it announced never ran.
			return added, nil
		}
		line := data[:end]
		data = data[end+1:]
		if n == 1 {
			h, err := parseEffectLogHeader(line)
			if err != nil {
				return 0, invalid("the effect log %s, line 1: %v", logPath, err)
			}
			if h.RunStart != runStart {
				// The record was saved by a run that started after this log
				// was written: it holds all the log knew.
				return 0, nil
			}
			continue
		}
		l, err := parseEffectLine(line)
		if err == nil {
			var ok bool
			ok, err = applyEffectLine(nb, l)
			if ok {
				added++
			}
		}
		if err != nil {
			return added, invalid("the effect log %s, line %d: %v", logPath, n, err)
		}
	}
}

func parseEffectLogHeader(line []byte) (effectLogHeader, error) {
	var h effectLogHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return h, fmt.Errorf("not an effect log header: %v", err)
	}
	if h.Format != effectLogFormat {
		return h, fmt.Errorf("effect log format %d, this ocs reads format %d", h.Format, effectLogFormat)
	}
	if _, err := time.Parse(time.RFC3339Nano, h.RunStart); err != nil {
		return h, fmt.Errorf("run_start %q is not an RFC 3339 time", h.RunStart)
	}
	return h, nil
}

// parseEffectLine reads one effect start. Numbers in the entry stay
// json.Number, as the notebook's own decoder keeps them, so that an entry
// from the log compares equal to the same entry read from the record.
func parseEffectLine(line []byte) (effectLine, error) {
	var l effectLine
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&l); err != nil {
		return l, fmt.Errorf("not an effect start: %v", err)
	}
	if dec.More() {
		return l, errors.New("not an effect start: more after the JSON object")
	}
	switch {
	case l.Cell == "" && l.CellIndex < 0:
		return l, errors.New("no cell")
	case l.Effect < 0:
		return l, fmt.Errorf("effect index %d", l.Effect)
	}
	if _, err := time.Parse(time.RFC3339Nano, l.StartTime); err != nil {
		return l, fmt.Errorf("start_time %q is not an RFC 3339 time", l.StartTime)
	}
	if op, _ := l.Entry["op"].(string); op == "" {
		return l, errors.New("the entry has no op")
	}
	return l, nil
}

// applyEffectLine puts one effect start into the record's cell, unless the
// cell's journal holds it already; it reports whether it did. A cell the
// record holds from an earlier execution (another start_time) is the one
// the log saw start: running, with no outputs and a journal of its own.
// A line past the journal's end, with lines missing before it, is an
// error: a run never writes one.
func applyEffectLine(nb *notebook.Notebook, l effectLine) (bool, error) {
	c := effectCell(nb, l)
	if c == nil {
		return false, nil // the cell is gone from the record
	}
	if c.Metadata == nil {
		c.Metadata = map[string]any{}
	}
	meta, _ := c.Metadata[notebook.OCSKey].(map[string]any)
	if meta == nil || str(meta["start_time"]) != l.StartTime {
		meta = map[string]any{"status": string(Running), "start_time": l.StartTime}
		c.Metadata[notebook.OCSKey] = meta
		c.Outputs = []*notebook.Output{}
		c.ExecutionCount = nil
		delete(c.Metadata, notebook.ExecutionKey)
	}
	list, _ := meta["effects"].([]any)
	switch {
	case l.Effect < len(list):
		return false, nil
	case l.Effect > len(list):
		return false, fmt.Errorf("effect %d of cell %q, but the journal holds %d and no line before this one says what came between", l.Effect, l.Cell, len(list))
	}
	meta["effects"] = append(list, l.Entry)
	return true, nil
}

// effectCell finds the code cell a line names: by id, or for a cell
// without one by its index.
func effectCell(nb *notebook.Notebook, l effectLine) *notebook.Cell {
	if l.Cell != "" {
		for _, c := range nb.Cells {
			if c.ID == l.Cell && c.Type == notebook.Code {
				return c
			}
		}
		return nil
	}
	if l.CellIndex >= 0 && l.CellIndex < len(nb.Cells) {
		if c := nb.Cells[l.CellIndex]; c.ID == "" && c.Type == notebook.Code {
			return c
		}
	}
	return nil
}
