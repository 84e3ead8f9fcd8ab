package vcp

import "ocs/kernel/display"

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
	return t.display().Text()
}

// HTML renders the table as an HTML table, escaped.
func (t *Table) HTML() string {
	if t == nil {
		return ""
	}
	return t.display().HTML()
}

// display is the table as cells render every table.
func (t *Table) display() *display.Table {
	return &display.Table{Header: t.Columns, Rows: t.Rows}
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
