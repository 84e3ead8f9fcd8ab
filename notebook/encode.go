package notebook

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// encoder writes JSON exactly as Jupyter (nbformat, through Python's json
// module with indent=1, sort_keys and ensure_ascii=False) lays it out, so a
// notebook Jupyter wrote comes back byte for byte, and a changed one diffs
// cleanly against what Jupyter would have saved.
type encoder struct {
	w   byteWriter
	err error
	num []byte
}

// byteWriter is what the encoder writes to: a bufio.Writer over a file, or
// a bytes.Buffer for a cell's cached encoding.
type byteWriter interface {
	io.Writer
	io.StringWriter
	io.ByteWriter
}

func newEncoder(w io.Writer) *encoder {
	return &encoder{w: bufio.NewWriterSize(w, 64<<10)}
}

// newBufferEncoder writes into buf, without a buffer of its own: a cell's
// encoding goes to memory anyway, and a 64 KiB buffer per encoded cell
// was most of what a save allocated.
func newBufferEncoder(buf *bytes.Buffer) *encoder {
	return &encoder{w: buf}
}

func (e *encoder) flush() error {
	if e.err != nil {
		return e.err
	}
	if f, ok := e.w.(interface{ Flush() error }); ok {
		return f.Flush()
	}
	return nil
}

func (e *encoder) raw(s string) {
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
}

func (e *encoder) bytes(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

func (e *encoder) byte(c byte) {
	if e.err == nil {
		e.err = e.w.WriteByte(c)
	}
}

// indents is a newline followed by spaces, sliced to the depth needed.
var indents = "\n" + strings.Repeat(" ", 64)

func (e *encoder) newline(depth int) {
	if depth < len(indents) {
		e.raw(indents[:depth+1])
		return
	}
	e.byte('\n')
	e.raw(strings.Repeat(" ", depth))
}

// member is one key of an object being written.
type member struct {
	key   string
	value any
}

// object writes members sorted by key.
func (e *encoder) object(members []member, depth int) {
	if len(members) == 0 {
		e.raw("{}")
		return
	}
	slices.SortFunc(members, func(a, b member) int { return strings.Compare(a.key, b.key) })
	e.byte('{')
	for i, m := range members {
		if i > 0 {
			e.byte(',')
		}
		e.newline(depth + 1)
		e.string(m.key)
		e.raw(": ")
		e.value(m.value, depth+1)
	}
	e.newline(depth)
	e.byte('}')
}

func (e *encoder) value(v any, depth int) {
	if e.err != nil {
		return
	}
	switch v := v.(type) {
	case nil:
		e.raw("null")
	case bool:
		if v {
			e.raw("true")
		} else {
			e.raw("false")
		}
	case string:
		e.string(v)
	case json.Number:
		e.number(v)
	case int:
		e.num = strconv.AppendInt(e.num[:0], int64(v), 10)
		e.bytes(e.num)
	case int64:
		e.num = strconv.AppendInt(e.num[:0], v, 10)
		e.bytes(e.num)
	case float64:
		e.raw(pyFloat(v))
	case *int:
		if v == nil {
			e.raw("null")
		} else {
			e.value(*v, depth)
		}
	case map[string]any:
		members := make([]member, 0, len(v))
		for k, x := range v {
			members = append(members, member{k, x})
		}
		e.object(members, depth)
	case []member:
		e.object(v, depth)
	case cachedCell:
		e.cachedCell(v, depth)
	case []any:
		array(e, v, depth, func(x any) { e.value(x, depth+1) })
	case []string:
		array(e, v, depth, e.string)
	case Text:
		if v.list {
			e.value(v.parts, depth)
		} else {
			e.string(v.String())
		}
	default:
		e.err = fmt.Errorf("cannot encode a value of type %T", v)
	}
}

// maxCachedCell is the most text a cell may hold for the cache to keep its
// encoding.
const maxCachedCell = 1 << 20

// cachedCell writes a cell from the cache, or encodes it and keeps the
// bytes. Cells always sit at the same depth, so their bytes do not depend on
// where in the notebook they are.
func (e *encoder) cachedCell(c cachedCell, depth int) {
	if b, ok := c.cache.enc[c.cell]; ok {
		e.bytes(b)
		return
	}
	if c.cell.textSize() > maxCachedCell {
		// A cell this large would be held twice; encoding it each time
		// costs less than the memory.
		e.value(c.cell.members(), depth)
		return
	}
	var buf bytes.Buffer
	sub := newBufferEncoder(&buf)
	sub.num = e.num
	sub.value(c.cell.members(), depth)
	e.num = sub.num
	if err := sub.flush(); err != nil {
		e.err = err
		return
	}
	c.cache.enc[c.cell] = buf.Bytes()
	e.bytes(buf.Bytes())
}

// array writes items one per line, as Python's json does with an indent;
// []string has its own case so lines of text need no []any copy.
func array[T any](e *encoder, items []T, depth int, item func(T)) {
	if len(items) == 0 {
		e.raw("[]")
		return
	}
	e.byte('[')
	for i, x := range items {
		if i > 0 {
			e.byte(',')
		}
		e.newline(depth + 1)
		item(x)
	}
	e.newline(depth)
	e.byte(']')
}

// number writes a literal as Python would after reading it: integers stay as
// written (but -0 is 0), floats take Python's shortest repr. Jupyter-written
// numbers are already in that form, so they come back unchanged.
func (e *encoder) number(n json.Number) {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if s == "-0" {
			s = "0"
		}
		e.raw(s)
		return
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		e.raw(s) // out of float range: keep the literal, still valid JSON
		return
	}
	e.raw(pyFloat(f))
}

