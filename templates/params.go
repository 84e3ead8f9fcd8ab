package templates

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"strconv"
	"strings"
)

// Param is one parameter declared in a Go template's parameters cell, as
// `name := default // help` or `var name [type] = default // help`.
type Param struct {
	Name string `json:"name"`
	// Type is the Go type of the default: string, int, float64, bool or
	// []string.
	Type string `json:"type"`
	// Default is the default value as text: a string unquoted, a number as
	// written, a []string as its items joined with commas.
	Default string `json:"default"`
	Help    string `json:"help,omitempty"`
	// Line is the 1-based line of the declaration in the cell.
	Line int `json:"line"`
}

// ParamError is a problem in a parameters cell, at a line of the cell.
type ParamError struct {
	Line int
	Msg  string
}

func (e *ParamError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// wrapperLines is how many lines ParseParams puts before the cell so that
// go/parser reads its statements as a function body, where both := and var
// are allowed.
const wrapperLines = 2

// ParseParams reads the declarations of a Go parameters cell. Anything but
// a declaration with a literal default is an error, because a runner must be
// able to replace the defaults without running the cell.
func ParseParams(src string) ([]Param, error) {
	fset := token.NewFileSet()
	wrapped := "package p\nfunc _() {\n" + src + "\n}\n"
	file, err := parser.ParseFile(fset, "parameters.go", wrapped, parser.ParseComments)
	if err != nil {
		return nil, syntaxProblem(err, src)
	}
	cellLine := func(p token.Pos) int { return fset.Position(p).Line - wrapperLines }

	// A help text is the line comment that ends a declaration's line.
	help := map[int]string{}
	for _, group := range file.Comments {
		for _, c := range group.List {
			if text, ok := strings.CutPrefix(c.Text, "//"); ok {
				help[cellLine(c.Pos())] = strings.TrimSpace(text)
			}
		}
	}

	var params []Param
	declared := map[string]bool{}
	add := func(name *ast.Ident, typ, value ast.Expr) error {
		line := cellLine(name.Pos())
		if declared[name.Name] {
			return &ParamError{Line: line, Msg: fmt.Sprintf("parameter %q declared twice", name.Name)}
		}
		p, err := literal(name.Name, typ, value)
		if err != nil {
			return &ParamError{Line: line, Msg: err.Error()}
		}
		declared[name.Name] = true
		p.Line, p.Help = line, help[line]
		params = append(params, p)
		return nil
	}

	fn, ok := file.Decls[0].(*ast.FuncDecl)
	if !ok || len(file.Decls) != 1 {
		// The cell closed the wrapper function itself, e.g. "}\nfunc f() {".
		return nil, &ParamError{Line: 1, Msg: "only parameter declarations belong in a parameters cell"}
	}
	for _, stmt := range fn.Body.List {
		switch s := stmt.(type) {
		case *ast.AssignStmt:
			if s.Tok != token.DEFINE || len(s.Lhs) != len(s.Rhs) {
				return nil, &ParamError{Line: cellLine(s.Pos()), Msg: "declare a parameter as name := value"}
			}
			for i, lhs := range s.Lhs {
				id, ok := lhs.(*ast.Ident)
				if !ok || id.Name == "_" {
					return nil, &ParamError{Line: cellLine(lhs.Pos()), Msg: "a parameter needs a name"}
				}
				if err := add(id, nil, s.Rhs[i]); err != nil {
					return nil, err
				}
			}
		case *ast.DeclStmt:
			gen, ok := s.Decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.VAR {
				return nil, &ParamError{Line: cellLine(s.Pos()), Msg: "only var declarations and := belong in a parameters cell"}
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				if len(vs.Values) != len(vs.Names) {
					return nil, &ParamError{Line: cellLine(vs.Pos()), Msg: "every parameter needs a default value"}
				}
				for i, id := range vs.Names {
					if id.Name == "_" {
						return nil, &ParamError{Line: cellLine(id.Pos()), Msg: "a parameter needs a name"}
					}
					if err := add(id, vs.Type, vs.Values[i]); err != nil {
						return nil, err
					}
				}
			}
		case *ast.EmptyStmt:
		default:
			return nil, &ParamError{Line: cellLine(stmt.Pos()), Msg: "only parameter declarations belong in a parameters cell"}
		}
	}
	return params, nil
}

// syntaxProblem turns a go/parser error into a ParamError at a line of the
// cell; an error the parser finds in the wrapper's closing lines belongs to
// the cell's last line.
func syntaxProblem(err error, src string) error {
	lastLine := strings.Count(strings.TrimRight(src, "\n"), "\n") + 1
	var list scanner.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		line := min(max(list[0].Pos.Line-wrapperLines, 1), lastLine)
		return &ParamError{Line: line, Msg: list[0].Msg}
	}
	return &ParamError{Line: 1, Msg: err.Error()}
}

// literal works out a parameter's type and default from its declaration.
func literal(name string, typ, value ast.Expr) (Param, error) {
	p := Param{Name: name}
	switch v := value.(type) {
	case *ast.BasicLit:
		switch v.Kind {
		case token.STRING:
			s, err := strconv.Unquote(v.Value)
			if err != nil {
				return p, fmt.Errorf("parameter %q: %w", name, err)
			}
			p.Type, p.Default = "string", s
		case token.INT:
			p.Type, p.Default = "int", v.Value
		case token.FLOAT:
			p.Type, p.Default = "float64", v.Value
		default:
			return p, fmt.Errorf("parameter %q: a %s default is not supported", name, strings.ToLower(v.Kind.String()))
		}
	case *ast.UnaryExpr:
		lit, ok := v.X.(*ast.BasicLit)
		if !ok || v.Op != token.SUB || (lit.Kind != token.INT && lit.Kind != token.FLOAT) {
			return p, fmt.Errorf("parameter %q: the default must be a literal", name)
		}
		p.Type, p.Default = "int", "-"+lit.Value
		if lit.Kind == token.FLOAT {
			p.Type = "float64"
		}
	case *ast.Ident:
		if v.Name != "true" && v.Name != "false" {
			return p, fmt.Errorf("parameter %q: the default must be a literal, not %s", name, v.Name)
		}
		p.Type, p.Default = "bool", v.Name
	case *ast.CompositeLit:
		if typeName(v.Type) != "[]string" {
			return p, fmt.Errorf("parameter %q: of lists, only []string is supported", name)
		}
		items := make([]string, 0, len(v.Elts))
		for _, elt := range v.Elts {
			lit, ok := elt.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return p, fmt.Errorf("parameter %q: list items must be string literals", name)
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return p, fmt.Errorf("parameter %q: %w", name, err)
			}
			items = append(items, s)
		}
		p.Type, p.Default = "[]string", strings.Join(items, ",")
	default:
		return p, fmt.Errorf("parameter %q: the default must be a literal", name)
	}
	if typ == nil {
		return p, nil
	}
	switch declared := typeName(typ); {
	case declared == p.Type:
	case declared == "float64" && p.Type == "int":
		// var timeout float64 = 30 is a float64 written without a point.
		p.Type = "float64"
	default:
		return p, fmt.Errorf("parameter %q: declared %s but the default is %s", name, declared, p.Type)
	}
	return p, nil
}

// typeName spells the types a parameter may have; others come out as an
// unmatchable description.
func typeName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.ArrayType:
		if t.Len == nil {
			return "[]" + typeName(t.Elt)
		}
	}
	return fmt.Sprintf("unsupported type %T", e)
}
