package notebook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// The percent format is jupytext's text form of a notebook: a script in the
// notebook's language where a comment line "# %%" ("// %%" in Go) starts
// each cell. ocs reads and writes the subset docs/percent.md describes:
//
//	// ---                              header: the notebook metadata as YAML
//	// jupyter:                         under "jupyter", commented line by line
//	//   kernelspec: ...
//	// ---
//
//	// %% [markdown] id="intro"          a markdown cell: its lines commented
//	// # Title
//
//	// %% tags=["parameters"] id="p"     a code cell: its lines as they are
//	name := "world"
//
// On the marker line: an optional title, the cell type in brackets
// ([markdown], [md], [raw]; none for code), then metadata as key=JSON
// pairs (or one JSON object). The cell id is the pair id="..."; a cell
// without one gets an id derived from its place and content, which the
// writer leaves out again, so that text without ids converts to the same
// notebook every time and back to the same bytes. Outputs and execution
// counts are not part of the format.
//
// The canonical layout (what the writer produces, and what reads back to
// the same bytes): the header, in Go a blank line and "//go:build ignore",
// then for each cell a blank line, its marker line, and its source
// followed by a newline.

// goBuildIgnore follows the header of a Go text notebook: the file is not
// Go source, and the constraint keeps go build, go vet and editors from
// reading it as part of a package. jupytext reads it as a first code cell
// holding a comment.
const goBuildIgnore = "//go:build ignore"

// TextFormatVersion is the percent format version written in the header,
// the one jupytext documents for the cell markers used here.
const TextFormatVersion = "1.3"

// TextLanguage is a language the percent format is written in.
type TextLanguage struct {
	Name      string // language_info.name: "go", "python"
	Extension string // ".go", ".py"
	Comment   string // line comment: "//", "#"
}

// TextLanguages are the languages ocs writes and reads percent files in.
var TextLanguages = []TextLanguage{
	{Name: "go", Extension: ".go", Comment: "//"},
	{Name: "python", Extension: ".py", Comment: "#"},
}

// TextLanguageOf returns the percent-format language of a notebook, from
// its kernelspec's language or language_info.name.
func TextLanguageOf(nb *Notebook) (TextLanguage, error) {
	var names []string
	if ks, ok := nb.Metadata["kernelspec"].(map[string]any); ok {
		if s, ok := ks["language"].(string); ok {
			names = append(names, s)
		}
	}
	if li, ok := nb.Metadata["language_info"].(map[string]any); ok {
		if s, ok := li["name"].(string); ok {
			names = append(names, s)
		}
	}
	for _, n := range names {
		for _, l := range TextLanguages {
			if strings.EqualFold(n, l.Name) {
				return l, nil
			}
		}
	}
	if len(names) == 0 {
		return TextLanguage{}, errors.New("the notebook names no language (metadata.kernelspec.language or language_info.name)")
	}
	return TextLanguage{}, fmt.Errorf("no text format for language %q (ocs writes go and python)", names[0])
}

// textLanguageByExt returns the language whose files end in ext.
func textLanguageByExt(ext string) (TextLanguage, bool) {
	for _, l := range TextLanguages {
		if strings.EqualFold(ext, l.Extension) {
			return l, true
		}
	}
	return TextLanguage{}, false
}

// IsTextFile reports whether path names a percent-format file by its
// extension (.go, .py); whether it holds a notebook, its header says
// (IsText).
func IsTextFile(path string) bool {
	_, ok := textLanguageByExt(filepath.Ext(path))
	return ok
}

// IsText reports whether data starts with a percent-format header that
// holds notebook metadata: "# ---" or "// ---", then a "jupyter:" key.
// An ordinary script is not a notebook, whatever its extension.
func IsText(data []byte) bool {
	for _, l := range TextLanguages {
		open := l.Comment + " ---\n"
		if !bytes.HasPrefix(data, []byte(open)) {
			continue
		}
		rest := data[len(open):]
		for len(rest) > 0 {
			line, after, _ := bytes.Cut(rest, []byte("\n"))
			s := strings.TrimRight(string(line), "\r")
			if s == l.Comment+" ---" {
				return false
			}
			if s == l.Comment+" jupyter:" {
				return true
			}
			rest = after
		}
	}
	return false
}

