package gokernel

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// This file turns a notebook cell (Go with IPython-style `!` lines and
// magics) into plain Go that calls the shell bridge. It keeps the cell's line
// structure, so positions yaegi reports are the cell's own.

// The names under which the worker imports the bridge and fmt into the
// session. Cell code cannot clash with them by accident.
const (
	bridgeName = "__ocs"
	fmtName    = "__ocsfmt"
)

// segment is a run of cell lines that is either Go code or a %run directive.
// %run loads declarations into the session, which cannot happen from inside
// an Eval, so it cuts the cell into pieces evaluated one after the other.
type segment struct {
	// Go is the rewritten code of the segment, preceded by blank lines so
	// that its line numbers are the cell's.
	Go string
	// RunPath is, for a %run directive, a Go expression that yields the
	// file's path; Line is the directive's line (1-based).
	RunPath string
	Line    int
}

// RewriteError is a cell that cannot be rewritten: an unknown magic or a
// malformed one. Line is 1-based.
type RewriteError struct {
	Line int
	Msg  string
}

func (e *RewriteError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

var (
	captureRE = regexp.MustCompile(`^(\s*)([A-Za-z_][A-Za-z_0-9]*)\s*(:=|=)\s*(!|%sx\b)(.*)$`)
	magicRE   = regexp.MustCompile(`^%([A-Za-z_]+)\s*(.*)$`)
)

// rewriteCell rewrites a cell into segments. It is deterministic and never
// panics on any input.
func rewriteCell(src string) ([]segment, error) {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	lines := strings.Split(src, "\n")
	if strings.HasPrefix(lines[0], "%%") {
		code, err := rewriteCellMagic(lines)
		if err != nil {
			return nil, err
		}
		return []segment{{Go: code}}, nil
	}
	out := make([]string, len(lines))
	var segs []segment
	segStart := 0
	flush := func(end int) {
		var b strings.Builder
		b.WriteString(strings.Repeat("\n", segStart))
		b.WriteString(strings.Join(out[segStart:end], "\n"))
		if strings.TrimSpace(b.String()) != "" {
			segs = append(segs, segment{Go: b.String()})
		}
	}
	var st lexState
	st.stmtStart = true
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if st.inRaw || st.inComment || !st.stmtStart {
			out[i] = line
			st.scan(line)
			continue
		}
		trimmed := strings.TrimLeft(line, " \t")
		indent := line[:len(line)-len(trimmed)]
		switch {
		case strings.HasPrefix(trimmed, "!"):
			text, last := joinContinuations(lines, i, trimmed[1:])
			out[i] = indent + bridgeName + ".Sh(" + interpolationArgs(text) + ")"
			i = last
			continue
		case strings.HasPrefix(trimmed, "%"):
			m := magicRE.FindStringSubmatch(trimmed)
			if m == nil {
				return nil, &RewriteError{Line: i + 1, Msg: fmt.Sprintf("malformed magic %q", trimmed)}
			}
			name := m[1]
			arg, last := joinContinuations(lines, i, m[2])
			arg = strings.TrimSpace(arg)
			switch name {
			case "cd":
				if arg == "" {
					return nil, &RewriteError{Line: i + 1, Msg: "%cd needs a directory"}
				}
				out[i] = indent + bridgeName + ".Cd(" + bridgeName + ".Join(" + interpolationArgs(arg) + "))"
			case "env":
				out[i] = indent + bridgeName + ".Env(" + bridgeName + ".Join(" + interpolationArgs(arg) + "))"
			case "sx":
				out[i] = indent + captureCall(arg)
			case "run":
				if st.depth != 0 || indent != "" {
					return nil, &RewriteError{Line: i + 1, Msg: "%run must be at the top level of the cell, not inside a block"}
				}
				if arg == "" {
					return nil, &RewriteError{Line: i + 1, Msg: "%run needs a file"}
				}
				flush(i)
				segs = append(segs, segment{RunPath: bridgeName + ".Join(" + interpolationArgs(arg) + ")", Line: i + 1})
				segStart = last + 1
			default:
				return nil, &RewriteError{Line: i + 1, Msg: fmt.Sprintf("unknown magic %q (the Go kernel knows %%cd, %%env, %%run, %%sx and the cell magics %%%%bash, %%%%sh, %%%%writefile)", "%"+name)}
			}
			i = last
			continue
		}
		if m := captureRE.FindStringSubmatch(line); m != nil {
			rest := m[5]
			if m[4] == "!" && isGoNegation("!"+rest) {
				// `ok := !done` is Go; %sx is the unambiguous spelling.
				out[i] = line
				st.scan(line)
				continue
			}
			text, last := joinContinuations(lines, i, strings.TrimLeft(rest, " \t"))
			out[i] = m[1] + m[2] + " " + m[3] + " " + captureCall(text)
			i = last
			st.stmtStart = true
			continue
		}
		out[i] = line
		st.scan(line)
	}
	flush(len(lines))
	return segs, nil
}

