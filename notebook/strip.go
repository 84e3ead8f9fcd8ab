package notebook

// OCSKey is the metadata key (notebook and cell level) under which ocs keeps
// its own run data in a build record.
const OCSKey = "ocs"

// ExecutionKey is the cell metadata key of nbclient's execution timestamps,
// which ocs writes too.
const ExecutionKey = "execution"

// TemplateSourceKey, in a cell's metadata.ocs, holds the cell's source as
// the template had it (string or list, as stored), when ocs wrote parameter
// values into the cell itself.
const TemplateSourceKey = "template_source"

// TemplateLanguageInfoKey, in the notebook's metadata.ocs, holds the
// template's metadata.language_info (null when it had none) when ocs
// wrote the kernel's own into the record.
const TemplateLanguageInfoKey = "template_language_info"

// InjectedTag marks the cell into which parameters given on the command line
// are written.
const InjectedTag = "injected-parameters"

// Strip turns a build record back into a clean template: it clears outputs
// and execution counts, drops ocs's own run metadata (metadata.ocs at both
// levels and the execution timestamps) and the parameter cell ocs injected,
// gives the notebook the language_info the template had,
// gives cells ocs filled with parameters their template source back, and
// keeps everything else. It reports whether anything changed.
func (nb *Notebook) Strip() bool {
	changed := false
	if meta, ok := nb.Metadata[OCSKey]; ok {
		m, _ := meta.(map[string]any)
		if li, ok := m[TemplateLanguageInfoKey]; ok {
			if li == nil {
				delete(nb.Metadata, "language_info")
			} else {
				nb.Metadata["language_info"] = li
			}
		}
		delete(nb.Metadata, OCSKey)
		changed = true
	}
	kept := nb.Cells[:0]
	for _, c := range nb.Cells {
		if c.raw != nil {
			kept = append(kept, c)
			continue
		}
		if _, ours := c.Metadata[OCSKey]; ours && c.HasTag(InjectedTag) {
			changed = true
			continue
		}
		if meta, ok := c.Metadata[OCSKey].(map[string]any); ok {
			// A cell ocs wrote parameters into gets its template text back.
			if src, ok := TextFromJSON(meta[TemplateSourceKey]); ok {
				c.Source = src
			}
		}
		for _, key := range []string{OCSKey, ExecutionKey} {
			if _, ok := c.Metadata[key]; ok {
				delete(c.Metadata, key)
				changed = true
			}
		}
		if c.Type == Code {
			if len(c.Outputs) > 0 {
				c.Outputs = []*Output{}
				changed = true
			}
			if c.ExecutionCount != nil {
				c.ExecutionCount = nil
				changed = true
			}
		}
		kept = append(kept, c)
	}
	for i := len(kept); i < len(nb.Cells); i++ {
		nb.Cells[i] = nil
	}
	nb.Cells = kept
	return changed
}
