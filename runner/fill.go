package runner

import (
	"sort"
	"strings"

	"ocs/notebook"
	"ocs/templates"
)

// checkGiven checks the values given against what the notebook declares:
// every name known, none a getpass() secret, every required one given.
func (r *Run) checkGiven(d *declarations) error {
	all := d.all()
	if len(r.opts.Params) > 0 {
		if d.dialect.parse == nil {
			return invalid("parameters given, but ocs has no parameters for %q notebooks", d.dialect.language)
		}
		if len(all) == 0 && !hasSecretDecl(d) {
			if d.dialect.vcp {
				return invalid("parameters given, but the notebook has no cell tagged %q or %q", TagParameters, TagVCPParameters)
			}
			return invalid("parameters given, but the notebook has no cell tagged %q", TagParameters)
		}
	}
	known := map[string]bool{}
	for _, p := range all {
		known[p.Name] = true
	}
	names := make([]string, 0, len(r.opts.Params))
	for name := range r.opts.Params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if known[name] {
			continue
		}
		if secretDecl(d, name) {
			return invalid("parameter %q is a secret the notebook asks for with getpass(): give it with --secret %s or --secrets FILE, not -p", name, name)
		}
		list := make([]string, 0, len(all))
		for _, p := range all {
			list = append(list, p.Name)
		}
		return invalid("unknown parameter %q (the template declares: %s)", name, strings.Join(list, ", "))
	}
	var missing []Missing
	seen := map[string]bool{}
	for _, v := range d.vcp {
		for _, p := range v.read.Params {
			if _, given := r.opts.Params[p.Name]; p.Kind == templates.KindRequired && !given && !seen[p.Name] {
				seen[p.Name] = true
				missing = append(missing, Missing{Path: r.opts.Source.Path, Name: p.Name, Cell: v.index, CellID: v.cell.ID, Example: p.Example})
			}
		}
	}
	if len(missing) > 0 {
		return &MissingError{Missing: missing}
	}
	return nil
}

func hasSecretDecl(d *declarations) bool {
	for _, v := range d.vcp {
		for _, p := range v.read.Params {
			if p.Kind == templates.KindSecret {
				return true
			}
		}
	}
	return false
}

func secretDecl(d *declarations, name string) bool {
	for _, v := range d.vcp {
		if p, ok := v.read.Param(name); ok && p.Kind == templates.KindSecret {
			return true
		}
	}
	return false
}

// fillVCPCells writes the given values into each vcp:parameters cell in
// place. The record gets the cell with secret-looking values masked, the
// kernel the real one, and metadata.ocs keeps the template's source (for
// ocs strip, and for a resume to fill the cell again).
func (r *Run) fillVCPCells(d *declarations) error {
	for _, v := range d.vcp {
		template := templateSource(v.cell)
		real, shown := map[string]string{}, map[string]string{}
		var names []string
		for _, p := range v.read.Params {
			raw, given := r.opts.Params[p.Name]
			if !given || p.Kind == templates.KindSecret {
				continue
			}
			typed, hasTyped := r.opts.ParamValues[p.Name]
			lit, err := d.dialect.literal(p, raw, typed, hasTyped)
			if err != nil {
				return &inputError{err}
			}
			real[p.Name], shown[p.Name] = lit, lit
			r.params[p.Name] = raw
			if IsSecretName(p.Name) {
				r.mask.add(raw)
				shown[p.Name], _ = templates.PyLiteral(Mask)
				r.params[p.Name] = Mask
			}
			names = append(names, p.Name)
		}
		v.cell.Source = template
		delete(r.kernelSource, v.cell)
		delete(r.cellExtras, v.cell)
		if len(names) == 0 {
			continue
		}
		v.cell.Source.Set(v.read.Fill(shown))
		r.kernelSource[v.cell] = v.read.Fill(real)
		filled := make([]any, len(names))
		for i, n := range names {
			filled[i] = n
		}
		r.cellExtras[v.cell] = map[string]any{notebook.TemplateSourceKey: template.JSON(), "parameters": filled}
	}
	return nil
}

// keepCellExtras puts back what a cell's metadata.ocs must keep across
// the status changes of a run (the template source of a filled cell).
// Called with r.mu held, before every save.
func (r *Run) keepCellExtras() {
	for c, extras := range r.cellExtras {
		meta, _ := c.Metadata[notebook.OCSKey].(map[string]any)
		if meta == nil {
			meta = map[string]any{}
			c.Metadata[notebook.OCSKey] = meta
		}
		if _, ok := meta[notebook.TemplateSourceKey]; ok {
			continue
		}
		for k, v := range extras {
			meta[k] = v
		}
		r.cache.Forget(c)
	}
}

// skipReason says why a code cell does not run, or "" when it runs.
// Cells tagged vcp:skip need a person; headless ocs runs them only when it
// fills them itself: parameters cells (values given, defaults kept) and
// cells whose getpass() ocs answers from a secret.
func skipReason(c *notebook.Cell) string {
	switch {
	case c.HasTag(TagSkipExecution):
		return "tagged " + TagSkipExecution
	case strings.TrimSpace(c.Source.String()) == "":
		return "empty"
	case c.HasTag(TagVCPSkip) && !c.HasTag(TagVCPParameters) && len(templates.GetpassNames(c.Source.String())) == 0:
		return "tagged " + TagVCPSkip + ": the cell needs a person"
	}
	return ""
}

// hasTemplateSource reports whether ocs filled the cell with parameters.
func hasTemplateSource(c *notebook.Cell) bool {
	meta, _ := c.Metadata[notebook.OCSKey].(map[string]any)
	_, ok := meta[notebook.TemplateSourceKey]
	return ok
}

// CheckParams checks values for nb's parameters as a run would before any
// cell runs: every name declared, no getpass() secret given as a
// parameter, every required parameter given (a *MissingError naming each,
// with path as the notebook's name).
func CheckParams(nb *notebook.Notebook, params map[string]string, path string) error {
	d, err := declare(nb)
	if err != nil {
		return err
	}
	if d.paramsErr != nil && len(params) > 0 {
		return d.paramsErr
	}
	r := &Run{opts: Options{Params: params, Source: Source{Path: path}}}
	return r.checkGiven(d)
}
