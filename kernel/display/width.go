package display

import (
	"bytes"
	"io"
	"strings"

	"github.com/mattn/go-runewidth"
)

// Everything ocs aligns in text (tables of records, the catalog, parameter
// lists, the VCP tables, the text form of Table) pads by display width: the
// columns a terminal gives the text, where East Asian wide and fullwidth
// characters take two and combining marks none. The rules are Unicode's
// (East Asian Width, grapheme clusters) through go-runewidth.

// width is fixed rather than taken from the locale (go-runewidth's default
// reads LANG), so that what ocs writes does not depend on who ran it:
// ambiguous-width characters count one column, as in most terminals.
var width = &runewidth.Condition{EastAsianWidth: false, StrictEmojiNeutral: true}

// Width returns the display width of s in terminal columns.
func Width(s string) int { return width.StringWidth(s) }

// PadRight returns s followed by spaces up to n columns.
func PadRight(s string, n int) string {
	if w := Width(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

// Truncate shortens s to at most n columns, ending it with "…" when it
// was cut.
func Truncate(s string, n int) string {
	if Width(s) <= n {
		return s
	}
	return width.Truncate(s, n, "…")
}

// AlignRows lays rows out as columns separated by gap spaces, each padded
// to the widest cell of its column; the last cell of a row is not padded
// and no line ends in spaces.
func AlignRows(rows [][]string, gap int) string {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], Width(c))
		}
	}
	var b strings.Builder
	sep := strings.Repeat(" ", gap)
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			if i > 0 {
				line.WriteString(sep)
			}
			if i < len(r)-1 {
				c = PadRight(c, widths[i])
			}
			line.WriteString(c)
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	return b.String()
}

// Columns is a writer in the manner of text/tabwriter, which pads by bytes:
// cells end with a tab, rows with a newline, and Flush writes the rows
// aligned by display width with two spaces between columns.
type Columns struct {
	w   io.Writer
	buf bytes.Buffer
}

// NewColumns returns a Columns that writes to w.
func NewColumns(w io.Writer) *Columns { return &Columns{w: w} }

func (c *Columns) Write(p []byte) (int, error) { return c.buf.Write(p) }

// Flush writes what was buffered, aligned.
func (c *Columns) Flush() error {
	text := strings.TrimSuffix(c.buf.String(), "\n")
	c.buf.Reset()
	if text == "" {
		return nil
	}
	var rows [][]string
	for _, line := range strings.Split(text, "\n") {
		rows = append(rows, strings.Split(line, "\t"))
	}
	_, err := io.WriteString(c.w, AlignRows(rows, 2))
	return err
}
