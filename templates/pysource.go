package templates

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// pyLine is one logical line of a Python cell (IPython syntax allowed): a
// statement with its bracketed and backslash continuations, a comment-only
// line, or a shell/magic line. Offsets are bytes into the cell source.
type pyLine struct {
	start, end int // the line, without its final newline
	line       int // 1-based number of its first physical line
	indent     int // bytes of leading white space
	codeEnd    int // after the last byte of code; start+indent when there is none
	comment    int // start of the comment after the code, or -1
	magic      bool
}

// code returns the line's code, without indentation and trailing comment.
func (l pyLine) code(src string) string { return src[l.start+l.indent : l.codeEnd] }

// commentText returns the trailing (or only) comment without its #.
func (l pyLine) commentText(src string) string {
	if l.comment < 0 {
		return ""
	}
	return strings.TrimSpace(src[l.comment+1 : l.end])
}

// splitPyLines splits a cell into logical lines the way Python's tokenizer
// joins them (brackets, backslashes, triple-quoted strings), treating
// IPython's `!cmd`, `x = !cmd` and `%magic` lines as opaque text. It reads
// only as much Python as parameters cells need; an unterminated string or
// bracket is an error at the line it starts on.
func splitPyLines(src string) ([]pyLine, error) {
	var lines []pyLine
	i, lineNo := 0, 1
	for i < len(src) {
		l := pyLine{start: i, line: lineNo, comment: -1}
		for i < len(src) && (src[i] == ' ' || src[i] == '\t' || src[i] == '\f') {
			i++
		}
		l.indent = i - l.start
		l.codeEnd = i
		depth := 0
		var opens []int // lines of open brackets, for errors
		lastSig := byte(0)
		prevSig := byte(0)
		atStart := true
	scan:
		for i < len(src) {
			c := src[i]
			switch {
			case c == '\n' || c == '\r':
				nl := 1
				if c == '\r' && i+1 < len(src) && src[i+1] == '\n' {
					nl = 2
				}
				if depth > 0 {
					i += nl
					lineNo++
					continue
				}
				break scan
			case c == '\\' && i+1 < len(src) && (src[i+1] == '\n' || src[i+1] == '\r'):
				i++
				if src[i] == '\r' && i+1 < len(src) && src[i+1] == '\n' {
					i++
				}
				i++
				lineNo++
				continue
			case c == ' ' || c == '\t' || c == '\f':
				i++
				continue
			case c == '#':
				l.comment = i
				for i < len(src) && src[i] != '\n' && src[i] != '\r' {
					i++
				}
				continue
			case (c == '!' && (i+1 >= len(src) || src[i+1] != '=')) ||
				(c == '%' || c == '?') && (atStart || (lastSig == '=' && !strings.ContainsRune("=!<>+-*/%&|^@:", rune(prevSig)))):
				// Shell, magic or help syntax: the rest of the line (and its
				// backslash continuations) is not Python.
				l.magic = true
				for i < len(src) {
					if src[i] == '\n' || src[i] == '\r' {
						if i > 0 && src[i-1] == '\\' {
							if src[i] == '\r' && i+1 < len(src) && src[i+1] == '\n' {
								i++
							}
							i++
							lineNo++
							continue
						}
						break
					}
					i++
				}
				l.codeEnd = i
				break scan
			case c == '\'' || c == '"':
				end, n, err := skipPyString(src, i)
				if err != nil {
					return nil, &ParamError{Line: lineNo, Msg: err.Error()}
				}
				i, lineNo = end, lineNo+n
				l.codeEnd, l.comment = i, -1
				prevSig, lastSig, atStart = lastSig, c, false
				continue
			case strings.IndexByte("([{", c) >= 0:
				depth++
				opens = append(opens, lineNo)
			case strings.IndexByte(")]}", c) >= 0:
				if depth == 0 {
					return nil, &ParamError{Line: lineNo, Msg: fmt.Sprintf("unmatched %q", c)}
				}
				depth--
				opens = opens[:len(opens)-1]
			}
			i++
			l.codeEnd, l.comment = i, -1
			prevSig, lastSig, atStart = lastSig, c, false
		}
		if depth > 0 {
			return nil, &ParamError{Line: opens[len(opens)-1], Msg: "bracket never closed"}
		}
		l.end = i
		lines = append(lines, l)
		if i < len(src) {
			if src[i] == '\r' && i+1 < len(src) && src[i+1] == '\n' {
				i++
			}
			i++
			lineNo++
		}
	}
	return lines, nil
}

