package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"html/template"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	terminal "github.com/buildkite/terminal-to-html/v3"
	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	goldhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"

	"ocs/notebook"
	"ocs/runner"
)

// cellView is one cell as the page shows it.
type cellView struct {
	Anchor     string
	Index      int
	ID         string
	Type       string
	Status     string
	StatusText string
	Duration   string
	Section    string
	Tags       []string
	Body       template.HTML
	Outputs    []outputView
	Note       string
}

// outputView is one output: its HTML, or a note that the cap cut it.
type outputView struct {
	Class     string
	HTML      template.HTML
	Truncated *truncation
}

type truncation struct {
	Omitted string
	Log     string // the side log as the record names it
	Href    string // "" when it could not be written
	Problem string
}

// renderer holds what rendering a cell needs: made once per report.
type renderer struct {
	opts   Options
	md     goldmark.Markdown
	hl     *highlighter
	lexer  chroma.Lexer
	policy *bluemonday.Policy
}

func newRenderer(nb *notebook.Notebook, opts Options) *renderer {
	hl := highlight()
	return &renderer{
		opts:   opts,
		md:     goldmark.New(goldmark.WithExtensions(extension.GFM, extension.NewCJK(extension.WithEscapedSpace())), goldmark.WithRendererOptions(goldhtml.WithUnsafe())),
		hl:     hl,
		lexer:  hl.lexer(language(nb)),
		policy: outputPolicy(),
	}
}

