package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"ocs/notebook"
)

// record builds a build record the way the runner leaves one: run metadata
// and, per code cell, a status and times.
type record struct {
	nb    *notebook.Notebook
	start time.Time
	at    time.Time
}

func newRecord(lang, status string) *record {
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	nb := &notebook.Notebook{Format: 4, FormatMinor: 5, Metadata: map[string]any{
		"kernelspec": map[string]any{"name": "k", "display_name": "k", "language": lang},
		notebook.OCSKey: map[string]any{
			"status": status, "kind": "run", "start_time": start.Format(time.RFC3339Nano),
			"end_time": start.Add(time.Minute).Format(time.RFC3339Nano), "duration": 60.0,
			"source":  map[string]any{"path": "/t/build.ipynb", "template": "build"},
			"version": "test", "host": "box", "user": "alice",
			"parameters": map[string]any{"nodes": "2", "api_token": "********"},
			"runs":       []any{map[string]any{"kind": "run", "status": status, "start_time": start.Format(time.RFC3339Nano), "duration": 60.0}},
		}}}
	return &record{nb: nb, start: start, at: start}
}

func (r *record) markdown(src string) *notebook.Cell {
	c := notebook.NewCell(notebook.Markdown, src)
	c.ID = fmt.Sprintf("c%d", len(r.nb.Cells))
	r.nb.Cells = append(r.nb.Cells, c)
	return c
}

// code adds a code cell that ran for took (0: it did not run).
func (r *record) code(src, status string, took time.Duration, outputs ...*notebook.Output) *notebook.Cell {
	c := notebook.NewCell(notebook.Code, src)
	c.ID = fmt.Sprintf("c%d", len(r.nb.Cells))
	meta := map[string]any{"status": status}
	if took > 0 {
		meta["start_time"] = r.at.Format(time.RFC3339Nano)
		r.at = r.at.Add(took)
		meta["end_time"] = r.at.Format(time.RFC3339Nano)
		meta["duration"] = took.Seconds()
	}
	c.Metadata[notebook.OCSKey] = meta
	c.Outputs = outputs
	r.nb.Cells = append(r.nb.Cells, c)
	return c
}

func (r *record) failAt(i int, msg string) {
	r.nb.Metadata[notebook.OCSKey].(map[string]any)["failed_cell"] = map[string]any{"index": i, "id": r.nb.Cells[i].ID, "error": msg}
}

