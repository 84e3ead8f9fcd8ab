package gokernel

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"strconv"
	"strings"
)

// yaegi rejects a second import of a package already imported into the
// session ("fmt/_.go redeclared in this block"), which would make every
// re-run of a cell with imports fail. The worker remembers the session's
// imports and blanks repeated ones out of a declaration chunk.

// importKey identifies an import by its local name and path.
type importKey struct{ name, path string }

// dropKnownImports returns the chunk without imports already in known, and
// the imports it keeps. Blanking keeps every other position unchanged.
func dropKnownImports(c chunk, known map[importKey]bool) (chunk, []importKey) {
	if c.Kind != declChunk || !strings.Contains(c.Src, "import") {
		return c, nil
	}
	pad := strings.Repeat("\n", c.Line-1) + strings.Repeat(" ", c.Col-1)
	prefix := "package p;" + pad
	full := prefix + c.Src
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", full, parser.ImportsOnly|parser.SkipObjectResolution)
	if err != nil {
		return c, nil
	}
	src := []byte(c.Src)
	blank := func(from, to token.Pos) {
		a, b := fset.Position(from).Offset-len(prefix), fset.Position(to).Offset-len(prefix)
		for i := max(a, 0); i < b && i < len(src); i++ {
			if src[i] != '\n' {
				src[i] = ' '
			}
		}
	}
	var kept []importKey
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT {
			continue
		}
		var dropped []*ast.ImportSpec
		for _, s := range gd.Specs {
			is := s.(*ast.ImportSpec)
			p, err := strconv.Unquote(is.Path.Value)
			if err != nil {
				continue
			}
			k := importKey{name: path.Base(p), path: p}
			if is.Name != nil {
				k.name = is.Name.Name
			}
			if known[k] {
				dropped = append(dropped, is)
			} else {
				kept = append(kept, k)
			}
		}
		switch {
		case len(dropped) == len(gd.Specs) && len(dropped) > 0:
			blank(gd.Pos(), gd.End())
		case gd.Lparen.IsValid():
			for _, is := range dropped {
				blank(is.Pos(), is.End())
			}
		}
	}
	c.Src = string(src)
	return c, kept
}
