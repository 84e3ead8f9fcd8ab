package gokernel

import (
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"strings"
)

// yaegi decides from a source's first token whether it holds declarations or
// statements, so a cell mixing both is cut into chunks of one kind each.

type chunkKind int

const (
	declChunk chunkKind = iota // import, type, func and method declarations
	stmtChunk                  // everything else, var and const included
)

// chunk is a run of top-level statements of one kind.
type chunk struct {
	Kind chunkKind
	Line int    // 1-based cell line where Src starts
	Col  int    // 1-based column where Src starts
	Src  string // from the first token to the start of the next chunk
	// parsed is the syntax tree check made of a statement chunk, which
	// trailingExpr reads rather than parse the chunk again.
	parsed *parsedChunk
}

// parsedChunk is a statement chunk parsed inside stmtWrapper.
type parsedChunk struct {
	fset *token.FileSet
	file *ast.File
}

// splitChunks cuts Go source into chunks at top-level statement boundaries.
// Source the scanner rejects comes back as one statement chunk, so that the
// syntax check reports the error with its position.
func splitChunks(src string) []chunk {
	fset := token.NewFileSet()
	file := fset.AddFile("cell", -1, len(src))
	var s scanner.Scanner
	bad := false
	s.Init(file, []byte(src), func(token.Position, string) { bad = true }, 0)
	type tok struct {
		off int
		tok token.Token
	}
	var toks []tok
	for {
		pos, t, _ := s.Scan()
		if t == token.EOF {
			break
		}
		toks = append(toks, tok{file.Offset(pos), t})
	}
	if len(toks) == 0 {
		return nil
	}
	at := func(off int) (int, int) {
		p := file.Position(file.Pos(off))
		return p.Line, p.Column
	}
	if bad {
		line, col := at(toks[0].off)
		return []chunk{{Kind: stmtChunk, Line: line, Col: col, Src: src[toks[0].off:]}}
	}
	var chunks []chunk
	depth, first := 0, 0
	for i := 0; i <= len(toks); i++ {
		end := i == len(toks)
		if !end {
			switch toks[i].tok {
			case token.LPAREN, token.LBRACE, token.LBRACK:
				depth++
			case token.RPAREN, token.RBRACE, token.RBRACK:
				depth--
			}
			if !(toks[i].tok == token.SEMICOLON && depth == 0) {
				continue
			}
		}
		last := i + 1
		if end {
			last = i
		}
		if last <= first {
			continue
		}
		stmt := make([]token.Token, 0, last-first)
		for _, t := range toks[first:last] {
			stmt = append(stmt, t.tok)
		}
		kind := classify(stmt)
		stop := len(src)
		if last < len(toks) {
			stop = toks[last].off
		}
		if n := len(chunks); n > 0 && chunks[n-1].Kind == kind {
			c := &chunks[n-1]
			c.Src = src[offsetOf(src, c.Line, c.Col):stop]
		} else {
			line, col := at(toks[first].off)
			chunks = append(chunks, chunk{Kind: kind, Line: line, Col: col, Src: src[toks[first].off:stop]})
		}
		first = last
	}
	return chunks
}

// offsetOf returns the byte offset of a 1-based line and column in src.
func offsetOf(src string, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		nl := strings.IndexByte(src[off:], '\n')
		if nl < 0 {
			return len(src)
		}
		off += nl + 1
	}
	return min(off+col-1, len(src))
}

// classify tells a declaration yaegi must see at file level from a
// statement. var and const stay statements: at file level yaegi reports a
// "variable definition loop" when their initializer names an earlier global,
// and inside the REPL's main they are global anyway.
func classify(stmt []token.Token) chunkKind {
	switch stmt[0] {
	case token.IMPORT, token.TYPE:
		return declChunk
	case token.FUNC:
		if len(stmt) > 1 && stmt[1] == token.IDENT {
			return declChunk
		}
		if len(stmt) > 1 && stmt[1] == token.LPAREN {
			// A method has a receiver list followed by a name; a function
			// literal has parameters followed by results or a body.
			depth := 0
			for j := 1; j < len(stmt); j++ {
				switch stmt[j] {
				case token.LPAREN:
					depth++
				case token.RPAREN:
					depth--
					if depth == 0 {
						if j+2 < len(stmt) && stmt[j+1] == token.IDENT && (stmt[j+2] == token.LPAREN || stmt[j+2] == token.LBRACK) {
							return declChunk
						}
						return stmtChunk
					}
				}
			}
		}
	}
	return stmtChunk
}