// textError is a problem at a line of a percent file.
func textError(name string, line int, format string, args ...any) error {
	return &SyntaxError{File: name, Line: line, Col: 1, Msg: fmt.Sprintf(format, args...)}
}

var (
	metaKeyStart = regexp.MustCompile(`(?:^|\s)([A-Za-z_][\w.]*)=`)
	simpleKey    = regexp.MustCompile(`^[A-Za-z_][\w.]*$`)
)

// ParseText reads a notebook in the percent format. The comment style
// comes from the header's first line. The notebook is nbformat 4.5.
func ParseText(data []byte, name string) (*Notebook, error) {
	if !utf8Valid(data) {
		off := invalidUTF8Offset(data)
		line, col := lineCol(data, off)
		return nil, &SyntaxError{File: name, Line: line, Col: col, Msg: "invalid UTF-8; text notebooks are UTF-8"}
	}
	lines := strings.SplitAfter(string(data), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	var lang TextLanguage
	found := false
	if len(lines) > 0 {
		first := strings.TrimRight(lines[0], "\r\n")
		for _, l := range TextLanguages {
			if first == l.Comment+" ---" {
				lang, found = l, true
			}
		}
	}
	if !found {
		return nil, textError(name, 1, "not a text notebook: the file does not start with a header (\"# ---\" or \"// ---\")")
	}
	nb := &Notebook{Format: 4, FormatMinor: CurrentMinor, Metadata: map[string]any{}}
	// The header.
	end := -1
	for i := 1; i < len(lines); i++ {
		if strings.TrimRight(lines[i], "\r\n") == lang.Comment+" ---" {
			end = i
			break
		}
	}
	if end < 0 {
		return nil, textError(name, 1, "the header has no closing %q line", lang.Comment+" ---")
	}
	var yamlText strings.Builder
	for i := 1; i < end; i++ {
		l := strings.TrimRight(lines[i], "\r\n")
		switch {
		case l == lang.Comment:
		case strings.HasPrefix(l, lang.Comment+" "):
			yamlText.WriteString(l[len(lang.Comment)+1:])
		default:
			return nil, textError(name, i+1, "header line is not a %q comment", lang.Comment)
		}
		yamlText.WriteByte('\n')
	}
	meta, err := headerMetadata(yamlText.String())
	if err != nil {
		return nil, textError(name, 2, "header: %v", err)
	}
	nb.Metadata = meta
	// The cells.
	type pending struct {
		cell  *Cell
		line  int
		body  []string
		hasID bool
	}
	var cells []*pending
	i := end + 1
	for ; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], "\r\n")
		if _, ok := markerRest(l, lang.Comment); ok {
			break
		}
		if lang.Name == "go" && strings.HasPrefix(l, "//go:build ") {
			continue // the file's build constraint, not a cell
		}
		if strings.TrimSpace(l) != "" {
			// Code before the first marker is a code cell, as jupytext reads it.
			cells = append(cells, &pending{cell: NewCell(Code, ""), line: i + 1})
			break
		}
	}
	for ; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], "\r\n")
		rest, ok := markerRest(l, lang.Comment)
		if !ok {
			if len(cells) == 0 {
				continue
			}
			p := cells[len(cells)-1]
			p.body = append(p.body, lines[i])
			continue
		}
		c, hasID, err := parseMarker(rest)
		if err != nil {
			return nil, textError(name, i+1, "cell marker: %v", err)
		}
		cells = append(cells, &pending{cell: c, line: i + 1, hasID: hasID})
	}
	for n, p := range cells {
		body := p.body
		// One blank line separates cells.
		if n < len(cells)-1 && len(body) > 0 && strings.TrimSpace(body[len(body)-1]) == "" {
			body = body[:len(body)-1]
		}
		var src strings.Builder
		for k, l := range body {
			if p.cell.Type != Code {
				content := strings.TrimRight(l, "\r\n")
				ending := l[len(content):]
				switch {
				case content == lang.Comment:
					content = ""
				case strings.HasPrefix(content, lang.Comment+" "):
					content = content[len(lang.Comment)+1:]
				case strings.TrimSpace(content) == "":
					content = ""
				default:
					return nil, textError(name, p.line+1+k, "a line of a %s cell must be a %q comment", p.cell.Type, lang.Comment)
				}
				l = content + ending
			} else if lang.Name == "go" {
				l = unescapeGoMagic(l)
			}
			src.WriteString(l)
		}
		s := strings.TrimSuffix(src.String(), "\n")
		p.cell.Source = NewText(s)
		if !p.hasID {
			p.cell.ID = derivedID(n, p.cell)
		}
		nb.Cells = append(nb.Cells, p.cell)
	}
	seen := map[string]int{}
	for n, c := range nb.Cells {
		if first, dup := seen[c.ID]; dup {
			return nil, textError(name, cells[n].line, "cell id %q is also the id of cell %d", c.ID, first)
		}
		seen[c.ID] = n
	}
	// What the text holds must be a valid notebook.
	out, err := nb.Bytes()
	if err != nil {
		return nil, err
	}
	if _, err := Parse(out, name); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			ve.File = name
		}
		return nil, err
	}
	return nb, nil
}

