package jupyter

import (
	"bytes"
	"encoding/json"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// decodeStream returns the name and text of a stream message's content, as
// json.Unmarshal into streamContent would, without its two copies of the
// text (the unescaped bytes, then the string made of them): a cell that
// prints megabytes gets them in messages of megabytes. It unescapes the
// text in place and returns a string that shares content's memory, so it
// consumes content: the caller must not use content again, and nothing else
// may hold it (a frame zmq4 allocated for this message alone). Content that
// the fast path does not cover (invalid UTF-8, which json.Unmarshal
// replaces, growing the text) goes through json.Unmarshal.
func decodeStream(content []byte) (s streamContent, ok bool) {
	if !json.Valid(content) {
		return s, false
	}
	name, text, fast := findStreamFields(content)
	if !fast {
		var slow streamContent
		err := json.Unmarshal(content, &slow)
		return slow, err == nil
	}
	if name != nil {
		s.Name = string(name[:unquoteInPlace(name)])
	}
	if text != nil {
		n := unquoteInPlace(text)
		// The bytes are never written again (see above).
		s.Text = unsafe.String(unsafe.SliceData(text), n)
	}
	return s, true
}

// findStreamFields finds the string bodies of the keys that json.Unmarshal
// would put in streamContent's Name and Text (the last of each, keys
// matched as json matches field names), in content that json.Valid
// accepted, without their quotes. fast is false when decodeStream must
// leave the content to json.Unmarshal: not an object, a value that is not
// a string or null, invalid UTF-8, an escaped key.
func findStreamFields(content []byte) (name, text []byte, fast bool) {
	i := skipSpace(content, 0)
	if i >= len(content) || content[i] != '{' {
		return nil, nil, false
	}
	i = skipSpace(content, i+1)
	for i < len(content) && content[i] != '}' {
		if content[i] == ',' {
			i = skipSpace(content, i+1)
		}
		end := stringEnd(content, i)
		key := content[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 || !utf8.Valid(key) {
			return nil, nil, false
		}
		i = skipSpace(content, end)
		i = skipSpace(content, i+1) // the colon
		vend := valueEnd(content, i)
		value := content[i:vend]
		switch {
		case bytes.EqualFold(key, []byte("name")):
			if name, fast = stringBody(value, name); !fast {
				return nil, nil, false
			}
		case bytes.EqualFold(key, []byte("text")):
			if text, fast = stringBody(value, text); !fast {
				return nil, nil, false
			}
		}
		i = skipSpace(content, vend)
	}
	return name, text, true
}

// stringBody returns the body of the JSON string value, or was for null
// (json.Unmarshal leaves the field as it was); ok is false for any other
// value and for invalid UTF-8.
func stringBody(value, was []byte) (body []byte, ok bool) {
	switch {
	case bytes.Equal(value, []byte("null")):
		return was, true
	case value[0] != '"' || !utf8.Valid(value):
		return nil, false
	}
	return value[1 : len(value)-1], true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the closing quote of the string that
// starts at b[i].
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// valueEnd returns the index after the JSON value that starts at b[i].
func valueEnd(b []byte, i int) int {
	if b[i] == '"' {
		return stringEnd(b, i)
	}
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			i = stringEnd(b, i) - 1
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case ',':
			if depth == 0 {
				return i
			}
		case ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

// unquoteInPlace unescapes the body of a JSON string (valid JSON, valid
// UTF-8) over itself, the way encoding/json does, and returns its new
// length: every escape is at least as long as what it stands for.
func unquoteInPlace(b []byte) int {
	r := bytes.IndexByte(b, '\\')
	if r < 0 {
		return len(b)
	}
	w := r
	for r < len(b) {
		c := b[r]
		if c != '\\' {
			b[w] = c
			r++
			w++
			continue
		}
		r++
		switch b[r] {
		case 'b':
			b[w] = '\b'
		case 'f':
			b[w] = '\f'
		case 'n':
			b[w] = '\n'
		case 'r':
			b[w] = '\r'
		case 't':
			b[w] = '\t'
		case 'u':
			rr := hex4(b[r+1:])
			r += 5
			if utf16.IsSurrogate(rr) {
				if r+1 < len(b) && b[r] == '\\' && b[r+1] == 'u' {
					if dec := utf16.DecodeRune(rr, hex4(b[r+2:])); dec != unicode.ReplacementChar {
						r += 6
						w += utf8.EncodeRune(b[w:], dec)
						continue
					}
				}
				rr = unicode.ReplacementChar
			}
			w += utf8.EncodeRune(b[w:], rr)
			continue
		default: // '"', '\\', '/'
			b[w] = b[r]
		}
		r++
		w++
	}
	return w
}

// hex4 decodes the four hex digits at the start of b (valid JSON has
// them).
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}
