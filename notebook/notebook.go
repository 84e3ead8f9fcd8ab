// Package notebook is the lossless model of Jupyter's nbformat v4 (minor
// versions 0 to 5): reading, validating with the strength of the official
// schema, and writing with Jupyter's exact layout. Keys it does not know are
// kept byte for byte, so notebooks carrying extension metadata (Jupyter-LC's
// lc_cell_meme, run_through_control, vcp:* tags, ...) survive a round trip.
// It knows nothing of running notebooks.
package notebook

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// Cell types.
const (
	Markdown = "markdown"
	Code     = "code"
	Raw      = "raw"
)

// Output types.
const (
	StreamOutput  = "stream"
	DisplayOutput = "display_data"
	ResultOutput  = "execute_result"
	ErrorOutput   = "error"
)

// CurrentMinor is the newest nbformat 4 minor version this package knows.
const CurrentMinor = 5

// Notebook is one nbformat 4 document.
type Notebook struct {
	Format      int // always 4
	FormatMinor int
	// Metadata holds the notebook metadata as decoded JSON values
	// (map[string]any, []any, string, json.Number, bool, nil).
	Metadata map[string]any
	Cells    []*Cell
	// extra keeps top-level keys the schema does not define (only valid in
	// notebooks from a future minor version).
	extra map[string]any
}

// Cell is one notebook cell.
type Cell struct {
	// ID is the cell id (nbformat 4.5); "" when the cell has none.
	ID       string
	Type     string
	Metadata map[string]any
	Source   Text
	// Attachments of markdown and raw cells, as decoded JSON; nil when the
	// cell has none.
	Attachments map[string]any
	// Outputs and ExecutionCount of code cells. A nil ExecutionCount is
	// JSON null.
	Outputs        []*Output
	ExecutionCount *int
	// extra keeps keys the schema does not define for this cell type; raw
	// keeps a whole cell of a type from a future minor version.
	extra map[string]any
	raw   map[string]any
}

// Output is one output of a code cell.
type Output struct {
	Type string
	// Name and Text of a stream.
	Name string
	Text Text
	// Data (a MIME bundle) and Metadata of display_data and execute_result.
	Data     map[string]any
	Metadata map[string]any
	// ExecutionCount of an execute_result; nil is JSON null.
	ExecutionCount *int
	// EName, EValue and Traceback of an error.
	EName     string
	EValue    string
	Traceback []string
	extra     map[string]any
	raw       map[string]any
}

// Text is a multiline string field (cell source, stream text), which nbformat
// stores either as one string or as a list of lines. The form read is kept.
type Text struct {
	parts []string
	list  bool
}

// NewText returns s in the form Jupyter writes: a list of lines.
func NewText(s string) Text {
	return Text{parts: splitLines(s), list: true}
}

// String returns the whole text.
func (t Text) String() string {
	switch len(t.parts) {
	case 0:
		return ""
	case 1:
		return t.parts[0]
	}
	return strings.Join(t.parts, "")
}

// JSON returns the text as nbformat stores it: a string, or a list of the
// lines exactly as they were read. TextFromJSON reads it back.
func (t Text) JSON() any {
	if !t.list {
		return t.String()
	}
	parts := make([]any, len(t.parts))
	for i, p := range t.parts {
		parts[i] = p
	}
	return parts
}

// TextFromJSON is the text v holds (a string or a list of strings, as JSON
// decodes them), in v's form; ok is false for anything else.
func TextFromJSON(v any) (t Text, ok bool) {
	switch v := v.(type) {
	case string:
		return Text{parts: []string{v}}, true
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			s, ok := x.(string)
			if !ok {
				return Text{}, false
			}
			parts[i] = s
		}
		return Text{parts: parts, list: true}, true
	}
	return Text{}, false
}

// IsList reports whether the text is stored as a list of lines.
func (t Text) IsList() bool { return t.list }

// Len returns the length of the text in bytes.
func (t Text) Len() int {
	n := 0
	for _, p := range t.parts {
		n += len(p)
	}
	return n
}

// Set replaces the text, keeping its form.
func (t *Text) Set(s string) {
	if t.list {
		t.parts = splitLines(s)
		return
	}
	t.parts = []string{s}
}

// Append adds s at the end of the text, keeping its form. Appending to a
// list costs time proportional to s, not to the whole text.
func (t *Text) Append(s string) {
	if s == "" {
		return
	}
	if !t.list {
		t.parts = []string{t.String() + s}
		return
	}
	n := len(t.parts)
	if n > 0 {
		last := t.parts[n-1]
		if !endsLine(last) || strings.HasSuffix(last, "\r") {
			t.parts = append(t.parts[:n-1], splitLines(last+s)...)
			return
		}
	}
	t.parts = append(t.parts, splitLines(s)...)
}

// Lines returns the text split into lines, each with its line ending.
func (t Text) Lines() []string {
	if t.list {
		return t.parts
	}
	return splitLines(t.String())
}