// rewriteCellMagic handles a cell whose first line is a %% magic.
func rewriteCellMagic(lines []string) (string, error) {
	fields := strings.Fields(lines[0][2:])
	if len(fields) == 0 {
		return "", &RewriteError{Line: 1, Msg: "empty cell magic"}
	}
	body := strings.Join(lines[1:], "\n")
	switch fields[0] {
	case "bash", "sh":
		if len(fields) > 1 {
			return "", &RewriteError{Line: 1, Msg: fmt.Sprintf("%%%%%s takes no arguments", fields[0])}
		}
		return bridgeName + ".Script(" + strconv.Quote(fields[0]) + ", " + strconv.Quote(body) + ")", nil
	case "writefile":
		rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[0][2:]), "writefile"))
		appendMode := false
		if rest == "-a" || strings.HasPrefix(rest, "-a ") || strings.HasPrefix(rest, "-a\t") {
			appendMode = true
			rest = strings.TrimSpace(rest[2:])
		}
		if rest == "" {
			return "", &RewriteError{Line: 1, Msg: "%%writefile needs a path"}
		}
		if body != "" && !strings.HasSuffix(body, "\n") {
			body += "\n"
		}
		return bridgeName + ".WriteFile(" + bridgeName + ".Join(" + interpolationArgs(rest) + "), " +
			strconv.FormatBool(appendMode) + ", " + strconv.Quote(body) + ")", nil
	}
	if _, ok := lookupMagic(fields[0]); ok {
		rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[0][2:]), fields[0]))
		return bridgeName + ".Magic(" + strconv.Quote(fields[0]) + ", " + bridgeName + ".Join(" + interpolationArgs(rest) + "), " + strconv.Quote(body) + ")", nil
	}
	return "", &RewriteError{Line: 1, Msg: fmt.Sprintf("unknown cell magic %q (the Go kernel knows %%%%bash, %%%%sh, %%%%writefile%s)", "%%"+fields[0], registeredMagics())}
}

// joinContinuations joins lines ending in a backslash, as IPython does for
// shell lines. It returns the joined text and the index of the last line used.
func joinContinuations(lines []string, i int, first string) (string, int) {
	text := first
	for strings.HasSuffix(text, `\`) && i+1 < len(lines) {
		i++
		text = strings.TrimRight(strings.TrimSuffix(text, `\`), " \t") + " " + strings.TrimLeft(lines[i], " \t")
	}
	return text, i
}

// captureCall converts the bridge's []string to the interpreter's own slice
// type: yaegi cannot index a global whose type came from a host function
// ("constant definition loop").
func captureCall(command string) string {
	return "[]string(" + bridgeName + ".Capture(" + interpolationArgs(command) + "))"
}

// isGoNegation tells `ok := !done` (Go) from `out := !cmd args` (capture).
// Many commands parse as Go too (`echo {n}` is a composite literal, `ls -la`
// a subtraction), so only the shapes a Go negation takes count as Go: a
// negated name, selector, call, index or parenthesis, possibly combined
// with logical or comparison operators.
func isGoNegation(s string) bool {
	e, err := parser.ParseExpr(s)
	if err != nil {
		return false
	}
	var goish func(ast.Expr) bool
	goish = func(e ast.Expr) bool {
		switch x := e.(type) {
		case *ast.UnaryExpr:
			if x.Op != token.NOT {
				return false
			}
			switch x.X.(type) {
			case *ast.Ident, *ast.SelectorExpr, *ast.CallExpr, *ast.IndexExpr, *ast.ParenExpr:
				return true
			}
			return false
		case *ast.BinaryExpr:
			switch x.Op {
			case token.LAND, token.LOR, token.EQL, token.NEQ:
				return goish(x.X)
			}
		}
		return false
	}
	return goish(e)
}

func isGoExpr(s string) bool {
	_, err := parser.ParseExpr(s)
	return err == nil
}

// part is a piece of an interpolated string: literal text or a Go expression.
type part struct {
	text   string
	isExpr bool
}

// interpolate splits s at {expr} references, IPython style: {{ and }} are
// literal braces, a brace after $ is the shell's own (${VAR}), and a {...}
// that is not a Go expression stays literal text.
func interpolate(s string) []part {
	var parts []part
	var lit strings.Builder
	flushLit := func() {
		if lit.Len() > 0 {
			parts = append(parts, part{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '{' && i+1 < len(s) && s[i+1] == '{':
			lit.WriteByte('{')
			i += 2
		case c == '}' && i+1 < len(s) && s[i+1] == '}':
			lit.WriteByte('}')
			i += 2
		case c == '{' && i > 0 && s[i-1] == '$':
			lit.WriteByte('{')
			i++
		case c == '{':
			end := matchingBrace(s, i)
			if end < 0 {
				lit.WriteString(s[i:])
				i = len(s)
				continue
			}
			expr := s[i+1 : end]
			if strings.TrimSpace(expr) == "" || !isGoExpr(expr) {
				lit.WriteString(s[i : end+1])
			} else {
				flushLit()
				parts = append(parts, part{text: strings.TrimSpace(expr), isExpr: true})
			}
			i = end + 1
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flushLit()
	return parts
}

// matchingBrace returns the index of the brace closing the one at open,
// skipping Go string and rune literals, or -1.
func matchingBrace(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		case '"', '\'':
			q := s[i]
			for i++; i < len(s) && s[i] != q; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		case '`':
			for i++; i < len(s) && s[i] != '`'; i++ {
			}
		}
	}
	return -1
}