func utf8Valid(data []byte) bool { return invalidUTF8Offset(data) == len(data) }

// unescapeGoMagic turns jupytext's "//gonb:%%" (how it keeps gonb's cell
// magics parseable as Go) back into the magic line.
func unescapeGoMagic(l string) string {
	trimmed := strings.TrimLeft(l, " \t")
	if rest, ok := strings.CutPrefix(trimmed, "//gonb:"); ok && (strings.HasPrefix(rest, "%") || strings.HasPrefix(rest, "!")) {
		return l[:len(l)-len(trimmed)] + rest
	}
	return l
}

// markerRest reports whether l is a cell marker ("# %%", "#%%", "// %%"),
// and returns what follows the percent signs.
func markerRest(l, comment string) (string, bool) {
	rest, ok := strings.CutPrefix(l, comment)
	if !ok {
		return "", false
	}
	rest = strings.TrimPrefix(rest, " ")
	rest, ok = strings.CutPrefix(rest, "%%")
	if !ok || (rest != "" && rest[0] != ' ') {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

// parseMarker reads what follows "%%": an optional title, an optional cell
// type in brackets, and metadata.
func parseMarker(rest string) (*Cell, bool, error) {
	meta := map[string]any{}
	head, metaText := rest, ""
	start := -1
	if loc := metaKeyStart.FindStringIndex(rest); loc != nil {
		start = loc[0]
	}
	if i := strings.Index(rest, "{"); i >= 0 && (start < 0 || i < start) {
		start = i
	}
	if start >= 0 {
		head, metaText = rest[:start], strings.TrimSpace(rest[start:])
	}
	for metaText != "" {
		if strings.HasPrefix(metaText, "{") {
			v, n, err := decodeJSONPrefix(metaText)
			if err != nil {
				return nil, false, err
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false, errors.New("metadata must be a JSON object")
			}
			for k, x := range m {
				if _, dup := meta[k]; dup {
					return nil, false, fmt.Errorf("key %q given twice", k)
				}
				meta[k] = x
			}
			metaText = strings.TrimSpace(metaText[n:])
			continue
		}
		key, after, ok := strings.Cut(metaText, "=")
		if !ok || !simpleKey.MatchString(key) {
			return nil, false, fmt.Errorf("expected key=value, found %q", metaText)
		}
		v, n, err := decodeJSONPrefix(after)
		if err != nil {
			return nil, false, fmt.Errorf("value of %q: %v", key, err)
		}
		if _, dup := meta[key]; dup {
			return nil, false, fmt.Errorf("key %q given twice", key)
		}
		meta[key] = v
		metaText = strings.TrimSpace(after[n:])
	}
	head = strings.TrimSpace(head)
	cellType := Code
	for _, t := range []struct{ token, typ string }{{"[markdown]", Markdown}, {"[md]", Markdown}, {"[raw]", Raw}} {
		if i := strings.Index(head, t.token); i >= 0 {
			cellType = t.typ
			head = strings.TrimSpace(head[:i] + head[i+len(t.token):])
			break
		}
	}
	if head != "" {
		if _, ok := meta["title"]; ok {
			return nil, false, errors.New("a title both before the metadata and as title=")
		}
		meta["title"] = head
	}
	c := NewCell(cellType, "")
	hasID := false
	if v, ok := meta["id"]; ok {
		id, isString := v.(string)
		if !isString || !validID(id) {
			return nil, false, fmt.Errorf("invalid cell id %v: 1 to 64 letters, digits, '-' or '_'", v)
		}
		c.ID, hasID = id, true
		delete(meta, "id")
	}
	c.Metadata = meta
	return c, hasID, nil
}

// decodeJSONValue decodes s, which must be one JSON value.
func decodeJSONValue(s string) (any, error) {
	v, n, err := decodeJSONPrefix(s)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(s[n:]) != "" {
		return nil, fmt.Errorf("unexpected %q after the metadata", s[n:])
	}
	return v, nil
}

// decodeJSONPrefix decodes the JSON value at the start of s and returns
// how many bytes it took.
func decodeJSONPrefix(s string) (any, int, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, 0, fmt.Errorf("invalid JSON: %v", err)
	}
	return v, int(dec.InputOffset()), nil
}

// derivedID is the id of a cell the text gives none: the same for the same
// place, type and source, so that converting the text is repeatable.
func derivedID(index int, c *Cell) string {
	sum := sha256.Sum256([]byte(strconv.Itoa(index) + "\x00" + c.Type + "\x00" + c.Source.String()))
	return hex.EncodeToString(sum[:4])
}

// textRepresentation is the metadata.jupytext key jupytext uses to say
// which text format a file is in; it belongs to the text, not the notebook.
const textRepresentation = "text_representation"

// headerMetadata reads the header's YAML: the notebook metadata under
// "jupyter", less jupytext's note of the text format.
func headerMetadata(text string) (map[string]any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 {
		return nil, errors.New("no \"jupyter\" key")
	}
	v, err := fromYAML(&doc)
	if err != nil {
		return nil, err
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("must be a mapping with a \"jupyter\" key")
	}
	for k := range top {
		if k != "jupyter" {
			return nil, fmt.Errorf("unexpected key %q (the notebook metadata goes under \"jupyter\")", k)
		}
	}
	meta, ok := top["jupyter"].(map[string]any)
	if !ok {
		return nil, errors.New("\"jupyter\" must be a mapping of the notebook metadata")
	}
	if jt, ok := meta["jupytext"].(map[string]any); ok {
		delete(jt, textRepresentation)
		if len(jt) == 0 {
			delete(meta, "jupytext")
		}
	}
	return meta, nil
}

// fromYAML turns a YAML node into the JSON values the model holds.
func fromYAML(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return fromYAML(n.Content[0])
	case yaml.AliasNode:
		return nil, fmt.Errorf("line %d: YAML aliases are not used in notebook metadata", n.Line)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: keys must be strings", k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("line %d: key %q given twice", k.Line, k.Value)
			}
			v, err := fromYAML(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := fromYAML(c)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return nil, err
			}
			return b, nil
		case "!!int":
			if isJSONNumber(n.Value) {
				return json.Number(n.Value), nil
			}
			var i int64
			if err := n.Decode(&i); err != nil {
				return nil, fmt.Errorf("line %d: %v", n.Line, err)
			}
			return json.Number(strconv.FormatInt(i, 10)), nil
		case "!!float":
			if isJSONNumber(n.Value) {
				return json.Number(n.Value), nil
			}
			var f float64
			if err := n.Decode(&f); err != nil {
				return nil, fmt.Errorf("line %d: %v", n.Line, err)
			}
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("line %d: %s has no JSON form", n.Line, n.Value)
			}
			return json.Number(pyFloat(f)), nil
		case "!!str":
			return n.Value, nil
		}
		return nil, fmt.Errorf("line %d: YAML type %s is not used in notebook metadata", n.Line, n.ShortTag())
	}
	return nil, fmt.Errorf("line %d: unexpected YAML", n.Line)
}

