package notebook

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The notebook's JSON is decoded into plain Go values: map[string]any,
// []any, string, json.Number (the literal as written, so that numbers
// survive a round trip untouched), bool and nil. The same values are what
// metadata maps hold, so callers can read and set metadata without knowing
// about this file.

// maxDepth bounds nesting so that hostile input cannot exhaust the stack;
// Python's json module gives up at a similar depth.
const maxDepth = 1000

type parser struct {
	data  []byte
	pos   int
	depth int
	// nonFinite counts NaN, Infinity and -Infinity literals: not JSON, but
	// Python's json module writes and reads them, so nbformat does too.
	nonFinite int
}

// parseJSON decodes one JSON value that must fill data (surrounding white
// space aside). data must already be valid UTF-8.
// It also returns how many non-finite number literals (NaN, Infinity,
// -Infinity) it read; they are kept as json.Number values.
func parseJSON(data []byte) (any, int, error) {
	p := &parser{data: data}
	p.skipSpace()
	v, err := p.value()
	if err != nil {
		return nil, 0, err
	}
	p.skipSpace()
	if p.pos < len(p.data) {
		return nil, 0, p.errorf("unexpected %s after the top-level value", p.describe())
	}
	return v, p.nonFinite, nil
}

// syntaxError is a JSON error at a byte offset; the caller turns the offset
// into a line and column.
type syntaxError struct {
	offset int
	msg    string
}

func (e *syntaxError) Error() string { return e.msg }

func (p *parser) errorf(format string, args ...any) error {
	return &syntaxError{offset: p.pos, msg: fmt.Sprintf(format, args...)}
}

func (p *parser) describe() string {
	if p.pos >= len(p.data) {
		return "end of input"
	}
	r, _ := utf8.DecodeRune(p.data[p.pos:])
	return fmt.Sprintf("character %q", r)
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value() (any, error) {
	if p.pos >= len(p.data) {
		return nil, p.errorf("unexpected end of input, expecting a value")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.string()
	case c == 'N':
		return p.nonFiniteNumber("NaN")
	case c == 'I':
		return p.nonFiniteNumber("Infinity")
	case c == '-' && p.pos+1 < len(p.data) && p.data[p.pos+1] == 'I':
		return p.nonFiniteNumber("-Infinity")
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	}
	return nil, p.errorf("unexpected %s, expecting a value", p.describe())
}

func (p *parser) literal(word string) error {
	if len(p.data)-p.pos >= len(word) && string(p.data[p.pos:p.pos+len(word)]) == word {
		p.pos += len(word)
		return nil
	}
	return p.errorf("unexpected %s, expecting a value", p.describe())
}

// nonFiniteNumber reads one of the literals Python's json module uses for
// float values JSON cannot express.
func (p *parser) nonFiniteNumber(word string) (any, error) {
	if err := p.literal(word); err != nil {
		return nil, err
	}
	p.nonFinite++
	return json.Number(word), nil
}

// isNonFinite reports whether n is NaN, Infinity or -Infinity.
func isNonFinite(n json.Number) bool {
	return n == "NaN" || n == "Infinity" || n == "-Infinity"
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errorf("values nested more than %d deep", maxDepth)
	}
	return nil
}

func (p *parser) object() (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.pos++ // '{'
	obj := make(map[string]any)
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		p.depth--
		return obj, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.errorf("unexpected %s, expecting a quoted object key", p.describe())
		}
		key, err := p.string()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.errorf("unexpected %s, expecting ':' after object key", p.describe())
		}
		p.pos++
		p.skipSpace()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		obj[key] = v // a repeated key keeps the last value, as Python's json does
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errorf("unexpected end of input, expecting ',' or '}'")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.depth--
			return obj, nil
		default:
			return nil, p.errorf("unexpected %s, expecting ',' or '}'", p.describe())
		}
	}
}

func (p *parser) array() (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.pos++ // '['
	arr := []any{}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		p.depth--
		return arr, nil
	}
	for {
		p.skipSpace()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errorf("unexpected end of input, expecting ',' or ']'")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.depth--
			return arr, nil
		default:
			return nil, p.errorf("unexpected %s, expecting ',' or ']'", p.describe())
		}
	}
}

