// Package report renders a build record as one self-contained HTML page
// that a person reads without ocs, Jupyter or a terminal: the run's status
// and failure, who ran what, a timeline of the cells, an outline of the
// sections and every cell with its status, duration and outputs.
//
// The page needs nothing but itself: styles are inline, images are data
// URIs, and no script is written or let through. Outputs come from the
// cells of the build, so their HTML is sanitized (no script, no event
// handler, no remote load), and a Content-Security-Policy meta tag forbids
// scripts and remote loads a second time.
package report

import (
	"bufio"
	"fmt"
	"html/template"
	"io"
	"path"
	"runtime"
	"strings"

	"ocs/notebook"
	"ocs/runner"
)

// Options tune a report.
type Options struct {
	// Record is the record's path as the reader knows it, shown in the page.
	Record string
	// SideLogDir is where links to side logs point: the folder holding the
	// record's RECORD.d folder, relative to where the report is written
	// (slash-separated; "" when the report sits beside the record).
	SideLogDir string
	// Version is the ocs that writes the report.
	Version string
	// Abandoned says the record's run is "running" but its process is
	// gone (runner.RunInfo.Abandoned, which needs the record's path).
	Abandoned bool
}

// CSP is the Content-Security-Policy the page carries: nothing but its own
// inline styles and data-URI images.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; form-action 'none'"

// Render writes the report of the build record nb to w. It streams: one cell
// is rendered at a time, so memory stays near the size of the record.
func Render(w io.Writer, nb *notebook.Notebook, opts Options) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	p := newPage(nb, opts)
	if err := pageHead().Execute(bw, p); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	r := newRenderer(nb, opts)
	// Cells are rendered on every core, a few at a time, and written in
	// order: a report of a big record costs its slowest part (highlighting,
	// terminal output) divided by the cores, and holds only the cells in
	// flight.
	workers := runtime.GOMAXPROCS(0)
	pending := make(chan chan cellView, 2*workers)
	sem := make(chan struct{}, workers)
	go func() {
		defer close(pending)
		for _, c := range p.cells {
			done := make(chan cellView, 1)
			pending <- done
			sem <- struct{}{}
			go func() {
				defer func() { <-sem }()
				done <- r.cell(c)
			}()
		}
	}()
	var werr error
	for done := range pending {
		v := <-done
		if werr == nil {
			if err := writeCell(bw, v); err != nil {
				werr = fmt.Errorf("render report: cell %d: %w", v.Index, err)
			}
		}
	}
	if werr != nil {
		return werr
	}
	if err := pageFoot().Execute(bw, p); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	return nil
}

// page is what the head and foot of the report show.
type page struct {
	Title     string
	CSP       string
	CSS       template.CSS
	Status    string
	Banner    banner
	Facts     []fact
	Params    []fact
	Runs      []runRow
	Timeline  template.HTML
	Sections  []section
	Counts    []fact
	NumCells  int
	Record    string
	Version   string
	Kind      string
	cells     []*cellInfo
	sideLogTo string
}

type banner struct {
	Title   string
	Cell    int // -1: none
	Anchor  string
	Section string
	Error   string
}

type fact struct{ Name, Value string }

type runRow struct {
	N                         int
	Kind, Status, Start, Took string
	Version                   string
	Failed                    string
	FailedAnchor              string
	Failure                   string
}

type section struct {
	Title  string
	Anchor string
	Status string
	Mark   string
	Cells  int
	Level  int
}

// cellInfo is what the head needs of a cell, read once.
type cellInfo struct {
	index   int
	cell    *notebook.Cell
	section string
	status  string // "" for markdown and raw cells
	start   string
	end     string
	dur     float64
}