var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

func isJSONNumber(s string) bool { return jsonNumber.MatchString(s) }

// toYAML turns a JSON value into a YAML node, map keys sorted.
func toYAML(v any) (*yaml.Node, error) {
	switch v := v.(type) {
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}, nil
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}, nil
	case json.Number:
		if isNonFinite(v) {
			return nil, fmt.Errorf("%s has no YAML form in a notebook header", v)
		}
		s := numberLiteral(v)
		tag := "!!int"
		if strings.ContainsAny(s, ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: s}, nil
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if len(v) == 0 {
			n.Style = yaml.FlowStyle
		}
		for _, x := range v {
			c, err := toYAML(x)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, c)
		}
		return n, nil
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		if len(v) == 0 {
			n.Style = yaml.FlowStyle
		}
		for _, k := range slices.Sorted(mapsKeys(v)) {
			c, err := toYAML(v[k])
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, c)
		}
		return n, nil
	}
	return nil, fmt.Errorf("unexpected metadata value of type %T", v)
}

func mapsKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// numberLiteral is a number as the notebook encoder writes it.
func numberLiteral(n json.Number) string {
	var b bytes.Buffer
	e := newEncoder(&b)
	e.number(n)
	_ = e.flush()
	return b.String()
}

// EncodeText writes nb in the percent format of its language. Outputs and
// execution counts are left out. It fails for a notebook in a language
// without a text form, and for a code cell holding a line that would read
// as a cell marker.
func (nb *Notebook) EncodeText(w io.Writer) error {
	lang, err := TextLanguageOf(nb)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	meta := make(map[string]any, len(nb.Metadata)+1)
	for k, v := range nb.Metadata {
		meta[k] = v
	}
	jt := map[string]any{}
	if old, ok := meta["jupytext"].(map[string]any); ok {
		for k, v := range old {
			jt[k] = v
		}
	}
	jt[textRepresentation] = map[string]any{
		"extension":      lang.Extension,
		"format_name":    "percent",
		"format_version": TextFormatVersion,
	}
	meta["jupytext"] = jt
	node, err := toYAML(map[string]any{"jupyter": meta})
	if err != nil {
		return err
	}
	var y bytes.Buffer
	enc := yaml.NewEncoder(&y)
	enc.SetIndent(2)
	if err := enc.Encode(node); err != nil {
		return fmt.Errorf("write the header: %w", err)
	}
	_ = enc.Close()
	b.WriteString(lang.Comment + " ---\n")
	for _, l := range strings.SplitAfter(strings.TrimSuffix(y.String(), "\n"), "\n") {
		if strings.TrimRight(l, "\n") == "" {
			b.WriteString(lang.Comment + "\n")
			continue
		}
		b.WriteString(lang.Comment + " " + l)
		if !strings.HasSuffix(l, "\n") {
			b.WriteByte('\n')
		}
	}
	b.WriteString(lang.Comment + " ---\n")
	if lang.Name == "go" {
		b.WriteString("\n" + goBuildIgnore + "\n")
	}
	for i, c := range nb.Cells {
		if c.raw != nil {
			return fmt.Errorf("cells[%d]: cell type %q has no text form", i, c.Type)
		}
		b.WriteByte('\n')
		marker, err := markerLine(lang, i, c)
		if err != nil {
			return fmt.Errorf("cells[%d]: %w", i, err)
		}
		b.WriteString(marker + "\n")
		src := c.Source.String()
		if src == "" {
			continue
		}
		for k, l := range strings.SplitAfter(src, "\n") {
			if l == "" {
				continue
			}
			if c.Type == Code {
				if _, ok := markerRest(strings.TrimRight(l, "\r\n"), lang.Comment); ok {
					return fmt.Errorf("cells[%d]: line %d reads as a cell marker in the text format", i, k+1)
				}
				if lang.Name == "go" && unescapeGoMagic(l) != l {
					return fmt.Errorf("cells[%d]: line %d reads as jupytext's escaped magic (//gonb:) in the text format", i, k+1)
				}
				b.WriteString(l)
				continue
			}
			content := strings.TrimRight(l, "\r\n")
			if content == "" {
				b.WriteString(lang.Comment + l[len(content):])
				continue
			}
			if _, ok := markerRest(lang.Comment+" "+content, lang.Comment); ok {
				return fmt.Errorf("cells[%d]: line %d reads as a cell marker in the text format", i, k+1)
			}
			b.WriteString(lang.Comment + " " + l)
		}
		b.WriteByte('\n')
	}
	_, err = w.Write(b.Bytes())
	return err
}

