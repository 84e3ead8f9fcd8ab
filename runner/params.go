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

// Params returns the parameters the notebook declares in its first cell
// tagged "parameters", and that cell's index (-1 when there is none).
func Params(nb *notebook.Notebook) ([]templates.Param, int, error) {
	for i, c := range nb.Cells {
		if c.Type != notebook.Code || !c.HasTag(TagParameters) {
			continue
		}
		params, err := templates.ParseParams(c.Source.String())
		if err != nil {
			return nil, i, invalid("parameters cell (cells[%d]) %w", i, err)
		}
		return params, i, nil
	}
	return nil, -1, nil
}

// injectParams writes the given values into a cell tagged
// injected-parameters right after the parameters cell, replacing one an
// earlier run injected. Values of secret-looking names are masked in the
// record's copy of the cell; the kernel gets the real ones.
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
	if len(r.opts.Params) == 0 {
		return nil
	}
	declared, at, err := Params(r.nb)
	if err != nil {
		return err
	}
	if at < 0 {
		return invalid("parameters given, but the notebook has no cell tagged %q", TagParameters)
	}
	byName := map[string]templates.Param{}
	for _, p := range declared {
		byName[p.Name] = p
	}
	names := make([]string, 0, len(r.opts.Params))
	for name := range r.opts.Params {
		if _, ok := byName[name]; !ok {
			known := make([]string, 0, len(declared))
			for _, p := range declared {
				known = append(known, p.Name)
			}
			return invalid("unknown parameter %q (the template declares: %s)", name, strings.Join(known, ", "))
		}
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool { return byName[names[i]].Line < byName[names[j]].Line })
	var real, shown strings.Builder
	real.WriteString("// Parameters given to ocs run.\n")
	shown.WriteString("// Parameters given to ocs run.\n")
	r.params = map[string]any{}
	for _, name := range names {
		raw := r.opts.Params[name]
		lit, err := byName[name].Value(raw)
		if err != nil {
			return &inputError{err}
		}
		fmt.Fprintf(&real, "%s = %s\n", name, lit)
		if IsSecretName(name) {
			r.mask.add(raw)
			fmt.Fprintf(&shown, "%s = %q // masked: give it again to rerun\n", name, Mask)
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
	cells := append([]*notebook.Cell{}, r.nb.Cells[:at+1]...)
	cells = append(cells, cell)
	r.nb.Cells = append(cells, r.nb.Cells[at+1:]...)
	if r.nb.FormatMinor >= 5 {
		r.nb.EnsureIDs()
	}
	return nil
}