// interpolationArgs renders s as the argument list of a bridge call: string
// literals and fmt.Sprint of each expression, evaluated in the interpreter so
// that String methods of interpreted types apply.
func interpolationArgs(s string) string {
	parts := interpolate(s)
	if len(parts) == 0 {
		return `""`
	}
	args := make([]string, len(parts))
	for i, p := range parts {
		if p.isExpr {
			args[i] = fmtName + ".Sprint(" + p.text + ")"
		} else {
			args[i] = strconv.Quote(p.text)
		}
	}
	return strings.Join(args, ", ")
}

// lexState follows Go code line by line just far enough to know whether the
// next line starts a new statement: only there can a `!` or `%` begin a
// shell line or magic, since after an operator it continues an expression.
type lexState struct {
	inRaw     bool // inside a raw string literal spanning lines
	inComment bool // inside a /* */ comment spanning lines
	depth     int  // bracket depth
	stmtStart bool // the next line starts a statement
}

var statementEndKeywords = map[string]bool{"break": true, "continue": true, "fallthrough": true, "return": true}

var goKeywords = map[string]bool{
	"break": true, "case": true, "chan": true, "const": true, "continue": true, "default": true,
	"defer": true, "else": true, "fallthrough": true, "for": true, "func": true, "go": true, "goto": true,
	"if": true, "import": true, "interface": true, "map": true, "package": true, "range": true,
	"return": true, "select": true, "struct": true, "switch": true, "type": true, "var": true,
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 0x80 || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// scan advances the state over one line of Go code.
func (st *lexState) scan(line string) {
	for i := 0; i < len(line); {
		if st.inComment {
			end := strings.Index(line[i:], "*/")
			if end < 0 {
				return
			}
			st.inComment = false
			i += end + 2
			continue
		}
		if st.inRaw {
			end := strings.IndexByte(line[i:], '`')
			if end < 0 {
				return
			}
			st.inRaw = false
			st.stmtStart = true
			i += end + 1
			continue
		}
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case strings.HasPrefix(line[i:], "//"):
			return
		case strings.HasPrefix(line[i:], "/*"):
			st.inComment = true
			i += 2
		case c == '`':
			st.inRaw = true
			i++
		case c == '"' || c == '\'':
			for i++; i < len(line) && line[i] != c; i++ {
				if line[i] == '\\' {
					i++
				}
			}
			i++
			st.stmtStart = true
		case isWordByte(c):
			j := i
			for j < len(line) && isWordByte(line[j]) {
				j++
			}
			w := line[i:j]
			st.stmtStart = !goKeywords[w] || statementEndKeywords[w]
			i = j
		case c == '(' || c == '[' || c == '{':
			st.depth++
			st.stmtStart = c == '{'
			i++
		case c == ')' || c == ']' || c == '}':
			if st.depth > 0 {
				st.depth--
			}
			st.stmtStart = true
			i++
		case c == ';' || c == ':':
			st.stmtStart = true
			i++
		case (c == '+' || c == '-') && i+1 < len(line) && line[i+1] == c:
			st.stmtStart = true
			i += 2
		default:
			st.stmtStart = false
			i++
		}
	}
}

// registeredMagics lists the host packages' cell magics for an error message.
func registeredMagics() string {
	magicsMu.Lock()
	defer magicsMu.Unlock()
	names := make([]string, 0, len(magics))
	for n := range magics {
		names = append(names, "%%"+n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return ""
	}
	return ", " + strings.Join(names, ", ")
}