// TextBytes returns nb in the percent format.
func (nb *Notebook) TextBytes() ([]byte, error) {
	var b bytes.Buffer
	err := nb.EncodeText(&b)
	return b.Bytes(), err
}

// markerLine writes the "%%" line of cell i.
func markerLine(lang TextLanguage, i int, c *Cell) (string, error) {
	var b strings.Builder
	b.WriteString(lang.Comment + " %%")
	switch c.Type {
	case Markdown:
		b.WriteString(" [markdown]")
	case Raw:
		b.WriteString(" [raw]")
	}
	keys := slices.Sorted(mapsKeys(c.Metadata))
	if _, ok := c.Metadata["id"]; ok {
		return "", errors.New(`cell metadata key "id" has no text form (the marker's id= is the cell id)`)
	}
	plain := true
	for _, k := range keys {
		if !simpleKey.MatchString(k) {
			plain = false
		}
	}
	if plain {
		for _, k := range keys {
			v, err := compactJSON(c.Metadata[k])
			if err != nil {
				return "", err
			}
			b.WriteString(" " + k + "=" + v)
		}
	} else {
		v, err := compactJSON(c.Metadata)
		if err != nil {
			return "", err
		}
		b.WriteString(" " + v)
	}
	if c.ID != "" && c.ID != derivedID(i, c) {
		v, _ := compactJSON(c.ID)
		b.WriteString(" id=" + v)
	}
	if strings.Contains(b.String(), "\n") {
		return "", errors.New("metadata does not fit on one line")
	}
	return b.String(), nil
}

