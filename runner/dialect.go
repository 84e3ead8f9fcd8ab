package runner

import (
	"fmt"
	"strings"

	"ocs/notebook"
	"ocs/templates"
)

// Tags of OCS templates the runner honours.
const (
	TagVCPParameters = templates.VCPParametersTag
	TagVCPSkip       = templates.VCPSkipTag
)

// dialect is how the notebook's language declares parameters and takes
// their values: Go's (ocs's own templates) or Python's (papermill's
// parameters cell and OCS's vcp:parameters cells).
type dialect struct {
	language string
	// parse reads the cell tagged "parameters".
	parse func(src string) ([]templates.Param, error)
	// literal writes a value as source: raw is the text given, typed the
	// value from a parameters file when there is one (it keeps its type).
	literal func(p templates.Param, raw string, typed any, hasTyped bool) (string, error)
	comment string
	// vcp: the language has OCS's vcp:parameters cells.
	vcp bool
}

var (
	goDialect = dialect{
		language: "go",
		parse:    templates.ParseParams,
		literal: func(p templates.Param, raw string, _ any, _ bool) (string, error) {
			return p.Value(raw)
		},
		comment: "//",
	}
	pythonDialect = dialect{
		language: "python",
		parse:    templates.ParsePyParams,
		literal: func(p templates.Param, raw string, typed any, hasTyped bool) (string, error) {
			v := templates.PyResolve(raw)
			if hasTyped {
				v = typed
			}
			lit, err := templates.PyLiteral(v)
			if err != nil {
				return "", fmt.Errorf("parameter %q: %w", p.Name, err)
			}
			return lit, nil
		},
		comment: "#",
		vcp:     true,
	}
)

// IsPython reports whether nb is written in Python (its kernelspec's or
// language_info's language).
func IsPython(nb *notebook.Notebook) bool { return paramLanguage(nb) == "python" }

// paramLanguage returns the notebook's language in lower case, from its
// kernelspec or language_info: "go" for one that names none (ocs's own).
func paramLanguage(nb *notebook.Notebook) string {
	ks, _ := nb.Metadata["kernelspec"].(map[string]any)
	lang, _ := ks["language"].(string)
	if lang == "" {
		li, _ := nb.Metadata["language_info"].(map[string]any)
		lang, _ = li["name"].(string)
	}
	name, _ := ks["name"].(string)
	if lang == "" && (name == "" || name == "ocs-go") {
		return "go"
	}
	return strings.ToLower(lang)
}

// dialectOf picks the parameter dialect of nb's language; ok is false for
// a language with none.
func dialectOf(nb *notebook.Notebook) (dialect, bool) {
	switch paramLanguage(nb) {
	case "go":
		return goDialect, true
	case "python":
		return pythonDialect, true
	}
	return dialect{}, false
}

// declarations is everything a notebook declares as parameters.
type declarations struct {
	dialect dialect
	// params of the cell tagged "parameters", at index at (-1: none).
	params []templates.Param
	at     int
	// paramsErr is why the "parameters" cell cannot be read; it matters
	// only when values are given for it.
	paramsErr error
	// vcp holds the cells tagged vcp:parameters, read, by index.
	vcp []vcpCell
}

type vcpCell struct {
	index int
	cell  *notebook.Cell
	read  *templates.VCPCell
}

// declare reads the parameter cells of nb. A vcp:parameters cell of a
// record that ocs filled is read as the template had it.
func declare(nb *notebook.Notebook) (*declarations, error) {
	d := &declarations{at: -1}
	var ok bool
	if d.dialect, ok = dialectOf(nb); !ok {
		d.dialect = dialect{language: paramLanguage(nb)}
	}
	for i, c := range nb.Cells {
		if c.Type != notebook.Code {
			continue
		}
		if c.HasTag(TagParameters) && d.at < 0 && d.dialect.parse != nil {
			params, err := d.dialect.parse(c.Source.String())
			d.at = i
			if err != nil {
				d.paramsErr = &cellParseError{index: i, err: invalid("parameters cell (cells[%d]) %w", i, err)}
				continue
			}
			d.params = params
		}
		if c.HasTag(TagVCPParameters) && d.dialect.vcp {
			read, err := templates.ParseVCPParams(templateSource(c).String())
			if err != nil {
				return d, &cellParseError{index: i, err: invalid("vcp:parameters cell (cells[%d]) %w", i, err)}
			}
			d.vcp = append(d.vcp, vcpCell{index: i, cell: c, read: read})
		}
	}
	return d, nil
}

// cellParseError is a parameters cell that cannot be read, at its index.
type cellParseError struct {
	index int
	err   error
}

func (e *cellParseError) Error() string { return e.err.Error() }
func (e *cellParseError) Unwrap() error { return e.err }