func newPage(nb *notebook.Notebook, opts Options) *page {
	info, _ := runner.ReadRunInfo(nb)
	if opts.Abandoned && info.Status == string(runner.Running) {
		info.Status = string(runner.Abandoned)
	}
	p := &page{CSP: CSP, CSS: template.CSS(styleSheet()), Status: statusClass(info.Status), Record: opts.Record, Version: opts.Version, Kind: info.Kind, sideLogTo: opts.SideLogDir}
	if p.Status == "" {
		p.Status = "unknown"
	}
	name := info.Source.Template
	if name == "" && info.Source.Path != "" {
		name = strings.TrimSuffix(path.Base(strings.ReplaceAll(info.Source.Path, "\\", "/")), ".ipynb")
	}
	if name == "" {
		name = path.Base(opts.Record)
	}
	p.Title = fmt.Sprintf("%s: %s", name, statusWord(info.Status))

	// Cells and sections.
	heading := ""
	var sec *section
	for i, c := range nb.Cells {
		ci := &cellInfo{index: i, cell: c}
		if h, level := headingOf(c); h != "" {
			heading = h
			p.Sections = append(p.Sections, section{Title: h, Anchor: cellAnchor(i), Level: level})
			sec = &p.Sections[len(p.Sections)-1]
		}
		ci.section = heading
		if c.Type == notebook.Code {
			meta, _ := c.Metadata[notebook.OCSKey].(map[string]any)
			ci.status = cellStatus(meta, c)
			ci.start, ci.end = str(meta["start_time"]), str(meta["end_time"])
			ci.dur = num(meta["duration"])
			if sec == nil {
				p.Sections = append(p.Sections, section{Title: "(before the first heading)", Anchor: cellAnchor(i), Level: 1})
				sec = &p.Sections[len(p.Sections)-1]
			}
			sec.Cells++
			if worse(ci.status, sec.Status) {
				sec.Status = ci.status
			}
		}
		p.cells = append(p.cells, ci)
	}
	for i := range p.Sections {
		s := &p.Sections[i]
		if s.Status == "" {
			s.Status = "none"
		}
		s.Mark = mark(s.Status)
	}

	// The banner.
	p.Banner = banner{Title: "Build " + statusWord(info.Status), Cell: -1}
	if info.FailedCell >= 0 && info.FailedCell < len(nb.Cells) {
		p.Banner.Cell = info.FailedCell
		p.Banner.Anchor = cellAnchor(info.FailedCell)
		p.Banner.Section = p.cells[info.FailedCell].section
		p.Banner.Error = firstLine(info.Failure)
		if e := errorLine(nb.Cells[info.FailedCell]); e != "" {
			p.Banner.Error = e
		}
	} else if info.Status != string(runner.Completed) {
		// An interrupted run may name no cell: point at the one that was
		// running, or the first that did not complete.
		for _, ci := range p.cells {
			if ci.status != "" && ci.status != string(runner.Completed) && ci.status != string(runner.Skipped) && ci.status != string(runner.Pending) {
				p.Banner.Cell, p.Banner.Anchor, p.Banner.Section = ci.index, cellAnchor(ci.index), ci.section
				p.Banner.Error = errorLine(ci.cell)
				break
			}
		}
	}

	// Facts about the build.
	add := func(name, value string) {
		if value != "" {
			p.Facts = append(p.Facts, fact{name, value})
		}
	}
	add("template", info.Source.Template)
	if info.Source.Catalog != "" {
		add("catalog", info.Source.Catalog)
	}
	add("commit", info.Source.Commit)
	add("source", info.Source.Path)
	add("record", opts.Record)
	add("status", info.Status)
	add("latest run", info.Kind)
	add("ocs version", info.Version)
	if info.User != "" || info.Host != "" {
		add("host and user", strings.Trim(info.User+"@"+info.Host, "@"))
	}
	add("start", showTime(info.Start))
	add("end", showTime(info.End))
	if info.Duration > 0 {
		add("duration", showDuration(info.Duration))
	}
	meta, _ := nb.Metadata[notebook.OCSKey].(map[string]any)
	// Keys ocs adds later (another engineer's pid, say) show as they are.
	for _, k := range sortedKeys(meta) {
		if knownRunKeys[k] {
			continue
		}
		if s, ok := scalar(meta[k]); ok {
			add(strings.ReplaceAll(k, "_", " "), s)
		}
	}
	for _, k := range sortedKeys(info.Parameters) {
		p.Params = append(p.Params, fact{k, info.Parameters[k]})
	}
	for i, e := range info.History {
		row := runRow{N: i + 1, Kind: e.Kind, Status: statusClass(e.Status), Start: showTime(e.Start), Version: e.Version}
		if e.Duration > 0 {
			row.Took = showDuration(e.Duration)
		}
		if e.FailedCell >= 0 {
			row.Failed = fmt.Sprintf("cell %d", e.FailedCell)
			row.Failure = firstLine(e.Failure)
			if e.FailedCell < len(nb.Cells) {
				row.FailedAnchor = cellAnchor(e.FailedCell)
			}
		}
		p.Runs = append(p.Runs, row)
	}

	counts := map[string]int{}
	var order []string
	for _, ci := range p.cells {
		if ci.status == "" {
			continue
		}
		if counts[ci.status] == 0 {
			order = append(order, ci.status)
		}
		counts[ci.status]++
		p.NumCells++
	}
	for _, s := range order {
		p.Counts = append(p.Counts, fact{s, fmt.Sprint(counts[s])})
	}
	p.Timeline = timeline(p.cells, info)
	return p
}