// compactJSON writes v on one line, keys sorted, with Python's default
// separators (", " and ": "), as jupytext writes marker metadata.
func compactJSON(v any) (string, error) {
	var b strings.Builder
	var write func(v any) error
	write = func(v any) error {
		switch v := v.(type) {
		case nil:
			b.WriteString("null")
		case bool:
			b.WriteString(strconv.FormatBool(v))
		case json.Number:
			if isNonFinite(v) {
				return fmt.Errorf("%s has no JSON form on a marker line", v)
			}
			b.WriteString(numberLiteral(v))
		case string:
			var s bytes.Buffer
			enc := json.NewEncoder(&s)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(v); err != nil {
				return err
			}
			b.WriteString(strings.TrimSuffix(s.String(), "\n"))
		case []any:
			b.WriteByte('[')
			for i, x := range v {
				if i > 0 {
					b.WriteString(", ")
				}
				if err := write(x); err != nil {
					return err
				}
			}
			b.WriteByte(']')
		case map[string]any:
			b.WriteByte('{')
			for i, k := range slices.Sorted(mapsKeys(v)) {
				if i > 0 {
					b.WriteString(", ")
				}
				if err := write(k); err != nil {
					return err
				}
				b.WriteString(": ")
				if err := write(v[k]); err != nil {
					return err
				}
			}
			b.WriteByte('}')
		default:
			return fmt.Errorf("unexpected metadata value of type %T", v)
		}
		return nil
	}
	err := write(v)
	return b.String(), err
}
