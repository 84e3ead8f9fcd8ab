package templates

import (
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Tags of OCS templates (ocs-templates' vcp:* hints for automated runs).
const (
	// VCPParametersTag marks a cell a person fills in before running it.
	VCPParametersTag = "vcp:parameters"
	// VCPSkipTag marks a cell that needs a person.
	VCPSkipTag = "vcp:skip"
)

// Kinds of parameter an OCS parameters cell declares.
const (
	KindRequired = "required" // NAME =    (a placeholder, not Python until filled)
	KindDefault  = "default"  // NAME = VALUE
	KindOptional = "optional" // only in a comment: # NAME = VALUE
	KindSecret   = "secret"   // NAME = getpass()
)

// VCPCell is a cell tagged vcp:parameters, read: what it declares and where,
// so that values can be written into it in place.
type VCPCell struct {
	src    string
	Params []Param
	spans  map[string][]span // the value part of each assignment of a name
}

// span is where a value goes: [from, to) of the source, and whether a
// comment follows it directly (a placeholder's).
type span struct {
	from, to   int
	beforeNote bool
}

// getpassCall is a value asking a person for a secret.
var getpassCall = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(getpass\.)?getpass[ \t]*\(.*\)$`) })

// ParseVCPParams reads an OCS parameters cell: top-level `NAME = ` with
// nothing after the = is a required parameter, `NAME = VALUE` one with a
// default (the comment beside it is its help), `NAME = getpass()` a secret,
// and a commented assignment `# NAME = VALUE` an example for NAME, or, when
// NAME is assigned nowhere in the cell, an optional parameter. Anything
// else in the cell is code and declares nothing.
func ParseVCPParams(src string) (*VCPCell, error) {
	lines, err := splitPyLines(src)
	if err != nil {
		return nil, err
	}
	c := &VCPCell{src: src, spans: map[string][]span{}}
	at := map[string]int{}
	examples := map[string][]string{}
	var exampleOrder []string
	exampleLine := map[string]int{}
	for _, l := range lines {
		if l.magic {
			continue
		}
		code := l.code(src)
		if code == "" {
			// A comment line: an example if it reads as an assignment.
			text := l.commentText(src)
			name, _, valueAt, ok := assignment(text)
			if !ok {
				continue
			}
			if _, seen := examples[name]; !seen {
				exampleOrder = append(exampleOrder, name)
				exampleLine[name] = l.line
			}
			if v := strings.TrimSpace(text[valueAt:]); v != "" {
				examples[name] = append(examples[name], v)
			} else if examples[name] == nil {
				examples[name] = []string{}
			}
			continue
		}
		if l.indent > 0 {
			continue
		}
		name, annotation, valueAt, ok := assignment(code)
		if !ok {
			continue
		}
		value := strings.TrimSpace(code[valueAt:])
		p := Param{Name: name, Default: value, Type: pyType(value), Help: l.commentText(src), Line: l.line}
		switch {
		case value == "":
			p.Kind = KindRequired
		case getpassCall().MatchString(value):
			p.Kind, p.Default, p.Type = KindSecret, "", "secret"
		default:
			p.Kind = KindDefault
		}
		if annotation != "" && p.Kind == KindDefault {
			p.Type = annotation
		}
		from, to := l.start+l.indent+valueAt, l.codeEnd
		if p.Kind == KindRequired {
			// The white space after a placeholder's = goes with it.
			to = l.end
			if l.comment >= 0 {
				to = l.comment
			}
		}
		c.spans[name] = append(c.spans[name], span{from, to, p.Kind == KindRequired && l.comment >= 0})
		if i, seen := at[name]; seen {
			// A later assignment decides what the cell leaves behind.
			line, help := c.Params[i].Line, c.Params[i].Help
			c.Params[i] = p
			c.Params[i].Line = line
			if p.Help == "" {
				c.Params[i].Help = help
			}
			continue
		}
		at[name] = len(c.Params)
		c.Params = append(c.Params, p)
	}
	for _, name := range exampleOrder {
		ex := strings.Join(examples[name], " or ")
		if i, ok := at[name]; ok {
			c.Params[i].Example = ex
			continue
		}
		c.Params = append(c.Params, Param{Name: name, Kind: KindOptional, Example: ex, Type: pyType(firstOr(examples[name])), Line: exampleLine[name]})
	}
	sort.SliceStable(c.Params, func(i, j int) bool { return c.Params[i].Line < c.Params[j].Line })
	return c, nil
}

func firstOr(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[0]
}

// Source returns the cell as it was read.
func (c *VCPCell) Source() string { return c.src }

// Param returns the parameter called name, if the cell declares it.
func (c *VCPCell) Param(name string) (Param, bool) {
	for _, p := range c.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// Fill writes values (Python source, by name) into the cell in place: a
// placeholder gets its value, a default is replaced, and an optional
// parameter is added as a line at the end of the cell. Names the cell does
// not declare are left out.
func (c *VCPCell) Fill(values map[string]string) string {
	type edit struct {
		from, to int
		text     string
	}
	var edits []edit
	var added []string
	for _, p := range c.Params {
		v, ok := values[p.Name]
		if !ok {
			continue
		}
		if p.Kind == KindOptional {
			added = append(added, p.Name+" = "+v)
			continue
		}
		for _, s := range c.spans[p.Name] {
			text := " " + v
			if s.beforeNote {
				text += "  "
			}
			edits = append(edits, edit{s.from, s.to, text})
		}
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].from < edits[j].from })
	var b strings.Builder
	last := 0
	for _, e := range edits {
		b.WriteString(c.src[last:e.from])
		b.WriteString(e.text)
		last = e.to
	}
	b.WriteString(c.src[last:])
	out := b.String()
	if len(added) > 0 {
		trailing := strings.HasSuffix(out, "\n")
		if out != "" && !trailing {
			out += "\n"
		}
		out += strings.Join(added, "\n")
		if trailing {
			out += "\n"
		}
	}
	return out
}

// getpassLine finds `NAME = getpass(...)` anywhere in a cell.
var getpassLine = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?m)^[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(?:getpass\.)?getpass[ \t]*\(`)
})

// GetpassNames returns the names a cell assigns from getpass(), in order:
// the secrets it asks a person for.
func GetpassNames(src string) []string {
	var names []string
	seen := map[string]bool{}
	for _, m := range getpassLine().FindAllStringSubmatch(src, -1) {
		if !seen[m[1]] && !pyKeywords[m[1]] {
			seen[m[1]] = true
			names = append(names, m[1])
		}
	}
	return names
}