func render(t testing.TB, nb *notebook.Notebook, opts Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, nb, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// parse returns the page's elements; a page that does not parse fails.
func parse(t testing.TB, page string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// unsafe reports what in a page could run code or load something.
func unsafe(doc *html.Node) []string {
	var bad []string
	for _, n := range find(doc, func(*html.Node) bool { return true }) {
		switch n.Data {
		case "script", "iframe", "object", "embed", "link", "base", "form", "frame", "video", "audio", "source":
			bad = append(bad, "<"+n.Data+">")
		}
		if n.Data == "style" && n.Parent != nil && n.Parent.Data != "head" {
			bad = append(bad, "<style> outside the head")
		}
		for _, a := range n.Attr {
			k := strings.ToLower(a.Key)
			v := strings.ToLower(strings.TrimSpace(a.Val))
			switch {
			case strings.HasPrefix(k, "on"):
				bad = append(bad, fmt.Sprintf("%s %s=", n.Data, k))
			case (k == "src" || k == "srcset" || k == "poster" || k == "background" || k == "data") && !strings.HasPrefix(v, "data:image/"):
				bad = append(bad, fmt.Sprintf("%s %s=%q", n.Data, k, a.Val))
			case k == "href" && strings.HasPrefix(v, "javascript:"):
				bad = append(bad, "javascript: link")
			case k == "style" && strings.Contains(v, "url("):
				bad = append(bad, "style with url()")
			}
		}
	}
	return bad
}

func TestOutputsCannotRunOrLoad(t *testing.T) {
	png := base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\nfake"))
	cases := []struct {
		name  string
		data  map[string]any
		keep  []string // must survive
		never []string // must not be in the page at all
	}{
		{"script", map[string]any{"text/html": `<b>bold</b><script>document.title="pwned"</script>`}, []string{"<b>bold</b>"}, []string{"pwned"}},
		{"event handler", map[string]any{"text/html": `<img src="x" onerror="document.title='pwned'"><p onclick="x()">para</p>`}, []string{"<p>para</p>"}, []string{"pwned", "onclick"}},
		{"remote image", map[string]any{"text/html": `<img src="http://127.0.0.1:9/remote.png" alt="r">`}, nil, []string{"127.0.0.1:9"}},
		{"srcset and css", map[string]any{"text/html": `<img srcset="http://h/x.png 2x"><div style="background:url(http://h/y.png)">d</div><style>@import url(http://h/z.css)</style>`}, []string{">d</div>"}, []string{"http://h/"}},
		{"frames and forms", map[string]any{"text/html": `<iframe src="http://h/"></iframe><form action="http://h/"><input name=x></form><object data="http://h/o"></object>`}, nil, []string{"http://h/"}},
		{"javascript link", map[string]any{"text/html": `<a href="javascript:alert(1)">x</a><a href="https://example.org/doc">doc</a>`}, []string{`href="https://example.org/doc"`}, []string{"javascript:"}},
		{"fake banner", map[string]any{"text/html": `<div id="cell-1" class="banner st-completed">Build completed</div>`}, []string{"Build completed"}, []string{`id="cell-1" class="banner`}},
		{"data image kept", map[string]any{"text/html": `<img src="data:image/png;base64,` + png + `" alt="chart">`}, []string{"data:image/png;base64," + png}, nil},
		{"table kept", map[string]any{"text/html": `<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>`}, []string{"<th>a</th>", "<td>1</td>"}, nil},
		{"svg with script", map[string]any{"image/svg+xml": `<svg xmlns="http://www.w3.org/2000/svg"><script>document.title="pwned"</script><image href="http://h/i.png"/></svg>`}, []string{`src="data:image/svg+xml;base64,`}, []string{"pwned", "http://h/"}},
		{"png", map[string]any{"image/png": png + "\n"}, []string{`<img alt="" src="data:image/png;base64,` + png + `">`}, nil},
		{"png that is not base64", map[string]any{"image/png": `x" onerror="alert(1)`, "text/plain": "fallback"}, []string{"fallback"}, []string{"onerror"}},
		{"markdown output", map[string]any{"text/markdown": "**md** <script>document.title='pwned'</script> ![r](http://h/r.png)"}, []string{"<strong>md</strong>"}, []string{"pwned", "http://h/"}},
		{"javascript output", map[string]any{"application/javascript": "document.title='pwned'", "text/plain": "<IPython.core.display.Javascript object>"}, []string{"&lt;IPython.core.display.Javascript object&gt;"}, []string{"pwned"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRecord("go", "completed")
			r.code("show()", "completed", time.Second, notebook.NewDisplay(tc.data, nil))
			page := render(t, r.nb, Options{})
			if bad := unsafe(parse(t, page)); len(bad) > 0 {
				t.Errorf("the page lets through %v", bad)
			}
			for _, s := range tc.keep {
				if !strings.Contains(page, s) {
					t.Errorf("%q was lost", s)
				}
			}
			for _, s := range tc.never {
				if strings.Contains(page, s) {
					t.Errorf("%q is in the page", s)
				}
			}
		})
	}
}

func TestStreams(t *testing.T) {
	cases := []struct {
		name, text string
		want       []string
		never      []string
	}{
		{"plain", "a < b & c\n", []string{"a &lt; b &amp; c"}, nil},
		{"colour", "\x1b[31mred\x1b[0m and \x1b[1;32mbold green\x1b[0m\n", []string{`<span class="term-fg31">red</span>`, "term-fg32", "term-fg1"}, []string{"\x1b", "[31m"}},
		{"256 colours", "\x1b[38;5;208morange\x1b[0m\n", []string{`class="term-fgx208"`}, nil},
		{"carriage return", "progress 10%\rprogress 100%\n", []string{"progress 100%"}, []string{"10%"}},
		{"escaped html", "\x1b[31m<script>document.title='x'</script>\x1b[0m", []string{"&lt;script&gt;"}, []string{"<script>"}},
		{"terminal image", "\x1b]1338;url=http://h/i.png;alt=i\a\n", nil, []string{"http://h/"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRecord("go", "completed")
			r.code("x", "completed", time.Second, notebook.NewStream("stdout", tc.text))
			page := render(t, r.nb, Options{})
			if bad := unsafe(parse(t, page)); len(bad) > 0 {
				t.Errorf("the page lets through %v", bad)
			}
			for _, s := range tc.want {
				if !strings.Contains(page, s) {
					t.Errorf("%q not in the page", s)
				}
			}
			for _, s := range tc.never {
				if strings.Contains(page, s) {
					t.Errorf("%q is in the page", s)
				}
			}
		})
	}
}

// failedRecord is a run that failed in its third code cell, with a cell
// the cap cut, a skipped cell and cells after the failure still pending.
func failedRecord() *record {
	r := newRecord("go", "failed")
	r.markdown("# Build\n\nA build that fails.")
	r.code(`x := 1 // one`, "completed", 2*time.Second)
	r.markdown("## Noisy\n\n| a | b |\n| - | - |\n| 1 | 2 |")
	r.code(`!yes | head -n 100000`, "completed", 3*time.Second,
		notebook.NewStream("stdout", "y\ny\n"),
		notebook.NewStream("stderr", "\n[ocs: 199996 bytes of output omitted here; the whole output is in builds/rec.ipynb.d/cell-c3.log]\n"),
		notebook.NewStream("stdout", "y\n"))
	c := r.code(`skipped()`, "skipped", 0)
	c.Metadata["tags"] = []any{"skip-execution"}
	c.Metadata[notebook.OCSKey].(map[string]any)["reason"] = "tagged skip-execution"
	r.markdown("## Nodes")
	r.code(`panic("no nodes")`, "failed", time.Second, notebook.NewError("panic", "no nodes", []string{"\x1b[31mpanic\x1b[0m: no nodes", "goroutine 1"}))
	r.code(`after()`, "pending", 0)
	r.failAt(6, "cell 6: panic: no nodes")
	return r
}

func TestFailedPage(t *testing.T) {
	r := failedRecord()
	page := render(t, r.nb, Options{Record: "builds/rec.ipynb", SideLogDir: "builds", Version: "v9"})
	doc := parse(t, page)

	banner := find(doc, func(n *html.Node) bool { return attr(n, "id") == "banner" })
	if len(banner) != 1 || !hasClass(banner[0], "st-failed") {
		t.Fatalf("banner: %v", banner)
	}
	for _, want := range []string{"Build failed", "cell 6", "Nodes", "panic: no nodes"} {
		if !strings.Contains(textOf(banner[0]), want) {
			t.Errorf("banner %q lacks %q", textOf(banner[0]), want)
		}
	}
	link := find(banner[0], func(n *html.Node) bool { return n.Data == "a" })
	if len(link) != 1 || attr(link[0], "href") != "#cell-6" {
		t.Fatalf("banner link: %v", link)
	}
	if target := find(doc, func(n *html.Node) bool { return attr(n, "id") == "cell-6" }); len(target) != 1 || attr(target[0], "data-status") != "failed" {
		t.Errorf("the failed cell's anchor: %v", target)
	}

	statuses := map[string]string{}
	for _, n := range find(doc, func(n *html.Node) bool { return n.Data == "article" && hasClass(n, "code") }) {
		statuses[attr(n, "data-index")] = attr(n, "data-status")
	}
	want := map[string]string{"1": "completed", "3": "completed", "4": "skipped", "6": "failed", "7": "pending"}
	if fmt.Sprint(statuses) != fmt.Sprint(want) {
		t.Errorf("cell statuses %v, want %v", statuses, want)
	}
	bars := find(doc, func(n *html.Node) bool { return n.Data == "rect" && hasClass(n, "bar") })
	if len(bars) != 3 {
		t.Errorf("%d timeline bars, want 3 (the cells that ran)", len(bars))
	}
	// The longest cell has the widest bar.
	if len(bars) == 3 && !(attr(bars[1], "width") > attr(bars[0], "width")) {
		t.Errorf("bar widths %s, %s: the 3 s cell should be wider than the 2 s one", attr(bars[1], "width"), attr(bars[0], "width"))
	}

	trunc := find(doc, func(n *html.Node) bool { return hasClass(n, "truncated") })
	if len(trunc) != 1 || !strings.Contains(textOf(trunc[0]), "199996 bytes") || !strings.Contains(textOf(trunc[0]), "builds/rec.ipynb.d/cell-c3.log") {
		t.Fatalf("truncation note: %v", trunc)
	}
	if a := find(trunc[0], func(n *html.Node) bool { return n.Data == "a" }); len(a) != 1 || attr(a[0], "href") != "builds/rec.ipynb.d/cell-c3.log" {
		t.Errorf("side log link: %v", a)
	}
	for _, s := range []string{"Pending: the run stopped before this cell.", "Skipped (tagged skip-execution).", `class="term-fg31"`, "api_token", "********", "alice@box", "v9"} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	marks := map[string]string{}
	for _, li := range find(doc, func(n *html.Node) bool {
		return n.Data == "li" && n.Parent != nil && n.Parent.Parent != nil && attr(n.Parent.Parent, "id") == "outline"
	}) {
		marks[strings.TrimSpace(textOf(find(li, func(n *html.Node) bool { return n.Data == "a" })[0]))] = attr(li, "class")
	}
	if !strings.Contains(marks["Build"], "st-completed") || !strings.Contains(marks["Noisy"], "st-completed") || !strings.Contains(marks["Nodes"], "st-failed") {
		t.Errorf("outline marks %v", marks)
	}
	if csp := find(doc, func(n *html.Node) bool { return n.Data == "meta" && attr(n, "http-equiv") == "Content-Security-Policy" }); len(csp) != 1 || attr(csp[0], "content") != CSP {
		t.Error("no Content-Security-Policy meta tag")
	}
	if !regexp.MustCompile(`default-src 'none'`).MatchString(CSP) || strings.Contains(CSP, "script-src") {
		t.Errorf("CSP %q must forbid scripts through default-src 'none'", CSP)
	}
	if bad := unsafe(doc); len(bad) > 0 {
		t.Errorf("the page lets through %v", bad)
	}
}

func TestCodeAndMarkdown(t *testing.T) {
	cases := []struct {
		lang, src string
		want      []string
	}{
		{"go", "func f() int {\n\treturn 42\n}", []string{`<span class="kd">func</span>`, `<span class="mi">42</span>`, `class="lnt">3`}},
		{"python", "def f():\n    return 'x'", []string{`<span class="k">def</span>`, `<span class="s1">&#39;x&#39;</span>`, `class="lnt">2`}},
		{"go", "%%bash\necho $HOME", []string{`<span class="nb">echo</span>`, `<span class="nv">$HOME</span>`}},
	}
	for _, tc := range cases {
		r := newRecord(tc.lang, "completed")
		r.code(tc.src, "completed", time.Second)
		page := render(t, r.nb, Options{})
		for _, s := range tc.want {
			if !strings.Contains(page, s) {
				t.Errorf("%s %q: no %s in\n%s", tc.lang, tc.src, s, page[strings.Index(page, `<article`):])
			}
		}
	}

	r := newRecord("go", "completed")
	r.markdown("# 構築手順\n\nノードを作成します。\n\n| 名前 | 説明 |\n| --- | --- |\n| ノード | 仮想マシン |\n\n<script>document.title='x'</script>\n\n![a](attachment:a.png)")
	r.nb.Cells[0].Attachments = map[string]any{"a.png": map[string]any{"image/png": "iVBORw0KGgo="}}
	r.code("x", "completed", time.Second)
	page := render(t, r.nb, Options{})
	for _, s := range []string{"<h1>構築手順</h1>", "<th>名前</th>", "<td>仮想マシン</td>", `src="data:image/png;base64,iVBORw0KGgo="`, `>構築手順</a>`} {
		if !strings.Contains(page, s) {
			t.Errorf("no %s in the Japanese markdown", s)
		}
	}
	if strings.Contains(page, "<script>") {
		t.Error("a script in markdown survived")
	}
}

func TestResumedHistory(t *testing.T) {
	r := newRecord("go", "completed")
	r.code("a", "completed", time.Second)
	r.code("b", "completed", time.Second)
	meta := r.nb.Metadata[notebook.OCSKey].(map[string]any)
	meta["kind"] = "resume from cell 1"
	meta["runs"] = []any{
		map[string]any{"kind": "run", "status": "failed", "start_time": r.start.Format(time.RFC3339Nano), "duration": 1.0, "failed_cell": map[string]any{"index": 1, "error": "boom"}},
		map[string]any{"kind": "resume from cell 1", "status": "completed", "start_time": r.start.Add(time.Second).Format(time.RFC3339Nano), "duration": 1.0},
	}
	meta["pid"] = 4242 // a key this report does not know: shown as it is
	page := render(t, r.nb, Options{})
	doc := parse(t, page)
	rows := find(doc, func(n *html.Node) bool {
		return n.Data == "tr" && n.Parent != nil && n.Parent.Parent != nil && hasClass(n.Parent.Parent, "runs") && n.Parent.Data == "tbody"
	})
	if len(rows) != 2 || !strings.Contains(textOf(rows[0]), "failed") || !strings.Contains(textOf(rows[1]), "resume from cell 1") {
		t.Fatalf("run history rows: %d", len(rows))
	}
	if !strings.Contains(page, "<dt>pid</dt><dd>4242</dd>") {
		t.Error("an unknown run key is not shown")
	}
	if n := len(find(doc, func(n *html.Node) bool { return n.Data == "line" && hasClass(n, "run") })); n != 1 {
		t.Errorf("%d resume marks on the timeline, want 1", n)
	}
	if banner := find(doc, func(n *html.Node) bool { return attr(n, "id") == "banner" }); !hasClass(banner[0], "st-completed") || strings.Contains(textOf(banner[0]), "cell") {
		t.Errorf("banner of a completed resumed run: %q", textOf(banner[0]))
	}
}

// FuzzRender feeds cell sources and outputs to the report: whatever they
// hold, the page parses and nothing in it can run or load.
func FuzzRender(f *testing.F) {
	f.Add("# h\n\n<img src=x onerror=alert(1)>", "x := 1", "\x1b[31mred\x1b[0m", `<script>alert(1)</script><b>b</b>`)
	f.Add("| a |\n| - |\n| <a href='javascript:x'>l</a> |", "%%bash\necho", "\x1b]1338;url=http://h/x;alt=a\a", `<svg onload=alert(1)>`)
	f.Add("", "", "[ocs: 1 bytes of output omitted here; the whole output is in x.d/cell-1.log]", `<img src="data:image/png;base64,AAAA" onerror=x>`)
	f.Fuzz(func(t *testing.T, md, src, stream, htm string) {
		r := newRecord("go", "failed")
		r.markdown(md)
		r.code(src, "failed", time.Second, notebook.NewStream("stdout", stream), notebook.NewDisplay(map[string]any{"text/html": htm, "text/markdown": md}, nil),
			notebook.NewError(stream, htm, []string{stream}))
		r.failAt(1, htm)
		var b bytes.Buffer
		if err := Render(&b, r.nb, Options{}); err != nil {
			t.Fatal(err)
		}
		if bad := unsafe(parse(t, b.String())); len(bad) > 0 {
			t.Fatalf("the page lets through %v", bad)
		}
	})
}

func TestAbandonedRun(t *testing.T) {
	r := newRecord("go", "running")
	r.code("a", "completed", time.Second)
	r.code("b", "running", 0)
	r.code("c", "pending", 0)
	for _, tc := range []struct {
		abandoned bool
		class     string
		title     string
	}{{false, "st-running", "Build running"}, {true, "st-abandoned", "Build abandoned"}} {
		doc := parse(t, render(t, r.nb, Options{Abandoned: tc.abandoned}))
		banner := find(doc, func(n *html.Node) bool { return attr(n, "id") == "banner" })[0]
		if !hasClass(banner, tc.class) || !strings.Contains(textOf(banner), tc.title) || !strings.Contains(textOf(banner), "at cell 1") {
			t.Errorf("abandoned=%v: banner %q class %q", tc.abandoned, textOf(banner), attr(banner, "class"))
		}
	}
}