// knownRunKeys are the notebook-level keys the head shows in its own way.
var knownRunKeys = map[string]bool{
	"status": true, "kind": true, "start_time": true, "end_time": true, "duration": true,
	"failed_cell": true, "source": true, "parameters": true, "version": true,
	"host": true, "user": true, "runs": true,
}

// cellAnchor is the id of cell i in the page; the numbers are the ones
// ocs status prints and --cells takes.
func cellAnchor(i int) string { return fmt.Sprintf("cell-%d", i) }

// cellStatus reads a code cell's status; a cell the record says nothing
// about never ran.
func cellStatus(meta map[string]any, c *notebook.Cell) string {
	s := statusClass(str(meta["status"]))
	if s == "" {
		if c.HasTag("skip-execution") {
			return string(runner.Skipped)
		}
		return "not-run"
	}
	return s
}

// statusClass turns a status into a CSS class name: the record's words,
// kept to letters and dashes.
func statusClass(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r == '-' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func statusWord(s string) string {
	switch s {
	case "":
		return "status unknown"
	case string(runner.TimedOut):
		return "timed out"
	}
	return s
}

// rank orders statuses from good to bad, for a section's mark.
var rank = map[string]int{
	"none": 0, string(runner.Skipped): 1, string(runner.Completed): 2, "not-run": 3, string(runner.Pending): 3,
	string(runner.Running): 4, "abandoned": 5, string(runner.Interrupted): 6, string(runner.TimedOut): 7, string(runner.Failed): 8,
}

func worse(a, b string) bool {
	ra, ok := rank[a]
	if !ok {
		ra = 4
	}
	return b == "" || ra > rank[b]
}

func mark(status string) string {
	switch status {
	case string(runner.Completed):
		return "✓"
	case string(runner.Failed):
		return "✗"
	case string(runner.TimedOut):
		return "⏱"
	case string(runner.Interrupted), "abandoned":
		return "■"
	case string(runner.Running):
		return "▶"
	case string(runner.Skipped):
		return "↷"
	case "none":
		return "·"
	}
	return "○"
}

// headingOf returns the last heading of a markdown cell and its level.
func headingOf(c *notebook.Cell) (string, int) {
	h := runner.Heading(c)
	if h == "" {
		return "", 0
	}
	level := 1
	for _, line := range strings.Split(c.Source.String(), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "#") && strings.Contains(t, h) {
			level = len(t) - len(strings.TrimLeft(t, "#"))
		}
	}
	return h, level
}

// errorLine is the cell's error output in one line.
func errorLine(c *notebook.Cell) string {
	for _, o := range c.Outputs {
		if o.Type == notebook.ErrorOutput {
			return firstLine(strings.TrimSpace(o.EName + ": " + o.EValue))
		}
	}
	return ""
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	if r := []rune(s); len(r) > 300 {
		s = string(r[:299]) + "…"
	}
	return s
}
