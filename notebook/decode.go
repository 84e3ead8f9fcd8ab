package notebook

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The decoder checks everything the official nbformat v4.0–v4.5 JSON schemas
// check (the schema of the notebook's own minor version), and builds the
// model in the same pass. A notebook from a future minor version is read the
// way nbformat reads one: unknown keys, cell types and output types are
// allowed and kept.

// maxProblems bounds how many problems one validation collects.
const maxProblems = 20

type decoder struct {
	minor    int
	future   bool // minor version newer than CurrentMinor
	problems []Problem
	// lenient makes the decoder repair or tolerate, as warnings, what
	// nbformat's own reader repairs or accepts (see Read); otherwise those
	// are problems too.
	lenient  bool
	warnings []Problem
	// idsBefore45 counts the cells with ids in a notebook older than 4.5;
	// the lenient reader warns once, at the first.
	idsBefore45 int
}

// tolerate records something nbformat's reader repairs or accepts: a
// problem, or when reading leniently a warning that says what was done
// (repair). It reports whether the decoder is lenient, so that the caller
// applies the repair.
func (d *decoder) tolerate(path, repair, format string, args ...any) bool {
	if !d.lenient {
		d.addf(path, format, args...)
		return false
	}
	if len(d.warnings) < maxProblems {
		d.warnings = append(d.warnings, Problem{Path: path, Msg: fmt.Sprintf(format, args...) + "; " + repair})
	}
	return true
}