// evalSource is what yaegi gets for a chunk: a statement chunk starts with a
// semicolon so yaegi never takes it for a file, and every chunk is moved down
// to its cell line plus one (line one belongs to yaegi's wrapper), keeping
// its column.
func (c chunk) evalSource() string {
	return padTo(c.Kind, c.Line, c.Col, c.Src)
}

func padTo(kind chunkKind, line, col int, src string) string {
	var b strings.Builder
	if kind == stmtChunk {
		b.WriteByte(';')
	}
	b.WriteString(strings.Repeat("\n", line))
	b.WriteString(strings.Repeat(" ", col-1))
	b.WriteString(src)
	return b.String()
}

// checkSyntax parses a chunk with go/parser so that a syntax error anywhere
// in the cell is reported before any of it runs. Positions are cell lines.
func (c chunk) checkSyntax() error {
	return c.check()
}

// check is checkSyntax keeping the syntax tree of a statement chunk for
// trailingExpr.
func (c *chunk) check() error {
	if c.Kind == declChunk {
		pad := strings.Repeat("\n", c.Line-1) + strings.Repeat(" ", c.Col-1)
		_, err := parser.ParseFile(token.NewFileSet(), "", "package p;"+pad+c.Src, parser.SkipObjectResolution)
		return err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", c.stmtWrapper()+c.Src+"\n}", parser.SkipObjectResolution)
	if err == nil {
		c.parsed = &parsedChunk{fset: fset, file: f}
	}
	return err
}

// stmtWrapper is what a statement chunk is parsed after: a function
// around it, and padding that keeps its positions the cell's own.
func (c chunk) stmtWrapper() string {
	return "package p; func _() {" + strings.Repeat("\n", c.Line-1) + strings.Repeat(" ", c.Col-1)
}

// trailingExpr splits a statement chunk whose last statement is an
// expression into the statements before it and the expression.
func (c chunk) trailingExpr() (head chunk, expr chunk, ok bool) {
	if c.Kind != stmtChunk {
		return chunk{}, chunk{}, false
	}
	prefix := c.stmtWrapper()
	if c.parsed == nil {
		if err := c.check(); err != nil {
			return chunk{}, chunk{}, false
		}
	}
	fset, f := c.parsed.fset, c.parsed.file
	if len(f.Decls) != 1 {
		return chunk{}, chunk{}, false
	}
	fn, isFunc := f.Decls[0].(*ast.FuncDecl)
	if !isFunc || fn.Body == nil || len(fn.Body.List) == 0 {
		return chunk{}, chunk{}, false
	}
	es, isExpr := fn.Body.List[len(fn.Body.List)-1].(*ast.ExprStmt)
	if !isExpr {
		return chunk{}, chunk{}, false
	}
	start := fset.Position(es.Pos())
	stop := fset.Position(es.End())
	from, to := start.Offset-len(prefix), stop.Offset-len(prefix)
	if from < 0 || to > len(c.Src) || from > to {
		return chunk{}, chunk{}, false
	}
	head = chunk{Kind: stmtChunk, Line: c.Line, Col: c.Col, Src: c.Src[:from]}
	expr = chunk{Kind: stmtChunk, Line: start.Line, Col: start.Column, Src: c.Src[from:to]}
	return head, expr, true
}

// pureCallee returns the callee of a call expression when it is a name or a
// selector chain, which can be evaluated alone without side effects to learn
// the function's signature.
func pureCallee(expr string) (string, bool) {
	fset := token.NewFileSet()
	e, err := parser.ParseExprFrom(fset, "", expr, parser.SkipObjectResolution)
	if err != nil {
		return "", false
	}
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok {
		return "", false
	}
	var pure func(ast.Expr) bool
	pure = func(e ast.Expr) bool {
		switch x := e.(type) {
		case *ast.Ident:
			return true
		case *ast.SelectorExpr:
			return pure(x.X)
		}
		return false
	}
	if !pure(call.Fun) {
		return "", false
	}
	from, to := fset.Position(call.Fun.Pos()).Offset, fset.Position(call.Fun.End()).Offset
	if from < 0 || to > len(expr) || from > to {
		return "", false
	}
	return expr[from:to], true
}
