package report

import (
	"bufio"
	_ "embed"
	"html"
	"html/template"
	"sync"
)

//go:embed style.css
var baseCSS string

// lazyTemplate is a template parsed on first use rather than when the
// package initialises (see the note in cell.go).
func lazyTemplate(name, text string) func() *template.Template {
	return sync.OnceValue(func() *template.Template {
		return template.Must(template.New(name).Parse(text))
	})
}

var pageHead = lazyTemplate("head", `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ocs {{.Version}}">
<title>{{.Title}}</title>
<style>
{{.CSS}}
</style>
</head>
<body>
<header id="banner" class="banner st-{{.Status}}">
<h1>{{.Banner.Title}}</h1>
{{- if ge .Banner.Cell 0}}
<p class="where">at <a id="banner-cell" href="#{{.Banner.Anchor}}">cell {{.Banner.Cell}}</a>
{{- if .Banner.Section}} in <span class="section">{{.Banner.Section}}</span>{{end}}</p>
{{- if .Banner.Error}}
<p class="error-line"><code>{{.Banner.Error}}</code></p>
{{- end}}
{{- end}}
</header>
<main>
<section id="build">
<h2>Build</h2>
<dl class="facts">
{{- range .Facts}}
<dt>{{.Name}}</dt><dd>{{.Value}}</dd>
{{- end}}
</dl>
{{- if .Counts}}
<p class="counts">{{.NumCells}} code cells:{{range .Counts}} <span class="badge st-{{.Name}}">{{.Value}} {{.Name}}</span>{{end}}</p>
{{- end}}
{{- if .Params}}
<h3>Parameters</h3>
<div class="scroll"><table class="params"><thead><tr><th>name</th><th>value</th></tr></thead><tbody>
{{- range .Params}}
<tr><td><code>{{.Name}}</code></td><td><code>{{.Value}}</code></td></tr>
{{- end}}
</tbody></table></div>
{{- end}}
{{- if .Runs}}
<h3>Runs</h3>
<div class="scroll"><table class="runs"><thead><tr><th>#</th><th>kind</th><th>status</th><th>start</th><th>duration</th><th>failed</th><th>error</th><th>ocs</th></tr></thead><tbody>
{{- range .Runs}}
<tr><td>{{.N}}</td><td>{{.Kind}}</td><td><span class="badge st-{{.Status}}">{{.Status}}</span></td><td>{{.Start}}</td><td>{{.Took}}</td><td>{{if .FailedAnchor}}<a href="#{{.FailedAnchor}}">{{.Failed}}</a>{{else}}{{.Failed}}{{end}}</td><td>{{.Failure}}</td><td>{{.Version}}</td></tr>
{{- end}}
</tbody></table></div>
{{- end}}
</section>
<section id="timeline">
<h2>Timeline</h2>
{{.Timeline}}
</section>
{{- if .Sections}}
<nav id="outline">
<h2>Sections</h2>
<ol>
{{- range .Sections}}
<li class="level-{{.Level}} st-{{.Status}}"><span class="mark" title="{{.Status}}">{{.Mark}}</span> <a href="#{{.Anchor}}">{{.Title}}</a>{{if .Cells}} <span class="n">{{.Cells}} code cell{{if ne .Cells 1}}s{{end}}</span>{{end}}</li>
{{- end}}
</ol>
</nav>
{{- end}}
<section id="cells">
<h2>Cells</h2>
`)

// cellHead opens a cell; its body and outputs, HTML already made safe
// and often large, are written as they are (writeCell), not through the
// template engine, which would copy each of them twice.
var cellHead = lazyTemplate("cell", `<article id="{{.Anchor}}" class="cell {{.Type}}{{if .Status}} st-{{.Status}}{{end}}" data-index="{{.Index}}"{{if .Status}} data-status="{{.Status}}"{{end}}>
<div class="cell-head"><a class="num" href="#{{.Anchor}}">[{{.Index}}]</a>
{{- if .Status}} <span class="badge st-{{.Status}}">{{.StatusText}}</span>{{end}}
{{- if .Duration}} <span class="took">{{.Duration}}</span>{{end}}
{{- range .Tags}} <span class="tag">{{.}}</span>{{end}}
{{- if .ID}} <span class="cid">{{.ID}}</span>{{end}}</div>
`)

var truncatedNote = lazyTemplate("truncated", `<div class="out truncated"><p>Output truncated by the output cap: {{.Omitted}} bytes are not in the record.
{{- if .Href}} The whole output is in the side log <a href="{{.Href}}"><code>{{.Log}}</code></a>.
{{- else}} Writing them to the side log <code>{{.Log}}</code> failed: {{.Problem}}{{end}}</p></div>
`)

func writeCell(w *bufio.Writer, v cellView) error {
	if err := cellHead().Execute(w, v); err != nil {
		return err
	}
	w.WriteString(`<div class="src">`)
	w.WriteString(string(v.Body))
	w.WriteString("</div>\n")
	if v.Note != "" {
		w.WriteString(`<p class="note">` + html.EscapeString(v.Note) + "</p>\n")
	}
	if len(v.Outputs) > 0 {
		w.WriteString(`<div class="outputs">` + "\n")
		for _, o := range v.Outputs {
			if o.Truncated != nil {
				if err := truncatedNote().Execute(w, o.Truncated); err != nil {
					return err
				}
				continue
			}
			w.WriteString(`<div class="out ` + html.EscapeString(o.Class) + `">`)
			w.WriteString(string(o.HTML))
			w.WriteString("</div>\n")
		}
		w.WriteString("</div>\n")
	}
	_, err := w.WriteString("</article>\n")
	return err
}

var pageFoot = lazyTemplate("foot", `</section>
</main>
<footer>Report of {{if .Record}}<code>{{.Record}}</code>{{else}}a build record{{end}}, written by ocs {{.Version}}.</footer>
</body>
</html>
`)
