package templates

import (
	"errors"
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/scanner"
	"go/token"
	"math"
	"strconv"
	"strings"
)

// Param is one parameter a template declares: in a Go cell tagged
// "parameters" (`name := default // help` or `var name = default // help`),
// in a Python one (papermill's `name = default  # help`, see ParsePyParams)
// or in an OCS cell tagged vcp:parameters (see ParseVCPParams).
type Param struct {
	Name string `json:"name"`
	// Type is string, int, float64, bool or []string in Go; in Python the
	// type of the default's literal (int, float, str, bool, None, list,
	// dict, ...) or its annotation, "" for an expression.
	Type string `json:"type"`
	// Default is the default as -p takes it in Go, as Python source in
	// Python.
	Default string `json:"default"`
	Help    string `json:"help,omitempty"`
	Line    int    `json:"line"` // 1-based line in the cell
	// Kind and Example belong to OCS parameters cells: one of the Kind
	// constants, and the values the cell's comments give as examples.
	Kind    string `json:"kind,omitempty"`
	Example string `json:"example,omitempty"`
	// Secret is set by the SecretMarker in the parameter's comment: its
	// value is masked like a secret's whatever its name.
	Secret bool `json:"secret,omitempty"`
}

// SecretMarker, a word in a parameter's help comment, marks the parameter
// secret: `admin_pw := "" // ocs:secret the admin's password`. The marker
// is not part of the help text.
const SecretMarker = "ocs:secret"

// secretMarker takes the SecretMarker out of a help comment.
func secretMarker(help string) (string, bool) {
	fields := strings.Fields(help)
	for i, f := range fields {
		if f == SecretMarker {
			return strings.Join(append(fields[:i:i], fields[i+1:]...), " "), true
		}
	}
	return help, false
}

// ParamError is a problem in a parameters cell, at a line of that cell.
type ParamError struct {
	Line int
	Msg  string
}

func (e *ParamError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// ParseParams reads the parameter declarations of a Go parameters cell.
// Statements other than declarations with literal defaults are an error:
// a parameters cell must be injectable without running it.
func ParseParams(src string) ([]Param, error) {
	const prefix = "package p\nfunc _() {\n"
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "params.go", prefix+src+"\n}\n", parser.ParseComments)
	if err != nil {
		var list scanner.ErrorList
		if errors.As(err, &list) && len(list) > 0 {
			// An error found at the closing wrapper belongs to the cell's end.
			line := min(max(1, list[0].Pos.Line-2), strings.Count(strings.TrimRight(src, "\n"), "\n")+1)
			return nil, &ParamError{Line: line, Msg: list[0].Msg}
		}
		return nil, &ParamError{Line: 1, Msg: err.Error()}
	}
	lineOf := func(p token.Pos) int { return fset.Position(p).Line - 2 }
	helps := map[int]string{}
	for _, group := range file.Comments {
		for _, c := range group.List {
			if strings.HasPrefix(c.Text, "//") {
				helps[lineOf(c.Pos())] = strings.TrimSpace(strings.TrimPrefix(c.Text, "//"))
			}
		}
	}
	var params []Param
	seen := map[string]bool{}
	add := func(name *ast.Ident, typ ast.Expr, value ast.Expr) error {
		line := lineOf(name.Pos())
		p, err := literalParam(name.Name, typ, value)
		if err != nil {
			return &ParamError{Line: line, Msg: err.Error()}
		}
		if seen[p.Name] {
			return &ParamError{Line: line, Msg: fmt.Sprintf("parameter %q declared twice", p.Name)}
		}
		seen[p.Name] = true
		p.Line = line
		p.Help, p.Secret = secretMarker(helps[line])
		params = append(params, p)
		return nil
	}
	body := file.Decls[0].(*ast.FuncDecl).Body
	for _, stmt := range body.List {
		switch s := stmt.(type) {
		case *ast.AssignStmt:
			if s.Tok != token.DEFINE || len(s.Lhs) != len(s.Rhs) {
				return nil, &ParamError{Line: lineOf(s.Pos()), Msg: "a parameter is declared as name := value"}
			}
			for i, lhs := range s.Lhs {
				id, ok := lhs.(*ast.Ident)
				if !ok {
					return nil, &ParamError{Line: lineOf(lhs.Pos()), Msg: "a parameter name must be an identifier"}
				}
				if err := add(id, nil, s.Rhs[i]); err != nil {
					return nil, err
				}
			}
		case *ast.DeclStmt:
			gen, ok := s.Decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.VAR {
				return nil, &ParamError{Line: lineOf(s.Pos()), Msg: "only var declarations and := belong in a parameters cell"}
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				if len(vs.Values) != len(vs.Names) {
					return nil, &ParamError{Line: lineOf(vs.Pos()), Msg: "every parameter needs a default value"}
				}
				for i, id := range vs.Names {
					if err := add(id, vs.Type, vs.Values[i]); err != nil {
						return nil, err
					}
				}
			}
		default:
			return nil, &ParamError{Line: lineOf(stmt.Pos()), Msg: "only parameter declarations belong in a parameters cell"}
		}
	}
	return params, nil
}

