package vcp

import (
	"html"

	"ocs/kernel/display"
	"strings"
	"unicode/utf8"
)

// Table is what the DF* calls return: columns and rows of text, shown as
// aligned text (String) or an HTML table (HTML), like a small DataFrame.
type Table struct {
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
}

// String renders the table as aligned plain text with a header line.
func (t *Table) String() string {
	if t == nil {
		return ""
	}
	width := make([]int, len(t.Columns))
	for i, c := range t.Columns {
		width[i] = utf8.RuneCountInString(c)
	}
	for _, r := range t.Rows {
		for i := range min(len(r), len(width)) {
			width[i] = max(width[i], utf8.RuneCountInString(r[i]))
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		var l strings.Builder
		for i := range width {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			if i > 0 {
				l.WriteString("  ")
			}
			l.WriteString(c)
			l.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)))
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
	line(t.Columns)
	for _, r := range t.Rows {
		line(r)
	}
	return b.String()
}

// HTML renders the table as an HTML table, escaped.
func (t *Table) HTML() string {
	if t == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("<table>\n<thead><tr>")
	for _, c := range t.Columns {
		b.WriteString("<th>" + html.EscapeString(c) + "</th>")
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, r := range t.Rows {
		b.WriteString("<tr>")
		for _, c := range r {
			b.WriteString("<td>" + html.EscapeString(c) + "</td>")
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n")
	return b.String()
}

// Column returns the values of the named column (nil if there is none).
func (t *Table) Column(name string) []string {
	for i, c := range t.Columns {
		if c == name {
			out := make([]string, 0, len(t.Rows))
			for _, r := range t.Rows {
				if i < len(r) {
					out = append(out, r[i])
				} else {
					out = append(out, "")
				}
			}
			return out
		}
	}
	return nil
}

// MIMEBundle makes a table the trailing expression of a cell (or the
// argument of display.Show) show as an HTML table, with the aligned text
// for terminals.
func (t *Table) MIMEBundle() display.Bundle {
	return display.Bundle{"text/html": t.HTML(), "text/plain": t.String()}
}