func (p *parser) string() (string, error) {
	start := p.pos
	p.pos++ // opening quote
	// Fast path: no escapes, one allocation.
	i := p.pos
	for i < len(p.data) {
		c := p.data[i]
		if c == '"' {
			s := string(p.data[p.pos:i])
			p.pos = i + 1
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			p.pos = i
			return "", p.errorf("invalid control character %q in string", rune(c))
		}
		i++
	}
	if i >= len(p.data) {
		p.pos = start
		return "", p.errorf("unterminated string")
	}
	buf := make([]byte, 0, i-p.pos+16)
	buf = append(buf, p.data[p.pos:i]...)
	p.pos = i
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return string(buf), nil
		case c < 0x20:
			return "", p.errorf("invalid control character %q in string", rune(c))
		case c != '\\':
			// Copy the run up to the next quote, escape or control byte.
			j := p.pos + 1
			for j < len(p.data) && p.data[j] != '"' && p.data[j] != '\\' && p.data[j] >= 0x20 {
				j++
			}
			buf = append(buf, p.data[p.pos:j]...)
			p.pos = j
			continue
		}
		// An escape.
		if p.pos+1 >= len(p.data) {
			break
		}
		e := p.data[p.pos+1]
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, n, err := p.unicodeEscape(p.pos)
			if err != nil {
				return "", err
			}
			buf = utf8.AppendRune(buf, r)
			p.pos += n
			continue
		default:
			p.pos++
			return "", p.errorf("invalid escape %q in string", "\\"+string(rune(e)))
		}
		p.pos += 2
	}
	p.pos = start
	return "", p.errorf("unterminated string")
}

// unicodeEscape decodes \uXXXX at at (and a following low surrogate escape
// when the first is a high surrogate). A lone surrogate is an error at its
// place: it is no character, cannot be written as UTF-8 (Jupyter could not
// save it either), and turning it into U+FFFD silently would change the
// text.
func (p *parser) unicodeEscape(at int) (rune, int, error) {
	hex := func(i int) (rune, bool) {
		if i+6 > len(p.data) {
			return 0, false
		}
		v, err := strconv.ParseUint(string(p.data[i+2:i+6]), 16, 32)
		return rune(v), err == nil
	}
	r, ok := hex(at)
	if !ok {
		p.pos = at
		return 0, 0, p.errorf("invalid \\u escape in string")
	}
	if utf16.IsSurrogate(r) {
		if at+12 <= len(p.data) && p.data[at+6] == '\\' && p.data[at+7] == 'u' {
			if r2, ok := hex(at + 6); ok {
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					return dec, 12, nil
				}
			}
		}
		p.pos = at
		return 0, 0, p.errorf("invalid %s escape in string: a lone UTF-16 surrogate is not a character", string(p.data[at:at+6]))
	}
	return r, 6, nil
}

func (p *parser) number() (any, error) {
	start := p.pos
	if p.data[p.pos] == '-' {
		p.pos++
	}
	digits := func() int {
		n := 0
		for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if p.pos < len(p.data) && p.data[p.pos] == '0' {
		p.pos++
	} else if digits() == 0 {
		return nil, p.errorf("invalid number: expecting a digit, found %s", p.describe())
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return nil, p.errorf("invalid number: expecting a digit after '.', found %s", p.describe())
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return nil, p.errorf("invalid number: expecting a digit in the exponent, found %s", p.describe())
		}
	}
	return json.Number(p.data[start:p.pos]), nil
}

// lineCol turns a byte offset into a 1-based line and a 1-based column
// counted in characters, the way editors and Python's json report them.
func lineCol(data []byte, offset int) (line, col int) {
	if offset > len(data) {
		offset = len(data)
	}
	line, lineStart := 1, 0
	for i := 0; i < offset; i++ {
		if data[i] == '\n' {
			line++
			lineStart = i + 1
		}
	}
	return line, utf8.RuneCount(data[lineStart:offset]) + 1
}