// pyFloat formats f like Python's repr(float): the shortest digits that read
// back exactly, in positional form when the decimal exponent is in [-4, 16),
// with ".0" on whole numbers, else in exponent form like "1e-05".
func pyFloat(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "null" // not representable in JSON; never produced by ocs
	}
	sci := strconv.FormatFloat(f, 'e', -1, 64) // "-d.ddde±XX"
	mant, expStr, _ := strings.Cut(sci, "e")
	exp, _ := strconv.Atoi(expStr)
	neg := strings.HasPrefix(mant, "-")
	digits := strings.Replace(strings.TrimPrefix(mant, "-"), ".", "", 1)
	decpt := exp + 1
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	switch {
	case decpt > -4 && decpt <= 16:
		switch {
		case decpt <= 0:
			b.WriteString("0.")
			b.WriteString(strings.Repeat("0", -decpt))
			b.WriteString(digits)
		case decpt >= len(digits):
			b.WriteString(digits)
			b.WriteString(strings.Repeat("0", decpt-len(digits)))
			b.WriteString(".0")
		default:
			b.WriteString(digits[:decpt])
			b.WriteByte('.')
			b.WriteString(digits[decpt:])
		}
	default:
		b.WriteString(digits[:1])
		if len(digits) > 1 {
			b.WriteByte('.')
			b.WriteString(digits[1:])
		}
		b.WriteByte('e')
		if exp < 0 {
			b.WriteByte('-')
			exp = -exp
		} else {
			b.WriteByte('+')
		}
		if exp < 10 {
			b.WriteByte('0')
		}
		b.WriteString(strconv.Itoa(exp))
	}
	return b.String()
}

// needsEscape marks the bytes Python's json escapes with ensure_ascii=False.
var needsEscape = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'] = true
	t['\\'] = true
	return t
}()

const hexDigits = "0123456789abcdef"

func (e *encoder) string(s string) {
	if e.err != nil {
		return
	}
	if !utf8.ValidString(s) {
		// Output captured from commands may hold bytes that are not UTF-8;
		// a notebook must be UTF-8, so they become U+FFFD.
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	e.byte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !needsEscape[c] {
			continue
		}
		if start < i {
			e.raw(s[start:i])
		}
		switch c {
		case '"':
			e.raw(`\"`)
		case '\\':
			e.raw(`\\`)
		case '\n':
			e.raw(`\n`)
		case '\r':
			e.raw(`\r`)
		case '\t':
			e.raw(`\t`)
		case '\b':
			e.raw(`\b`)
		case '\f':
			e.raw(`\f`)
		default:
			e.raw(`\u00`)
			e.byte(hexDigits[c>>4])
			e.byte(hexDigits[c&0xf])
		}
		start = i + 1
	}
	if start < len(s) {
		e.raw(s[start:])
	}
	e.byte('"')
}
