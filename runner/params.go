package runner

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"ocs/notebook"
	"ocs/templates"
)

// ErrInput is wrapped by errors that mean the template or the values given
// for it cannot be used (exit code 2), as opposed to a failed run.
var ErrInput = errors.New("invalid input")

// inputError marks err as bad input without changing its message.
type inputError struct{ err error }

func (e *inputError) Error() string   { return e.err.Error() }
func (e *inputError) Unwrap() []error { return []error{e.err, ErrInput} }

func invalid(format string, args ...any) error {
	return &inputError{fmt.Errorf(format, args...)}
}

// Params returns the parameters the notebook declares (its cell tagged
// "parameters" in the notebook's language and, in Python notebooks, its
// cells tagged vcp:parameters) and the index of the "parameters" cell (-1
// when there is none). On error the index is that of the cell that cannot
// be read.
func Params(nb *notebook.Notebook) ([]templates.Param, int, error) {
	d, err := declare(nb)
	if err == nil {
		err = d.paramsErr
	}
	if err != nil {
		var pe *cellParseError
		if errors.As(err, &pe) {
			return nil, pe.index, err
		}
		return nil, -1, err
	}
	return d.all(), d.at, nil
}

// injectParams writes the given values into a cell tagged
// injected-parameters right after the parameters cell, replacing one an
// earlier run injected, and into the vcp:parameters cells in place.
// Values of secret-looking names are masked in the record's copy of the
// cell; the kernel gets the real ones.
func (r *Run) injectParams() error {
	// Remove what an earlier run injected, keeping its id for the new cell.
	kept := r.nb.Cells[:0]
	oldID := ""
	for _, c := range r.nb.Cells {
		if c.Type == notebook.Code && c.HasTag(notebook.InjectedTag) {
			oldID = c.ID
			continue
		}
		kept = append(kept, c)
	}
	r.nb.Cells = kept
	d, err := declare(r.nb)
	if err != nil {
		return err
	}
	if d.paramsErr != nil && len(r.opts.Params) > 0 {
		return d.paramsErr
	}
	if err := r.checkGiven(d); err != nil {
		return err
	}
	r.params = map[string]any{}
	if err := r.fillVCPCells(d); err != nil {
		return err
	}
	byName := map[string]templates.Param{}
	for _, p := range d.params {
		byName[p.Name] = p
	}
	names := make([]string, 0, len(r.opts.Params))
	for name := range r.opts.Params {
		if _, ok := byName[name]; ok {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Slice(names, func(i, j int) bool { return byName[names[i]].Line < byName[names[j]].Line })
	var real, shown strings.Builder
	fmt.Fprintf(&real, "%s Parameters given to ocs run.\n", d.dialect.comment)
	fmt.Fprintf(&shown, "%s Parameters given to ocs run.\n", d.dialect.comment)
	for _, name := range names {
		raw := r.opts.Params[name]
		secret := IsSecretName(name) || byName[name].Secret
		if secret {
			r.mask.add(raw)
		}
		typed, hasTyped := r.opts.ParamValues[name]
		lit, err := d.dialect.literal(byName[name], raw, typed, hasTyped)
		if err != nil {
			if secret {
				// The value given may be the secret itself: never echo it.
				return invalid("parameter %q wants %s %s; the value given is not one (not shown: the parameter is secret)", name, article(byName[name].Type), byName[name].Type)
			}
			return &inputError{err}
		}
		fmt.Fprintf(&real, "%s = %s\n", name, lit)
		if secret {
			fmt.Fprintf(&shown, "%s = %q %s masked: give it again to rerun\n", name, Mask, d.dialect.comment)
			r.params[name] = Mask
			continue
		}
		fmt.Fprintf(&shown, "%s = %s\n", name, lit)
		r.params[name] = raw
	}
	cell := notebook.NewCell(notebook.Code, shown.String())
	cell.ID = oldID
	cell.Metadata["tags"] = []any{notebook.InjectedTag}
	r.kernelSource[cell] = real.String()
	at := d.at
	cells := append([]*notebook.Cell{}, r.nb.Cells[:at+1]...)
	cells = append(cells, cell)
	r.nb.Cells = append(cells, r.nb.Cells[at+1:]...)
	if r.nb.FormatMinor >= 5 {
		r.nb.EnsureIDs()
	}
	return nil
}

// article is "a" or "an" before a type's name.
func article(typ string) string {
	if typ != "" && strings.ContainsRune("aeiou", rune(typ[0])) {
		return "an"
	}
	return "a"
}
