package templates

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// ParsePyParams reads the defaults of a Python cell tagged "parameters",
// papermill's convention: top-level `name = value  # help` lines, the
// comment beside a default being its help, `name: type = value` typed by
// its annotation. Other statements may stand in the cell (papermill runs it
// as it is) and declare nothing; a name assigned twice keeps its first line
// and its last default, the value the cell leaves behind.
func ParsePyParams(src string) ([]Param, error) {
	lines, err := splitPyLines(src)
	if err != nil {
		return nil, err
	}
	var params []Param
	at := map[string]int{}
	for _, l := range lines {
		if l.indent > 0 || l.magic {
			continue
		}
		code := l.code(src)
		name, annotation, valueAt, ok := assignment(code)
		if !ok {
			continue
		}
		value := strings.TrimSpace(code[valueAt:])
		if value == "" {
			return nil, &ParamError{Line: l.line, Msg: fmt.Sprintf("parameter %q has no value (an empty placeholder belongs in a cell tagged %q)", name, VCPParametersTag)}
		}
		p := Param{Name: name, Type: pyType(value), Default: value, Help: l.commentText(src), Line: l.line}
		if annotation != "" {
			p.Type = annotation
		}
		if i, seen := at[name]; seen {
			params[i].Default, params[i].Type = p.Default, p.Type
			continue
		}
		at[name] = len(params)
		params = append(params, p)
	}
	return params, nil
}

// PyDict is a Python dict literal whose keys keep the order they were
// given in (a mapping in a parameters file).
type PyDict []PyItem

// PyItem is one key and value of a PyDict.
type PyItem struct {
	Key   any
	Value any
}

// PyResolve types a -p value the way papermill does: True, False and None
// by name, then an int, then a float, and anything else stays a string.
func PyResolve(raw string) any {
	switch raw {
	case "True":
		return true
	case "False":
		return false
	case "None":
		return nil
	}
	s := strings.TrimSpace(raw)
	if pyIntText().MatchString(s) {
		n, ok := new(big.Int).SetString(strings.ReplaceAll(strings.TrimPrefix(s, "+"), "_", ""), 10)
		if ok {
			return n
		}
	}
	if pyFloatText().MatchString(s) {
		f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
		if err == nil || math.IsInf(f, 0) {
			return f
		}
	}
	return raw
}

// What Python's int() and float() accept (ASCII digits only).
var (
	pyIntText   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[-+]?[0-9](_?[0-9])*$`) })
	pyFloatText = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[-+]?(((([0-9](_?[0-9])*)?\.[0-9](_?[0-9])*|[0-9](_?[0-9])*\.?)([eE][-+]?[0-9](_?[0-9])*)?)|(?i:inf|infinity|nan))$`)
	})
)

// PyLiteral writes v as Python source: nil, bool, the Go integer types,
// *big.Int, float64, string, []any, map[string]any (keys sorted) and
// PyDict. The text is one line whatever the value holds.
func PyLiteral(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "None", nil
	case bool:
		if v {
			return "True", nil
		}
		return "False", nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	case *big.Int:
		return v.String(), nil
	case float64:
		return pyFloatLiteral(v), nil
	case string:
		return pyStringLiteral(v)
	case []any:
		items := make([]string, len(v))
		for i, x := range v {
			s, err := PyLiteral(x)
			if err != nil {
				return "", err
			}
			items[i] = s
		}
		return "[" + strings.Join(items, ", ") + "]", nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		d := make(PyDict, len(keys))
		for i, k := range keys {
			d[i] = PyItem{Key: k, Value: v[k]}
		}
		return PyLiteral(d)
	case PyDict:
		items := make([]string, len(v))
		for i, kv := range v {
			k, err := PyLiteral(kv.Key)
			if err != nil {
				return "", err
			}
			val, err := PyLiteral(kv.Value)
			if err != nil {
				return "", err
			}
			items[i] = k + ": " + val
		}
		return "{" + strings.Join(items, ", ") + "}", nil
	}
	return "", fmt.Errorf("a %T cannot be written as a Python value", v)
}

// pyFloatLiteral writes f so that Python reads it back as the same float
// (and as a float: 100.0, not 100).
func pyFloatLiteral(f float64) string {
	switch {
	case math.IsNaN(f):
		return "float('nan')"
	case math.IsInf(f, 1):
		return "float('inf')"
	case math.IsInf(f, -1):
		return "float('-inf')"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// pyStringLiteral writes s the way Python's repr() would: single quotes
// unless s holds one and no double quote, and every character that is not
// printable, or that IPython would take as a line break, escaped.
func pyStringLiteral(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("the value is not valid UTF-8 text")
	}
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == '\\' || r == rune(q):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == '\u2028' || r == '\u2029' || !unicode.IsPrint(r) && r != ' ':
			if r > 0xffff {
				fmt.Fprintf(&b, `\U%08x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String(), nil
}