// skipPyString returns the offset after the string literal starting at i
// (a quote; a prefix such as f or rb is scanned as a name before it) and how
// many newlines it spans.
func skipPyString(src string, i int) (end, newlines int, err error) {
	q := src[i]
	triple := strings.HasPrefix(src[i:], strings.Repeat(string(q), 3))
	j := i + 1
	if triple {
		j = i + 3
	}
	for j < len(src) {
		c := src[j]
		switch {
		case c == '\\' && j+1 < len(src):
			if src[j+1] == '\n' {
				newlines++
			}
			j += 2
			continue
		case c == '\n':
			if !triple {
				return 0, 0, fmt.Errorf("string never closed")
			}
			newlines++
		case c == q:
			if !triple {
				return j + 1, newlines, nil
			}
			if strings.HasPrefix(src[j:], strings.Repeat(string(q), 3)) {
				return j + 3, newlines, nil
			}
		}
		j++
	}
	return 0, 0, fmt.Errorf("string never closed")
}

// The regular expressions of this package are compiled on first use, not
// at package init: every ocs process would pay for them at start.

// pyAssign matches the start of `name = value` (not `==`).
var pyAssign = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)[ \t]*(?::[^=]*)?=([^=]|$)`)
})

// pyKeywords cannot be assigned to.
var pyKeywords = map[string]bool{
	"False": true, "None": true, "True": true, "and": true, "as": true, "assert": true, "async": true,
	"await": true, "break": true, "class": true, "continue": true, "def": true, "del": true, "elif": true,
	"else": true, "except": true, "finally": true, "for": true, "from": true, "global": true, "if": true,
	"import": true, "in": true, "is": true, "lambda": true, "nonlocal": true, "not": true, "or": true,
	"pass": true, "raise": true, "return": true, "try": true, "while": true, "with": true, "yield": true,
}

// assignment reads `name = value` from code (one logical line without its
// indentation); valueAt is the offset of the value in code, after the `=`.
func assignment(code string) (name, annotation string, valueAt int, ok bool) {
	m := pyAssign().FindStringSubmatchIndex(code)
	if m == nil || pyKeywords[code[m[2]:m[3]]] {
		return "", "", 0, false
	}
	name = code[m[2]:m[3]]
	eq := m[4] - 1 // the = (the match ends one byte after it, or at the end)
	if m[5] == m[4] {
		eq = len(code) - 1
	}
	if rest := strings.TrimSpace(code[m[3]:eq]); strings.HasPrefix(rest, ":") {
		annotation = strings.TrimSpace(rest[1:])
	}
	return name, annotation, eq + 1, true
}

// pyType names the Python type of a default written as source text, the
// way --help-params shows it; "" when it is not a plain literal.
func pyType(v string) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "True" || v == "False":
		return "bool"
	case v == "None":
		return "None"
	case v == "":
		return ""
	case pyInt().MatchString(v):
		return "int"
	case pyFloat().MatchString(v):
		return "float"
	case isPyString(v):
		return "str"
	}
	switch v[0] {
	case '[':
		return "list"
	case '{':
		if v == "{}" || strings.Contains(v, ":") {
			return "dict"
		}
		return "set"
	case '(':
		return "tuple"
	}
	return ""
}

var (
	pyInt = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[-+]?(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*)$`)
	})
	pyFloat = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[-+]?([0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*|[0-9][0-9_]*)([eE][-+]?[0-9_]+)?$`)
	})
	pyStr = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?i:[rbuf]{0,2})['"]`) })
)

// isPyString reports whether v is one string literal, nothing more.
func isPyString(v string) bool {
	m := pyStr().FindStringIndex(v)
	if m == nil {
		return false
	}
	end, _, err := skipPyString(v, m[1]-1)
	return err == nil && end == len(v)
}