// What follows is built on first use, not when the package initialises:
// every start of the ocs binary (a run, its Go worker, each `ocs vcp` line
// of a cell) would pay for it, and only `ocs report` uses it.
var (
	// styleSheet is the page's CSS: its own rules and the highlighter's.
	styleSheet = sync.OnceValue(func() string {
		var b strings.Builder
		b.WriteString(baseCSS)
		b.WriteString(termCSS())
		hl := highlight()
		if err := hl.formatter.(*chromahtml.Formatter).WriteCSS(&b, hl.style); err != nil {
			panic(err) // writing to a strings.Builder does not fail
		}
		return b.String()
	})
	outputPolicy = sync.OnceValue(newPolicy)
	// termPolicy keeps what terminal-to-html writes for colours and
	// links, and drops its images.
	termPolicy = sync.OnceValue(func() *bluemonday.Policy {
		p := bluemonday.NewPolicy()
		p.AllowAttrs("class").Matching(regexp.MustCompile(`^term-[a-z0-9 -]+$`)).OnElements("span")
		p.AllowAttrs("href").OnElements("a")
		p.AllowURLSchemes("http", "https")
		p.RequireNoFollowOnLinks(true)
		p.RequireNoReferrerOnLinks(true)
		return p
	})
	// truncNote is the note the runner writes where the output cap cut a
	// cell's output (runner/capture.go).
	truncNote = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^\s*\[ocs: (\d+) bytes of output omitted here; (?:the whole output is in (.+)|writing them to (.+?) failed: (.*))\]\s*$`)
	})
)

func newCodeFormatter() chroma.Formatter {
	return chromahtml.New(chromahtml.WithClasses(true), chromahtml.WithLineNumbers(true), chromahtml.LineNumbersInTable(true), chromahtml.TabWidth(4))
}

// newPolicy is what HTML from a cell may keep: text, tables, lists, links
// and inline images. No script, style sheet, event handler, form, frame or
// remote load; no class or id either, so an output cannot dress up as the
// report's own banner or take a cell's anchor.
func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "cite", "code", "del", "details", "dfn", "div",
		"em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "mark", "p",
		"pre", "q", "rp", "rt", "ruby", "s", "samp", "small", "span", "strike", "strong", "sub", "summary", "sup",
		"time", "tt", "u", "var", "wbr", "input")
	p.AllowLists()
	p.AllowTables()
	p.AllowAttrs("title").Globally()
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	// The only image source let through: an inline image.
	dataImage := regexp.MustCompile(`^data:image/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]+$`)
	p.AllowAttrs("src").Matching(dataImage).OnElements("img")
	p.AllowDataURIImages()
	p.AllowAttrs("alt").OnElements("img")
	p.AllowAttrs("width", "height").Matching(bluemonday.NumberOrPercent).OnElements("img")
	p.AllowAttrs("open").OnElements("details")
	// GFM task lists.
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("checked", "disabled").OnElements("input")
	p.AllowStyles("text-align", "color", "background-color", "font-weight", "font-style", "white-space").Globally()
	return p
}

func language(nb *notebook.Notebook) string {
	if ks, ok := nb.Metadata["kernelspec"].(map[string]any); ok && str(ks["language"]) != "" {
		return str(ks["language"])
	}
	if li, ok := nb.Metadata["language_info"].(map[string]any); ok {
		return str(li["name"])
	}
	return ""
}

func (r *renderer) cell(ci *cellInfo) cellView {
	c := ci.cell
	v := cellView{Anchor: cellAnchor(ci.index), Index: ci.index, ID: c.ID, Type: c.Type, Section: ci.section, Tags: c.Tags()}
	switch c.Type {
	case notebook.Markdown:
		v.Body = r.markdown(c.Source.String(), c.Attachments)
		return v
	case notebook.Code:
	default:
		v.Body = template.HTML("<pre>" + html.EscapeString(c.Source.String()) + "</pre>")
		return v
	}
	v.Status = ci.status
	v.StatusText = statusWord(ci.status)
	switch ci.status {
	case "not-run":
		v.StatusText = "did not run"
		v.Note = "This cell did not run."
	case string(runner.Pending):
		v.StatusText = "pending"
		v.Note = "Pending: the run stopped before this cell."
	case string(runner.Skipped):
		v.Note = "Skipped."
		meta, _ := c.Metadata[notebook.OCSKey].(map[string]any)
		if reason := str(meta["reason"]); reason != "" {
			v.Note = "Skipped (" + reason + ")."
		}
	}
	if ci.dur > 0 || ci.end != "" {
		v.Duration = showDuration(ci.dur)
	}
	v.Body = r.code(c.Source.String())
	for _, o := range c.Outputs {
		v.Outputs = append(v.Outputs, r.output(o))
	}
	if meta, ok := c.Metadata[notebook.OCSKey].(map[string]any); ok {
		if e := str(meta["side_log_error"]); e != "" {
			v.Outputs = append(v.Outputs, outputView{Class: "note", HTML: template.HTML(html.EscapeString("The side log could not be written: " + e))})
		}
	}
	return v
}

func (r *renderer) code(src string) template.HTML {
	lexer := r.lexer
	if first, _, _ := strings.Cut(src, "\n"); strings.HasPrefix(first, "%%") {
		// A cell magic: its body is in the magic's language.
		magic := strings.Fields(strings.TrimPrefix(first, "%%"))
		switch {
		case len(magic) == 0:
		case magic[0] == "bash" || magic[0] == "sh" || magic[0] == "ssh":
			lexer = r.hl.lexer("bash")
		case magic[0] == "writefile" && len(magic) > 1:
			lexer = r.hl.fileLexer(magic[len(magic)-1])
		}
	}
	it, err := lexer.Tokenise(nil, src)
	if err == nil {
		var b strings.Builder
		b.Grow(len(src) * 3)
		if err = r.hl.formatter.Format(&b, r.hl.style, it); err == nil {
			return template.HTML(b.String())
		}
	}
	return template.HTML("<pre>" + html.EscapeString(src) + "</pre>")
}

func (r *renderer) markdown(src string, attachments map[string]any) template.HTML {
	source := []byte(src)
	doc := r.md.Parser().Parse(text.NewReader(source))
	if attachments != nil {
		_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
			if img, ok := n.(*ast.Image); ok && entering {
				if name, ok := strings.CutPrefix(string(img.Destination), "attachment:"); ok {
					img.Destination = []byte(attachmentURI(attachments[name]))
				}
			}
			return ast.WalkContinue, nil
		})
	}
	var b bytes.Buffer
	if err := r.md.Renderer().Render(&b, source, doc); err != nil {
		return template.HTML("<pre>" + html.EscapeString(src) + "</pre>")
	}
	return template.HTML(r.policy.SanitizeBytes(b.Bytes()))
}

// attachmentURI turns a markdown cell's attachment (a MIME bundle) into a
// data URI.
func attachmentURI(v any) string {
	bundle, _ := v.(map[string]any)
	for _, mime := range []string{"image/png", "image/jpeg", "image/gif", "image/webp"} {
		if s, ok := notebook.BundleText(bundle[mime]); ok {
			if b64, ok := cleanBase64(s); ok {
				return "data:" + mime + ";base64," + b64
			}
		}
	}
	return ""
}

func (r *renderer) output(o *notebook.Output) outputView {
	switch o.Type {
	case notebook.StreamOutput:
		s := o.Text.String()
		if m := truncNote().FindStringSubmatch(s); m != nil {
			return outputView{Class: "truncated", Truncated: r.truncation(m)}
		}
		return outputView{Class: "stream " + statusClass(o.Name), HTML: "<pre>" + ansiHTML(s) + "</pre>"}
	case notebook.ErrorOutput:
		tb := strings.Join(o.Traceback, "\n")
		if strings.TrimSpace(tb) == "" {
			tb = o.EName + ": " + o.EValue
		}
		return outputView{Class: "error", HTML: "<pre>" + ansiHTML(tb) + "</pre>"}
	case notebook.DisplayOutput, notebook.ResultOutput:
		return r.bundle(o.Data)
	}
	return outputView{Class: "unknown", HTML: template.HTML("<pre>" + html.EscapeString("(an output of type "+o.Type+")") + "</pre>")}
}

// bundle shows the richest form of a MIME bundle that the page can show
// safely.
func (r *renderer) bundle(data map[string]any) outputView {
	if s, ok := notebook.BundleText(data["text/html"]); ok {
		return outputView{Class: "html", HTML: template.HTML(r.policy.Sanitize(s))}
	}
	if s, ok := notebook.BundleText(data["image/svg+xml"]); ok {
		// As an <img>, an SVG cannot run its scripts or load anything.
		return outputView{Class: "image", HTML: imgTag("image/svg+xml", base64.StdEncoding.EncodeToString([]byte(s)))}
	}
	for _, mime := range []string{"image/png", "image/jpeg", "image/gif", "image/webp"} {
		if s, ok := notebook.BundleText(data[mime]); ok {
			if b64, ok := cleanBase64(s); ok {
				return outputView{Class: "image", HTML: imgTag(mime, b64)}
			}
		}
	}
	if s, ok := notebook.BundleText(data["text/markdown"]); ok {
		return outputView{Class: "markdown", HTML: r.markdown(s, nil)}
	}
	if s, ok := notebook.BundleText(data["text/plain"]); ok {
		return outputView{Class: "text", HTML: "<pre>" + ansiHTML(s) + "</pre>"}
	}
	mimes := sortedKeys(data)
	sort.Strings(mimes)
	return outputView{Class: "unknown", HTML: template.HTML("<pre>" + html.EscapeString("(output as "+strings.Join(mimes, ", ")+")") + "</pre>")}
}

func imgTag(mime, b64 string) template.HTML {
	return template.HTML(`<img alt="" src="data:` + mime + `;base64,` + b64 + `">`)
}

// cleanBase64 drops the line breaks of a base64 value and checks that the
// rest is base64 (so it cannot break out of an attribute).
func cleanBase64(s string) (string, bool) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' {
			return -1
		}
		return r
	}, s)
	if s == "" {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
			return "", false
		}
	}
	return s, true
}

func (r *renderer) truncation(m []string) *truncation {
	t := &truncation{Omitted: m[1], Log: m[2]}
	if t.Log == "" {
		t.Log, t.Problem = m[3], m[4]
		return t
	}
	// The note names the log as the run saw it (RECORD.d/cell-ID.log);
	// the link goes to the same file from where the report is.
	dir, file := path.Split(strings.ReplaceAll(t.Log, "\\", "/"))
	t.Href = path.Join(r.opts.SideLogDir, path.Base(dir), file)
	return t
}

// ansiHTML turns terminal output (colours, bold, carriage returns) into
// HTML with buildkite's terminal-to-html; text with no control character
// only needs escaping.
func ansiHTML(s string) template.HTML {
	if !strings.ContainsAny(s, "\x1b\r\b") {
		return template.HTML(html.EscapeString(s))
	}
	out := terminal.Render([]byte(s))
	if strings.Contains(out, "<img") || strings.Contains(out, "<a ") {
		// Its escape sequences for images and links can name remote URLs.
		out = termPolicy().Sanitize(out)
	}
	return template.HTML(out)
}

// describe is a cell's one-line description in the timeline.
func describe(ci *cellInfo) string {
	s := fmt.Sprintf("cell %d", ci.index)
	if ci.section != "" {
		s += " · " + ci.section
	}
	s += " · " + statusWord(ci.status)
	if ci.dur > 0 {
		s += " · " + showDuration(ci.dur)
	}
	return s
}
