package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
	"time"

	"ocs/runner"
)

// timeline draws the executed cells as an inline SVG: one bar per cell on
// a time axis, one row each, coloured by status and linked to the cell, so
// a reader sees where a long build spent its time. Runs after the first
// (resumes, reruns) are marked on the axis.
func timeline(cells []*cellInfo, info runner.RunInfo) template.HTML {
	type bar struct {
		ci         *cellInfo
		start, end time.Time
	}
	var bars []bar
	var t0, t1 time.Time
	for _, ci := range cells {
		if ci.status == "" || ci.status == string(runner.Pending) || ci.status == string(runner.Skipped) || ci.status == "not-run" {
			continue
		}
		start, ok := parseTime(ci.start)
		if !ok {
			continue
		}
		end, ok := parseTime(ci.end)
		if !ok || end.Before(start) {
			end = start.Add(time.Duration(ci.dur * float64(time.Second)))
		}
		bars = append(bars, bar{ci, start, end})
		if t0.IsZero() || start.Before(t0) {
			t0 = start
		}
		if end.After(t1) {
			t1 = end
		}
	}
	if len(bars) == 0 {
		return `<p class="empty">No cell ran.</p>`
	}
	span := t1.Sub(t0).Seconds()
	if span <= 0 {
		span = 0.001
	}
	const width, left, axis = 1000.0, 4.0, 22.0
	row := math.Max(2, math.Min(14, 420/float64(len(bars))))
	height := axis + row*float64(len(bars)) + 4
	x := func(t time.Time) float64 { return left + (width-2*left)*t.Sub(t0).Seconds()/span }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-label="timeline of %d cells over %s">`,
		width, height, len(bars), html.EscapeString(showDuration(span)))
	// The axis: five ticks, labelled from the first cell's start.
	b.WriteString(`<g class="axis">`)
	for i := 0; i <= 4; i++ {
		tx := left + (width-2*left)*float64(i)/4
		anchor := "middle"
		switch i {
		case 0:
			anchor = "start"
		case 4:
			anchor = "end"
		}
		label := "+" + showDuration(span*float64(i)/4)
		if i == 0 {
			label = t0.UTC().Format("15:04:05")
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/><text x="%.1f" y="12" text-anchor="%s">%s</text>`,
			tx, axis-6, tx, height, tx, anchor, html.EscapeString(label))
	}
	b.WriteString(`</g>`)
	for i, e := range info.History {
		if i == 0 {
			continue
		}
		if t, ok := parseTime(e.Start); ok && !t.Before(t0) && !t.After(t1) {
			fmt.Fprintf(&b, `<line class="run" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"><title>%s</title></line>`,
				x(t), axis-6, x(t), height, html.EscapeString(fmt.Sprintf("run %d: %s, %s", i+1, e.Kind, showTime(e.Start))))
		}
	}
	for i, br := range bars {
		w := math.Max(1.5, x(br.end)-x(br.start))
		fmt.Fprintf(&b, `<a href="#%s"><rect class="bar st-%s" data-cell="%d" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s</title></rect></a>`,
			cellAnchor(br.ci.index), br.ci.status, br.ci.index, math.Min(x(br.start), width-left-w), axis+row*float64(i), w, math.Max(1, row-1),
			html.EscapeString(describe(br.ci)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