// templateSource is the cell's source as the template had it.
func templateSource(c *notebook.Cell) notebook.Text {
	meta, _ := c.Metadata[notebook.OCSKey].(map[string]any)
	if t, ok := notebook.TextFromJSON(meta[notebook.TemplateSourceKey]); ok {
		return t
	}
	return c.Source
}

// all returns every parameter declared, each name once (the first
// declaration), secrets asked for with getpass() left out.
func (d *declarations) all() []templates.Param {
	var out []templates.Param
	seen := map[string]bool{}
	add := func(p templates.Param) {
		if !seen[p.Name] && p.Kind != templates.KindSecret {
			seen[p.Name] = true
			out = append(out, p)
		}
	}
	for _, p := range d.params {
		add(p)
	}
	for _, v := range d.vcp {
		for _, p := range v.read.Params {
			add(p)
		}
	}
	return out
}

// Declared is one parameter a notebook declares, with where.
type Declared struct {
	templates.Param
	Cell   int    // index of the cell that declares it
	CellID string // its id, may be ""
}

// Required reports whether the parameter needs a value to run.
func (d Declared) Required() bool { return d.Kind == templates.KindRequired }

// DeclaredParams lists every parameter nb declares, in cell order: the
// cell tagged "parameters" (Go or Python) and, in Python notebooks, every
// cell tagged vcp:parameters. A name declared in several cells is listed
// once, required if any of them leaves it a placeholder.
func DeclaredParams(nb *notebook.Notebook) ([]Declared, error) {
	d, err := declare(nb)
	if err == nil {
		err = d.paramsErr
	}
	if err != nil {
		return nil, err
	}
	var out []Declared
	at := map[string]int{}
	add := func(p templates.Param, cell int) {
		if p.Kind == templates.KindSecret {
			return
		}
		if i, ok := at[p.Name]; ok {
			if p.Kind == templates.KindRequired {
				out[i].Kind = p.Kind
			}
			if out[i].Example == "" {
				out[i].Example = p.Example
			}
			return
		}
		at[p.Name] = len(out)
		out = append(out, Declared{Param: p, Cell: cell, CellID: nb.Cells[cell].ID})
	}
	for _, p := range d.params {
		add(p, d.at)
	}
	for _, v := range d.vcp {
		for _, p := range v.read.Params {
			add(p, v.index)
		}
	}
	return out, nil
}

// SecretAsk is a secret a notebook asks for with `NAME = getpass()`.
type SecretAsk struct {
	Name   string
	Cell   int
	CellID string
}

// AskedSecrets lists the secrets a Python notebook's cells ask for with
// getpass(), each name once, in cell order.
func AskedSecrets(nb *notebook.Notebook) []SecretAsk {
	if !IsPython(nb) {
		return nil
	}
	var out []SecretAsk
	seen := map[string]bool{}
	for i, c := range nb.Cells {
		if c.Type != notebook.Code {
			continue
		}
		for _, name := range templates.GetpassNames(c.Source.String()) {
			if !seen[name] {
				seen[name] = true
				out = append(out, SecretAsk{Name: name, Cell: i, CellID: c.ID})
			}
		}
	}
	return out
}

// Missing is a required parameter that was given no value.
type Missing struct {
	Path    string // the notebook, when known
	Name    string
	Cell    int
	CellID  string
	Example string
}

// MissingParams lists the required parameters of nb (placeholders of its
// vcp:parameters cells) that params gives no value.
func MissingParams(nb *notebook.Notebook, params map[string]string) ([]Missing, error) {
	decl, err := DeclaredParams(nb)
	if err != nil {
		return nil, err
	}
	var out []Missing
	for _, p := range decl {
		if _, given := params[p.Name]; p.Required() && !given {
			out = append(out, Missing{Name: p.Name, Cell: p.Cell, CellID: p.CellID, Example: p.Example})
		}
	}
	return out, nil
}

// MissingError stops a run before any cell runs: required parameters have
// no value.
type MissingError struct {
	Missing []Missing
}

func (e *MissingError) Unwrap() error { return ErrInput }

func (e *MissingError) Error() string {
	var b strings.Builder
	if len(e.Missing) == 1 {
		b.WriteString("1 required parameter has no value (give it with -p NAME=VALUE or in -f FILE):")
	} else {
		fmt.Fprintf(&b, "%d required parameters have no value (give each with -p NAME=VALUE or in -f FILE):", len(e.Missing))
	}
	for _, m := range e.Missing {
		fmt.Fprintf(&b, "\n  %s: %s", m.Name, describeMissing(m))
	}
	return b.String()
}

func describeMissing(m Missing) string {
	where := fmt.Sprintf("cell %d", m.Cell)
	if m.CellID != "" {
		where += " (id " + m.CellID + ")"
	}
	if m.Path != "" {
		where = m.Path + ", " + where
	}
	if m.Example != "" {
		where += ", e.g. " + m.Example
	}
	return where
}