func (d *decoder) addf(path, format string, args ...any) {
	if len(d.problems) < maxProblems {
		d.problems = append(d.problems, Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
	} else if len(d.problems) == maxProblems {
		d.problems = append(d.problems, Problem{Msg: "further problems not listed"})
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

func kindOf(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case json.Number:
		if isInteger(v) {
			return "an integer"
		}
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func isInteger(n json.Number) bool {
	return !isNonFinite(n) && !strings.ContainsAny(string(n), ".eE")
}

// integer reads a non-negative JSON integer; ok is false (and a problem is
// recorded) for anything else.
func (d *decoder) integer(path string, v any, min int) (int, bool) {
	n, isNum := v.(json.Number)
	if !isNum || !isInteger(n) {
		d.addf(path, "must be an integer, found %s", kindOf(v))
		return 0, false
	}
	i, err := strconv.Atoi(string(n))
	if err != nil {
		d.addf(path, "integer %s is out of range", n)
		return 0, false
	}
	if i < min {
		d.addf(path, "must be at least %d, found %d", min, i)
		return 0, false
	}
	return i, true
}

func (d *decoder) str(path string, v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		d.addf(path, "must be a string, found %s", kindOf(v))
	}
	return s, ok
}

func (d *decoder) object(path string, v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		d.addf(path, "must be an object, found %s", kindOf(v))
	}
	return m, ok
}

func (d *decoder) text(path string, v any) Text {
	switch v := v.(type) {
	case string:
		return Text{parts: []string{v}}
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			s, ok := x.(string)
			if !ok {
				d.addf(index(path, i), "must be a string, found %s", kindOf(x))
			}
			parts[i] = s
		}
		return Text{parts: parts, list: true}
	}
	d.addf(path, "must be a string or an array of strings, found %s", kindOf(v))
	return Text{}
}

func (d *decoder) stringList(path string, v any) []string {
	list, ok := v.([]any)
	if !ok {
		d.addf(path, "must be an array of strings, found %s", kindOf(v))
		return nil
	}
	out := make([]string, len(list))
	for i, x := range list {
		s, ok := x.(string)
		if !ok {
			d.addf(index(path, i), "must be a string, found %s", kindOf(x))
		}
		out[i] = s
	}
	return out
}

// pyFullMatch reports whether re, written as ^...$ for Python's re.search,
// matches s; Python's $ also matches before one final newline.
func pyFullMatch(re *regexp.Regexp, s string) bool {
	return re.MatchString(s) || (strings.HasSuffix(s, "\n") && re.MatchString(s[:len(s)-1]))
}

var (
	cellIDPattern  = regexp.MustCompile(`^[a-zA-Z0-9\-_]+$`)
	namePattern    = regexp.MustCompile(`^.+$`)
	tagPattern     = regexp.MustCompile(`^[^,]+$`)
	jsonMimeRegexp = regexp.MustCompile(`^application/(.*\+)?json$`)
)

// fields splits an object into the keys a schema knows and the rest.
type fields struct {
	m    map[string]any
	seen int
}

func (f *fields) get(key string) (any, bool) {
	v, ok := f.m[key]
	if ok {
		f.seen++
	}
	return v, ok
}

// rest returns the keys not taken with get, or nil.
func (f *fields) rest(known ...string) map[string]any {
	if f.seen == len(f.m) {
		return nil
	}
	extra := make(map[string]any)
outer:
	for k, v := range f.m {
		for _, kn := range known {
			if k == kn {
				continue outer
			}
		}
		extra[k] = v
	}
	return extra
}

func (d *decoder) unexpected(path string, extra map[string]any) {
	if d.future {
		return
	}
	for k := range extra {
		d.addf(join(path, k), "unexpected key (not part of nbformat 4.%d)", d.minor)
	}
}

func (d *decoder) required(path string, f *fields, key string) (any, bool) {
	v, ok := f.get(key)
	if !ok {
		d.addf(path, "missing required key %q", key)
	}
	return v, ok
}

// notebook decodes the top-level value. It returns nil only when the value
// is not an nbformat 4 notebook at all.
func (d *decoder) notebook(v any) *Notebook {
	root, ok := v.(map[string]any)
	if !ok {
		d.addf("", "not a notebook: the file holds %s, not a JSON object", kindOf(v))
		return nil
	}
	f := &fields{m: root}
	formatV, ok := f.get("nbformat")
	if !ok {
		if _, ok := root["worksheets"]; ok {
			d.addf("", "not a notebook this version of ocs can read: nbformat 3 or older (it has worksheets); convert it with: jupyter nbconvert --to notebook --nbformat 4")
		} else {
			d.addf("", "not a notebook: no \"nbformat\" key")
		}
		return nil
	}
	format, ok := d.integer("nbformat", formatV, 0)
	if !ok {
		return nil
	}
	if format != 4 {
		if format < 4 {
			d.addf("nbformat", "nbformat %d notebooks are not supported; convert it with: jupyter nbconvert --to notebook --nbformat 4", format)
		} else {
			d.addf("nbformat", "nbformat %d is newer than this version of ocs understands (it reads nbformat 4)", format)
		}
		return nil
	}
	nb := &Notebook{Format: 4}
	if mv, ok := d.required("", f, "nbformat_minor"); ok {
		if minor, ok := d.integer("nbformat_minor", mv, 0); ok {
			nb.FormatMinor = minor
		}
	}
	d.minor = nb.FormatMinor
	d.future = nb.FormatMinor > CurrentMinor
	if mv, ok := d.required("", f, "metadata"); ok {
		nb.Metadata = d.notebookMetadata("metadata", mv)
	}
	if cv, ok := d.required("", f, "cells"); ok {
		list, ok := cv.([]any)
		if !ok {
			d.addf("cells", "must be an array, found %s", kindOf(cv))
		}
		nb.Cells = make([]*Cell, 0, len(list))
		ids := make(map[string]int)
		for i, x := range list {
			path := index("cells", i)
			c := d.cell(path, x)
			if c == nil {
				continue
			}
			if c.ID != "" && (d.minor >= 5 || d.idsBefore45 > 0) {
				if first, dup := ids[c.ID]; dup {
					if d.tolerate(join(path, "id"), "read with a new id", "cell id %q is also the id of cells[%d]; ids must be unique", c.ID, first) {
						c.ID = ""
					}
				} else {
					ids[c.ID] = i
				}
			}
			nb.Cells = append(nb.Cells, c)
		}
	}
	nb.extra = f.rest("nbformat", "nbformat_minor", "metadata", "cells")
	d.unexpected("", nb.extra)
	if d.idsBefore45 > 1 {
		for i, w := range d.warnings {
			if strings.HasPrefix(w.Msg, "cell ids are part of") {
				d.warnings[i].Msg = strings.Replace(w.Msg, ";", fmt.Sprintf(" (%d cells have one);", d.idsBefore45), 1)
				break
			}
		}
	}
	if d.idsBefore45 > 0 {
		// nbformat upgrades such a notebook to 4.5 on reading; ocs does too,
		// keeping the ids it can and giving the other cells new ones.
		nb.FormatMinor = CurrentMinor
	}
	return nb
}

func (d *decoder) notebookMetadata(path string, v any) map[string]any {
	m, ok := d.object(path, v)
	if !ok {
		return map[string]any{}
	}
	if ks, ok := m["kernelspec"]; ok {
		if ko, ok := d.object(join(path, "kernelspec"), ks); ok {
			for _, key := range []string{"name", "display_name"} {
				if x, ok := ko[key]; !ok {
					d.addf(join(path, "kernelspec"), "missing required key %q", key)
				} else {
					d.str(join(join(path, "kernelspec"), key), x)
				}
			}
		}
	}
	if li, ok := m["language_info"]; ok {
		lpath := join(path, "language_info")
		if lo, ok := d.object(lpath, li); ok {
			if x, ok := lo["name"]; !ok {
				d.addf(lpath, "missing required key %q", "name")
			} else {
				d.str(join(lpath, "name"), x)
			}
			for _, key := range []string{"file_extension", "mimetype", "pygments_lexer"} {
				if x, ok := lo[key]; ok {
					d.str(join(lpath, key), x)
				}
			}
			if x, ok := lo["codemirror_mode"]; ok {
				switch x.(type) {
				case string, map[string]any:
				default:
					d.addf(join(lpath, "codemirror_mode"), "must be a string or an object, found %s", kindOf(x))
				}
			}
		}
	}
	if x, ok := m["orig_nbformat"]; ok {
		d.integer(join(path, "orig_nbformat"), x, 1)
	}
	if d.minor >= 2 {
		if x, ok := m["title"]; ok {
			d.str(join(path, "title"), x)
		}
		if x, ok := m["authors"]; ok {
			if _, ok := x.([]any); !ok {
				d.addf(join(path, "authors"), "must be an array, found %s", kindOf(x))
			}
		}
	}
	return m
}

func (d *decoder) cell(path string, v any) *Cell {
	m, ok := d.object(path, v)
	if !ok {
		return nil
	}
	f := &fields{m: m}
	c := &Cell{}
	typeV, ok := d.required(path, f, "cell_type")
	if !ok {
		return nil
	}
	c.Type, ok = d.str(join(path, "cell_type"), typeV)
	if !ok {
		return nil
	}
	switch c.Type {
	case Markdown, Code, Raw:
	default:
		if d.future {
			c.raw = m
			if md, ok := m["metadata"].(map[string]any); ok {
				c.Metadata = md
			}
			return c
		}
		d.addf(join(path, "cell_type"), "unknown cell type %q (want markdown, code or raw)", c.Type)
		return nil
	}
	idV, hasID := f.get("id")
	if !hasID && d.minor >= 5 {
		d.tolerate(path, "read with a new id", "missing required key %q (cells have ids from nbformat 4.5 on)", "id")
	}
	if hasID {
		if d.minor < 5 && !d.future {
			if !d.lenient || d.idsBefore45 == 0 {
				d.tolerate(join(path, "id"), "read as a 4.5 notebook", "cell ids are part of nbformat 4.5, but this notebook is 4.%d", d.minor)
			}
			if d.lenient {
				d.idsBefore45++
				if id, ok := idV.(string); ok && validID(id) {
					c.ID = id
				}
			}
		} else if id, ok := d.str(join(path, "id"), idV); ok {
			if !validID(id) {
				d.addf(join(path, "id"), "invalid cell id %q: 1 to 64 letters, digits, '-' or '_'", id)
			}
			c.ID = id
		}
	}
	if mv, ok := d.required(path, f, "metadata"); ok {
		c.Metadata = d.cellMetadata(join(path, "metadata"), c.Type, mv)
	} else {
		c.Metadata = map[string]any{}
	}
	if sv, ok := d.required(path, f, "source"); ok {
		c.Source = d.text(join(path, "source"), sv)
	}
	known := []string{"cell_type", "id", "metadata", "source"}
	switch c.Type {
	case Markdown, Raw:
		if av, ok := f.get("attachments"); ok {
			c.Attachments = d.attachments(join(path, "attachments"), av)
		}
		known = append(known, "attachments")
	case Code:
		if ov, ok := d.required(path, f, "outputs"); ok {
			list, ok := ov.([]any)
			if !ok {
				d.addf(join(path, "outputs"), "must be an array, found %s", kindOf(ov))
			}
			c.Outputs = make([]*Output, 0, len(list))
			for i, x := range list {
				if o := d.output(index(join(path, "outputs"), i), x); o != nil {
					c.Outputs = append(c.Outputs, o)
				}
			}
		}
		if ev, ok := d.required(path, f, "execution_count"); ok && ev != nil {
			if n, ok := d.integer(join(path, "execution_count"), ev, 0); ok {
				c.ExecutionCount = &n
			}
		}
		known = append(known, "outputs", "execution_count")
	}
	c.extra = f.rest(known...)
	d.unexpected(path, c.extra)
	return c
}

// validID reports whether id is a valid nbformat 4.5 cell id.
func validID(id string) bool {
	n := utf8.RuneCountInString(id)
	return n >= 1 && n <= 64 && pyFullMatch(cellIDPattern, id)
}

func (d *decoder) cellMetadata(path, cellType string, v any) map[string]any {
	m, ok := d.object(path, v)
	if !ok {
		return map[string]any{}
	}
	if x, ok := m["name"]; ok {
		if s, ok := d.str(join(path, "name"), x); ok && !pyFullMatch(namePattern, s) {
			d.addf(join(path, "name"), "must be a non-empty single line")
		}
	}
	if x, ok := m["tags"]; ok {
		tpath := join(path, "tags")
		if list, ok := x.([]any); !ok {
			d.addf(tpath, "must be an array of strings, found %s", kindOf(x))
		} else {
			seen := make(map[string]bool, len(list))
			for i, t := range list {
				s, ok := d.str(index(tpath, i), t)
				if !ok {
					continue
				}
				if !pyFullMatch(tagPattern, s) {
					d.addf(index(tpath, i), "invalid tag %q: tags are non-empty and hold no comma", s)
				}
				if seen[s] {
					d.addf(index(tpath, i), "tag %q appears twice; tags must be unique", s)
				}
				seen[s] = true
			}
		}
	}
	if x, ok := m["jupyter"]; ok && d.minor >= 3 {
		d.object(join(path, "jupyter"), x)
	}
	switch cellType {
	case Raw:
		if x, ok := m["format"]; ok {
			d.str(join(path, "format"), x)
		}
	case Code:
		if x, ok := m["collapsed"]; ok {
			if _, ok := x.(bool); !ok {
				d.addf(join(path, "collapsed"), "must be a boolean, found %s", kindOf(x))
			}
		}
		if x, ok := m["scrolled"]; ok {
			if _, ok := x.(bool); !ok && x != "auto" {
				d.addf(join(path, "scrolled"), "must be true, false or \"auto\", found %s", kindOf(x))
			}
		}
		if x, ok := m["execution"]; ok && d.minor >= 4 {
			epath := join(path, "execution")
			if em, ok := d.object(epath, x); ok {
				for k, t := range em {
					d.str(join(epath, k), t)
				}
			}
		}
	}
	return m
}

func (d *decoder) attachments(path string, v any) map[string]any {
	m, ok := d.object(path, v)
	if !ok {
		return nil
	}
	for name, bundle := range m {
		d.bundle(join(path, name), bundle)
	}
	return m
}

// bundle checks a MIME bundle: JSON types may hold any value, every other
// type a string or a list of strings.
func (d *decoder) bundle(path string, v any) map[string]any {
	m, ok := d.object(path, v)
	if !ok {
		return map[string]any{}
	}
	for mime, x := range m {
		if pyFullMatch(jsonMimeRegexp, mime) {
			continue
		}
		d.text(join(path, mime), x)
	}
	return m
}

func (d *decoder) output(path string, v any) *Output {
	m, ok := d.object(path, v)
	if !ok {
		return nil
	}
	f := &fields{m: m}
	o := &Output{}
	typeV, ok := d.required(path, f, "output_type")
	if !ok {
		return nil
	}
	if o.Type, ok = d.str(join(path, "output_type"), typeV); !ok {
		return nil
	}
	var known []string
	switch o.Type {
	case StreamOutput:
		if x, ok := d.required(path, f, "name"); ok {
			o.Name, _ = d.str(join(path, "name"), x)
		}
		if x, ok := d.required(path, f, "text"); ok {
			o.Text = d.text(join(path, "text"), x)
		}
		known = []string{"output_type", "name", "text"}
	case DisplayOutput, ResultOutput:
		if x, ok := d.required(path, f, "data"); ok {
			o.Data = d.bundle(join(path, "data"), x)
		}
		if x, ok := d.required(path, f, "metadata"); ok {
			o.Metadata, _ = d.object(join(path, "metadata"), x)
		}
		known = []string{"output_type", "data", "metadata"}
		if o.Type == ResultOutput {
			if x, ok := d.required(path, f, "execution_count"); ok && x != nil {
				if n, ok := d.integer(join(path, "execution_count"), x, 0); ok {
					o.ExecutionCount = &n
				}
			}
			known = append(known, "execution_count")
		}
	case ErrorOutput:
		if x, ok := d.required(path, f, "ename"); ok {
			o.EName, _ = d.str(join(path, "ename"), x)
		}
		if x, ok := d.required(path, f, "evalue"); ok {
			o.EValue, _ = d.str(join(path, "evalue"), x)
		}
		if x, ok := d.required(path, f, "traceback"); ok {
			o.Traceback = d.stringList(join(path, "traceback"), x)
		}
		known = []string{"output_type", "ename", "evalue", "traceback"}
	default:
		if d.future {
			o.raw = m
			return o
		}
		d.addf(join(path, "output_type"), "unknown output type %q (want stream, display_data, execute_result or error)", o.Type)
		return nil
	}
	o.extra = f.rest(known...)
	d.unexpected(path, o.extra)
	return o
}

// nonFinite reports every NaN, Infinity and -Infinity in the tree by path.
// Python's json module writes them for float values JSON cannot hold, and
// nbformat reads them back, so the lenient reader keeps them as they are.
func (d *decoder) nonFinite(path string, v any) {
	switch v := v.(type) {
	case json.Number:
		if isNonFinite(v) {
			d.tolerate(path, "kept as is", "%s is not valid JSON (Python's json module writes it for a float)", v)
		}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			d.nonFinite(join(path, k), v[k])
		}
	case []any:
		for i, x := range v {
			d.nonFinite(index(path, i), x)
		}
	}
}