// splitLines splits s after every line boundary that Python's
// str.splitlines recognises, keeping the boundaries, so that ocs writes
// multiline strings exactly as Jupyter does.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	var lines []string
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		end := -1 // index after the boundary
		switch {
		case c == '\n', c == '\v', c == '\f', c == 0x1c, c == 0x1d, c == 0x1e:
			end = i + 1
		case c == '\r':
			end = i + 1
			if end < len(s) && s[end] == '\n' {
				end++
			}
		case c == 0xc2 && i+1 < len(s) && s[i+1] == 0x85: // U+0085
			end = i + 2
		case c == 0xe2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9): // U+2028, U+2029
			end = i + 3
		}
		if end < 0 {
			i++
			continue
		}
		lines = append(lines, s[start:end])
		start, i = end, end
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	return lines
}

// endsLine reports whether s ends with a line boundary.
func endsLine(s string) bool {
	if s == "" {
		return false
	}
	switch s[len(s)-1] {
	case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e:
		return true
	}
	return strings.HasSuffix(s, "\u0085") || strings.HasSuffix(s, "\u2028") || strings.HasSuffix(s, "\u2029")
}

// textSize is the length of the cell's source and stream outputs, the bulk
// of a large cell.
func (c *Cell) textSize() int {
	n := c.Source.Len()
	for _, o := range c.Outputs {
		n += o.Text.Len()
	}
	return n
}

// Tags returns the cell's metadata tags.
func (c *Cell) Tags() []string {
	list, _ := c.Metadata["tags"].([]any)
	tags := make([]string, 0, len(list))
	for _, t := range list {
		if s, ok := t.(string); ok {
			tags = append(tags, s)
		}
	}
	return tags
}

// HasTag reports whether the cell carries tag.
func (c *Cell) HasTag(tag string) bool {
	list, _ := c.Metadata["tags"].([]any)
	for _, t := range list {
		if t == tag {
			return true
		}
	}
	return false
}

// NewCell returns a cell of the given type with source in Jupyter's layout.
// Code cells start with no outputs and a null execution count.
func NewCell(cellType, source string) *Cell {
	c := &Cell{Type: cellType, Metadata: map[string]any{}, Source: NewText(source)}
	if cellType == Code {
		c.Outputs = []*Output{}
	}
	return c
}

// NewStream returns a stream output ("stdout" or "stderr").
func NewStream(name, text string) *Output {
	return &Output{Type: StreamOutput, Name: name, Text: NewText(text)}
}

// NewDisplay returns a display_data output. Text values of the bundle are
// split into lines the way Jupyter writes them.
func NewDisplay(data, metadata map[string]any) *Output {
	return &Output{Type: DisplayOutput, Data: splitBundle(data), Metadata: nonNil(metadata)}
}

// NewResult returns an execute_result output.
func NewResult(count int, data, metadata map[string]any) *Output {
	return &Output{Type: ResultOutput, ExecutionCount: &count, Data: splitBundle(data), Metadata: nonNil(metadata)}
}

// NewError returns an error output.
func NewError(ename, evalue string, traceback []string) *Output {
	if traceback == nil {
		traceback = []string{}
	}
	return &Output{Type: ErrorOutput, EName: ename, EValue: evalue, Traceback: traceback}
}

func nonNil(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// splitBundle stores text MIME values as lists of lines, as nbformat's
// writer does; JSON and binary (base64) values stay as they are.
func splitBundle(data map[string]any) map[string]any {
	out := make(map[string]any, len(data))
	for mime, v := range data {
		s, ok := v.(string)
		if ok && (strings.HasPrefix(mime, "text/") || mime == "image/svg+xml" || mime == "application/javascript") {
			lines := splitLines(s)
			list := make([]any, len(lines))
			for i, l := range lines {
				list[i] = l
			}
			out[mime] = list
			continue
		}
		out[mime] = v
	}
	return out
}

// BundleText returns a MIME bundle value (a string or a list of strings) as
// one string.
func BundleText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case []any:
		var b strings.Builder
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return "", false
			}
			b.WriteString(s)
		}
		return b.String(), true
	}
	return "", false
}

// EnsureIDs gives every cell without an id a fresh one, unique in the
// notebook. Writing a 4.5 notebook does this.
func (nb *Notebook) EnsureIDs() {
	seen := make(map[string]bool, len(nb.Cells))
	for _, c := range nb.Cells {
		if c.ID != "" {
			seen[c.ID] = true
		}
	}
	for _, c := range nb.Cells {
		if c.ID != "" || c.raw != nil {
			continue
		}
		for {
			id := newID()
			if !seen[id] {
				c.ID = id
				seen[id] = true
				break
			}
		}
	}
}

// newID returns 8 random hex digits, the shape Jupyter gives new cells.
func newID() string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b[:])
}