// literalParam works out a parameter's type and default from its literal.
func literalParam(name string, typ, value ast.Expr) (Param, error) {
	p := Param{Name: name}
	declared := ""
	if typ != nil {
		declared = exprString(typ)
	}
	switch v := value.(type) {
	case *ast.BasicLit:
		switch v.Kind {
		case token.STRING:
			s, err := strconv.Unquote(v.Value)
			if err != nil {
				return p, fmt.Errorf("parameter %q: %v", name, err)
			}
			p.Type, p.Default = "string", s
		case token.INT, token.FLOAT:
			def, typ, err := number(v, "")
			if err != nil {
				return p, fmt.Errorf("parameter %q: %v", name, err)
			}
			p.Type, p.Default = typ, def
		default:
			return p, fmt.Errorf("parameter %q: unsupported literal %s", name, v.Value)
		}
	case *ast.UnaryExpr:
		lit, ok := v.X.(*ast.BasicLit)
		if v.Op != token.SUB || !ok || (lit.Kind != token.INT && lit.Kind != token.FLOAT) {
			return p, fmt.Errorf("parameter %q: the default must be a literal", name)
		}
		def, typ, err := number(lit, "-")
		if err != nil {
			return p, fmt.Errorf("parameter %q: %v", name, err)
		}
		p.Type, p.Default = typ, def
	case *ast.Ident:
		if v.Name != "true" && v.Name != "false" {
			return p, fmt.Errorf("parameter %q: the default must be a literal, not %s", name, v.Name)
		}
		p.Type, p.Default = "bool", v.Name
	case *ast.CompositeLit:
		if exprString(v.Type) != "[]string" {
			return p, fmt.Errorf("parameter %q: only []string lists are supported", name)
		}
		var items []string
		for _, elt := range v.Elts {
			lit, ok := elt.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return p, fmt.Errorf("parameter %q: list items must be string literals", name)
			}
			s, _ := strconv.Unquote(lit.Value)
			items = append(items, s)
		}
		p.Type, p.Default = "[]string", strings.Join(items, ",")
	default:
		return p, fmt.Errorf("parameter %q: the default must be a literal", name)
	}
	if declared != "" && declared != p.Type {
		if declared == "float64" && p.Type == "int" {
			p.Type = "float64"
		} else {
			return p, fmt.Errorf("parameter %q: declared %s but the default is %s", name, declared, p.Type)
		}
	}
	return p, nil
}

// number reads an integer or float literal in any Go form (0x1F, 0b101,
// 1_000, 1e3) and returns its default as decimal text, which is what -p
// values are written in and what --help-params shows.
func number(lit *ast.BasicLit, sign string) (def, typ string, err error) {
	v := constant.MakeFromLiteral(lit.Value, lit.Kind, 0)
	if v.Kind() == constant.Unknown {
		return "", "", fmt.Errorf("invalid number %s", lit.Value)
	}
	if sign == "-" {
		v = constant.UnaryOp(token.SUB, v, 0)
	}
	if lit.Kind == token.INT {
		n, exact := constant.Int64Val(v)
		if !exact {
			return "", "", fmt.Errorf("%s does not fit in an int", lit.Value)
		}
		return strconv.FormatInt(n, 10), "int", nil
	}
	f, _ := constant.Float64Val(v)
	if math.IsInf(f, 0) {
		return "", "", fmt.Errorf("%s does not fit in a float64", lit.Value)
	}
	return strconv.FormatFloat(f, 'g', -1, 64), "float64", nil
}

func exprString(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.ArrayType:
		if t.Len == nil {
			return "[]" + exprString(t.Elt)
		}
	}
	return fmt.Sprintf("%T", e)
}

// Value converts a value given on the command line (or in a parameters
// file) to the Go literal that assigns it, checked against the parameter's
// type.
func (p Param) Value(raw string) (string, error) {
	switch p.Type {
	case "string":
		return strconv.Quote(raw), nil
	case "int":
		n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil {
			return "", fmt.Errorf("parameter %q wants an int, got %q", p.Name, raw)
		}
		return strconv.FormatInt(n, 10), nil
	case "float64":
		f, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
		if err != nil {
			return "", fmt.Errorf("parameter %q wants a float64, got %q", p.Name, raw)
		}
		// NaN and ±Inf parse, but are no Go literal: the injected cell
		// would fail after the cells before it ran.
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return "", fmt.Errorf("parameter %q wants a finite float64, got %q", p.Name, raw)
		}
		return strconv.FormatFloat(f, 'g', -1, 64), nil
	case "bool":
		b, err := strconv.ParseBool(strings.TrimSpace(raw))
		if err != nil {
			return "", fmt.Errorf("parameter %q wants a bool (true or false), got %q", p.Name, raw)
		}
		return strconv.FormatBool(b), nil
	case "[]string":
		var items []string
		if strings.TrimSpace(raw) != "" {
			for _, s := range strings.Split(raw, ",") {
				items = append(items, strconv.Quote(strings.TrimSpace(s)))
			}
		}
		return "[]string{" + strings.Join(items, ", ") + "}", nil
	}
	return "", fmt.Errorf("parameter %q has unsupported type %s", p.Name, p.Type)
}
