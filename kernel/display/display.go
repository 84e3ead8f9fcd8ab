// Package display gives Go cells rich outputs: HTML, Markdown, JSON, images
// and tables become display_data outputs carrying a MIME bundle. Cells import
// it as "ocs/display". A value whose type has a rendering (it implements
// Renderer) shown as a cell's trailing expression becomes an execute_result
// with the same bundle.
package display

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"strings"
	"sync"
)

// Bundle maps MIME types to data, as nbformat stores it: text types map to a
// string, application/json to a decoded JSON value, images to base64 text.
type Bundle map[string]any

// MIMEBundle lets a Bundle be displayed as it is.
func (b Bundle) MIMEBundle() Bundle { return b }

// Renderer is a value that knows its own MIME bundle.
type Renderer interface {
	MIMEBundle() Bundle
}

// HTML is an HTML fragment.
func HTML(s string) Bundle { return Bundle{"text/html": s, "text/plain": s} }

// Markdown is Markdown text.
func Markdown(s string) Bundle { return Bundle{"text/markdown": s, "text/plain": s} }

// SVG is an SVG image given as its XML text.
func SVG(s string) Bundle { return Bundle{"image/svg+xml": s, "text/plain": "<SVG image>"} }

// PNG is a PNG image given as its bytes.
func PNG(b []byte) Bundle {
	return Bundle{"image/png": base64.StdEncoding.EncodeToString(b), "text/plain": fmt.Sprintf("<PNG image, %d bytes>", len(b))}
}

// JSON shows v as JSON. A value that cannot be encoded shows the encoding
// error as text rather than failing the cell.
func JSON(v any) Bundle {
	raw, err := json.Marshal(v)
	if err != nil {
		return Bundle{"text/plain": fmt.Sprintf("<json: %v>", err)}
	}
	var decoded any
	if err := json.Unmarshal(raw, &decoded); err != nil {
		return Bundle{"text/plain": fmt.Sprintf("<json: %v>", err)}
	}
	indented, err := json.MarshalIndent(decoded, "", "  ")
	if err != nil {
		indented = raw
	}
	return Bundle{"application/json": decoded, "text/plain": string(indented)}
}

// Table is a table of text cells with a header row.
type Table struct {
	Header []string
	Rows   [][]string
}

// NewTable starts a table with the given column names.
func NewTable(header ...string) *Table { return &Table{Header: header} }

// Row appends a row; each cell is formatted with fmt.Sprint. It returns t so
// rows can be chained.
func (t *Table) Row(cells ...any) *Table {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = fmt.Sprint(c)
	}
	t.Rows = append(t.Rows, row)
	return t
}

// MIMEBundle renders the table as aligned text and as an HTML table.
func (t *Table) MIMEBundle() Bundle {
	return Bundle{"text/plain": t.Text(), "text/html": t.HTML()}
}

func (t *Table) columns() int {
	n := len(t.Header)
	for _, r := range t.Rows {
		n = max(n, len(r))
	}
	return n
}

// Text renders the table as aligned columns under a header and a rule,
// padded by display width so that Japanese lines up.
func (t *Table) Text() string {
	n := t.columns()
	widths := make([]int, n)
	all := append([][]string{t.Header}, t.Rows...)
	for _, r := range all {
		for i, c := range r {
			widths[i] = max(widths[i], Width(c))
		}
	}
	rows := make([][]string, 0, len(all)+1)
	full := func(r []string) []string {
		return append(append([]string{}, r...), make([]string, n-len(r))...)
	}
	rows = append(rows, full(t.Header))
	rule := make([]string, n)
	for i, w := range widths {
		rule[i] = strings.Repeat("-", w)
	}
	rows = append(rows, rule)
	for _, r := range t.Rows {
		rows = append(rows, full(r))
	}
	return AlignRows(rows, 2)
}

// HTML renders the table as an HTML table, its cells escaped.
func (t *Table) HTML() string {
	var b strings.Builder
	b.WriteString("<table>\n<thead><tr>")
	for _, h := range t.Header {
		b.WriteString("<th>" + html.EscapeString(h) + "</th>")
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, r := range t.Rows {
		b.WriteString("<tr>")
		for _, c := range r {
			b.WriteString("<td>" + html.EscapeString(c) + "</td>")
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>")
	return b.String()
}

// Of returns the bundle of v: its own rendering when it has one, otherwise
// its fmt.Sprint text.
func Of(v any) Bundle {
	if r, ok := v.(Renderer); ok && r != nil {
		return r.MIMEBundle()
	}
	return Bundle{"text/plain": fmt.Sprint(v)}
}

var (
	publishMu sync.Mutex
	publisher func(Bundle)
)

// SetPublisher sets where Show sends bundles; the kernel worker sets it to
// its output channel. It is not exported to cells.
func SetPublisher(f func(Bundle)) {
	publishMu.Lock()
	publisher = f
	publishMu.Unlock()
}

// Show displays each value as a display_data output.
func Show(values ...any) {
	publishMu.Lock()
	f := publisher
	publishMu.Unlock()
	for _, v := range values {
		if f != nil {
			f(Of(v))
		}
	}
}
