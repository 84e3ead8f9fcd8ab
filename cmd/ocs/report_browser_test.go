package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"ocs/kernel/kerneltest"
)

// updateScreenshot rewrites docs/report-failed.png, the README's picture
// of a failed build's report: go test ./cmd/ocs -run TestReportInBrowser -screenshot.
var updateScreenshot = flag.Bool("screenshot", false, "rewrite docs/report-failed.png from the failed case")

// chromium finds Debian's Chromium; missing, the test skips, or fails
// under CI=true.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return kerneltest.NeedTool(t, "chromium")
}

// newBrowser starts one headless Chromium for all the cases of a test,
// with a fresh profile and everything that would reach the network off.
func newBrowser(t *testing.T, exe string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(1200, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	// Start it now, so that a browser that cannot start fails here.
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return browser
}

// seen is what a person sees of a report, read from the page.
type seen struct {
	Title       string          `json:"title"`
	Banner      string          `json:"banner"`
	BannerClass string          `json:"bannerClass"`
	Cells       []seenCell      `json:"cells"`
	Bars        []int           `json:"bars"`
	ScrollWidth int             `json:"scrollWidth"`
	ClientWidth int             `json:"clientWidth"`
	Scripts     int             `json:"scripts"`
	Handlers    int             `json:"handlers"`
	ScrollInner int             `json:"scrollInner"` // outputs that scroll inside their cell
	Outline     []string        `json:"outline"`
	Truncated   []string        `json:"truncated"`
	Text        string          `json:"text"`
	Extra       json.RawMessage `json:"extra"`
}

type seenCell struct {
	Index  int    `json:"index"`
	Status string `json:"status"`
	Badge  string `json:"badge"`
}

const readPage = `(() => {
	const q = s => [...document.querySelectorAll(s)];
	const b = document.getElementById('banner');
	return {
		title: document.title,
		banner: b ? b.innerText : '',
		bannerClass: b ? b.className : '',
		cells: q('article.cell.code').map(e => ({index: +e.dataset.index, status: e.dataset.status || '', badge: (e.querySelector('.badge') || {}).innerText || ''})),
		bars: q('svg.timeline rect.bar').map(r => +r.dataset.cell),
		scrollWidth: document.documentElement.scrollWidth,
		clientWidth: document.documentElement.clientWidth,
		scripts: q('script').length,
		handlers: q('*').filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
		scrollInner: q('.out, .cell .src').filter(e => e.scrollWidth > e.clientWidth + 1).length,
		outline: q('#outline li').map(li => li.className + ' ' + li.innerText),
		truncated: q('.out.truncated').map(e => e.innerText + ' -> ' + (e.querySelector('a') || {}).href),
		text: document.body.innerText,
	};
})()`

// look opens a report in a new tab of the browser and reads it, counting
// every request the page makes; then does more in the same tab.
func look(t *testing.T, browser context.Context, path string, more func(tab context.Context) error) (seen, []string) {
	t.Helper()
	var mu sync.Mutex
	var requests []string
	tab, cancel := chromedp.NewContext(browser, chromedp.WithListener(func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.URL)
			mu.Unlock()
		}
	}))
	defer cancel()
	tab, cancelTimeout := context.WithTimeout(tab, 60*time.Second)
	defer cancelTimeout()
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1200, 900), chromedp.Navigate("file://"+path)); err != nil {
		t.Fatalf("open %s in chromium: %v", path, err)
	}
	s, err := chromedp.Run(tab, chromedp.Evaluate[seen](readPage))
	if err != nil {
		t.Fatalf("read %s in chromium: %v", path, err)
	}
	if more != nil {
		if err := more(tab); err != nil {
			t.Fatalf("%s in chromium: %v", path, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	return s, append([]string(nil), requests...)
}

// statusOf reads `ocs status --json` of a record: what the page must agree with.
func statusOf(t *testing.T, record string) statusDoc {
	t.Helper()
	_, out, errs := runOCS(t, "status", "--json", record)
	var doc statusDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("status --json %s: %v\n%s", record, err, errs)
	}
	return doc
}

// TestReportInBrowser runs real builds (101-vc-nodes on the local
// provider, a failing build, a resumed one, a Japanese template, one whose
// outputs try to run scripts and load remote images), writes their
// reports and opens them in Debian's Chromium, asserting what a reader
// sees: the banner, the cells and their statuses, the timeline, that no
// output's script ran, that no request left the page, and that the page
// does not scroll sideways at 1200 px.
func TestReportInBrowser(t *testing.T) {
	exe := chromium(t)
	kerneltest.NeedTool(t, "ssh")
	useStateDir(t)
	dir := t.TempDir()
	t.Setenv("OCS_CONFIG_DIR", filepath.Join(dir, "config"))
	t.Setenv("OCS_CACHE_DIR", filepath.Join(dir, "cache"))

	// The hostile outputs point their remote loads here: it counts what
	// reaches it, which must stay nothing.
	var remoteHits atomic.Int32
	remote := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		remoteHits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer remote.Close()

	browser := newBrowser(t, exe)

	type build struct {
		name       string
		record     string
		wantStatus string // the banner's class
		wantBanner []string
		check      func(t *testing.T, record string, s seen)
	}
	builds := []build{
		{name: "101-vc-nodes", wantStatus: "completed", wantBanner: []string{"Build completed"},
			check: func(t *testing.T, record string, s seen) {
				if s.ScrollInner == 0 {
					t.Errorf("no output scrolls inside its cell: the 13-column nodes table should")
				}
				for _, want := range []string{"101-vc-nodes", "builtin", "unit group vc101 and all its nodes are deleted"} {
					if !strings.Contains(s.Text, want) {
						t.Errorf("the page does not show %q", want)
					}
				}
			}},
		{name: "failed", wantStatus: "failed", wantBanner: []string{"Build failed", "at cell 4", "Install", "ShellError"}},
		{name: "resumed", wantStatus: "completed", wantBanner: []string{"Build completed"},
			check: func(t *testing.T, record string, s seen) {
				for _, want := range []string{"resume from cell 3", "asked to fail"} {
					if !strings.Contains(s.Text, want) {
						t.Errorf("the run history does not show %q", want)
					}
				}
			}},
		{name: "japanese", wantStatus: "completed", wantBanner: []string{"Build completed"},
			check: func(t *testing.T, record string, s seen) {
				for _, want := range []string{"構築手順", "ノードの作成", "項目\t値", "こんにちは、世界"} {
					if !strings.Contains(s.Text, want) {
						t.Errorf("the page does not show %q", want)
					}
				}
				if len(s.Outline) < 2 || !strings.Contains(s.Outline[1], "ノードの作成") || !strings.Contains(s.Outline[1], "st-completed") {
					t.Errorf("outline %q", s.Outline)
				}
			}},
		{name: "hostile", wantStatus: "completed", wantBanner: []string{"Build completed"},
			check: func(t *testing.T, record string, s seen) {
				if !strings.Contains(s.Text, "still here") {
					t.Error("the harmless part of the HTML output is gone")
				}
			}},
	}

	// The builds, for real.
	for i := range builds {
		b := &builds[i]
		b.record = filepath.Join(dir, b.name+".ipynb")
		switch b.name {
		case "101-vc-nodes":
			code, out, errs := runOCS(t, "run", "101-vc-nodes", "-o", b.record, "-q", "--report")
			if code != exitOK || !strings.HasSuffix(out, "101-vc-nodes.html\n") {
				t.Fatalf("ocs run 101-vc-nodes --report: exit %d, stdout %q\n%s", code, out, errs)
			}
			continue // --report wrote it
		case "failed":
			src := writeTemplate(t, dir, b.name, failingTemplate)
			if code, _, errs := runOCS(t, "run", src, "-o", b.record, "-q", "--output-cap", "3000"); code != exitCellFailed {
				t.Fatalf("failing build: exit %d\n%s", code, errs)
			}
		case "resumed":
			src := writeTemplate(t, dir, b.name, resumableTemplate)
			if code, _, errs := runOCS(t, "run", src, "-o", b.record, "-q", "-p", "fail=true"); code != exitCellFailed {
				t.Fatalf("first run: exit %d\n%s", code, errs)
			}
			if code, _, errs := runOCS(t, "run", b.record, "--resume", "-q", "-p", "fail=false"); code != exitOK {
				t.Fatalf("resume: exit %d\n%s", code, errs)
			}
		case "japanese":
			src := writeTemplate(t, dir, b.name, japaneseTemplate)
			if code, _, errs := runOCS(t, "run", src, "-o", b.record, "-q"); code != exitOK {
				t.Fatalf("japanese build: exit %d\n%s", code, errs)
			}
		case "hostile":
			src := writeTemplate(t, dir, b.name, strings.ReplaceAll(hostileTemplate, "REMOTE", remote.URL))
			if code, _, errs := runOCS(t, "run", src, "-o", b.record, "-q"); code != exitOK {
				t.Fatalf("hostile build: exit %d\n%s", code, errs)
			}
		}
		if code, out, errs := runOCS(t, "report", b.record); code != exitOK || strings.TrimSpace(out) != strings.TrimSuffix(b.record, ".ipynb")+".html" {
			t.Fatalf("ocs report %s: exit %d, stdout %q\n%s", b.record, code, out, errs)
		}
	}

	for _, b := range builds {
		t.Run(b.name, func(t *testing.T) {
			page := strings.TrimSuffix(b.record, ".ipynb") + ".html"
			doc := statusOf(t, b.record)
			s, requests := look(t, browser, page, nil)

			if !strings.Contains(s.BannerClass, "st-"+b.wantStatus) {
				t.Errorf("banner class %q, want st-%s", s.BannerClass, b.wantStatus)
			}
			for _, want := range b.wantBanner {
				if !strings.Contains(s.Banner, want) {
					t.Errorf("banner %q does not say %q", s.Banner, want)
				}
			}
			// The page shows every code cell of the record with its status.
			if len(s.Cells) != len(doc.Cells) {
				t.Fatalf("the page shows %d code cells, the record has %d", len(s.Cells), len(doc.Cells))
			}
			var ran []int
			for i, c := range doc.Cells {
				if s.Cells[i].Index != c.Index || s.Cells[i].Status != c.Status {
					t.Errorf("cell %d: the page says %d %q, the record %d %q", i, s.Cells[i].Index, s.Cells[i].Status, c.Index, c.Status)
				}
				// A cell ran when the record says when (an injected
				// parameters cell replayed on resume has no times).
				if c.Start != "" {
					ran = append(ran, c.Index)
				}
			}
			if fmt.Sprint(s.Bars) != fmt.Sprint(ran) {
				t.Errorf("timeline bars for cells %v, want one per executed cell %v", s.Bars, ran)
			}
			wantTitle := b.name + "-template: " + b.wantStatus
			if b.name == "101-vc-nodes" {
				wantTitle = "101-vc-nodes: completed"
			}
			if s.Title != wantTitle {
				t.Errorf("document.title is %q, want %q: did a script of an output change it?", s.Title, wantTitle)
			}
			if s.Scripts != 0 || s.Handlers != 0 {
				t.Errorf("%d script elements and %d elements with event handlers in the page", s.Scripts, s.Handlers)
			}
			// Inline images (data: URIs) are requests to nothing outside.
			var loads []string
			for _, r := range requests {
				if !strings.HasPrefix(r, "data:") {
					loads = append(loads, r)
				}
			}
			if len(loads) != 1 || loads[0] != "file://"+page {
				t.Errorf("the page made requests %q, want only its own file", loads)
			}
			if s.ScrollWidth > s.ClientWidth {
				t.Errorf("the page scrolls sideways at 1200 px: %d > %d", s.ScrollWidth, s.ClientWidth)
			}
			if b.check != nil {
				b.check(t, b.record, s)
			}
		})
	}
	if n := remoteHits.Load(); n != 0 {
		t.Errorf("the remote server got %d requests from the reports", n)
	}

	// The failed build: the banner's link goes to the failed cell, the
	// cells after it are pending, the capped output names its side log.
	t.Run("failed-cell-link", func(t *testing.T) {
		page := filepath.Join(dir, "failed.html")
		type afterClick struct {
			Hash, Target, Status string
			Top, Height          float64
		}
		var got afterClick
		s, _ := look(t, browser, page, func(tab context.Context) error {
			if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("banner-cell"))); err != nil {
				return err
			}
			var err error
			got, err = chromedp.Run(tab, chromedp.Evaluate[afterClick](`(() => {
				const c = document.querySelector(':target');
				return {Hash: location.hash, Target: c ? c.id : '', Status: c ? c.dataset.status : '',
					Top: c ? c.getBoundingClientRect().top : -1, Height: window.innerHeight};
			})()`))
			return err
		})
		hash, target, status, top, height := got.Hash, got.Target, got.Status, got.Top, got.Height
		if hash != "#cell-4" || target != "cell-4" || status != "failed" {
			t.Errorf("after clicking the banner's link: hash %q, target %q with status %q; want the failed cell 4", hash, target, status)
		}
		if top < 0 || top > height-50 {
			t.Errorf("the failed cell is at %.0f px of a %.0f px window: not scrolled into view", top, height)
		}
		if last := s.Cells[len(s.Cells)-1]; last.Status != "pending" || !strings.Contains(last.Badge, "pending") {
			t.Errorf("the cell after the failure shows %+v, want it marked pending", last)
		}
		if len(s.Truncated) != 1 || !strings.Contains(s.Truncated[0], "truncated") || !strings.Contains(s.Truncated[0], "failed.ipynb.d/cell-noisy.log") {
			t.Errorf("capped output: %q", s.Truncated)
		}
		if *updateScreenshot {
			tab, cancel := chromedp.NewContext(browser)
			defer cancel()
			if err := chromedp.Do(tab, chromedp.EmulateViewport(1000, 1100), chromedp.Navigate("file://"+page)); err != nil {
				t.Fatal(err)
			}
			png, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("..", "..", "docs", "report-failed.png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func writeTemplate(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name+"-template.ipynb")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const goKernel = `"metadata": {"kernelspec": {"display_name": "Go (ocs)", "language": "go", "name": "ocs-go"}}, "nbformat": 4, "nbformat_minor": 5`

// failingTemplate fails in cell 4 (a shell line), after a cell whose
// output passes the cap and one that prints in colour.
const failingTemplate = `{"cells": [
 {"cell_type": "markdown", "id": "intro", "metadata": {}, "source": ["# Web server\n", "\n", "Installs a web server on a node."]},
 {"cell_type": "code", "execution_count": null, "id": "colour", "metadata": {}, "outputs": [], "source": ["import \"fmt\"\n", "fmt.Println(\"\\x1b[32mok\\x1b[0m: [node-1] \\x1b[33mchanged\\x1b[0m\")"]},
 {"cell_type": "code", "execution_count": null, "id": "noisy", "metadata": {}, "outputs": [], "source": ["for i := 0; i < 400; i++ {\n", "\tfmt.Println(\"line\", i, \"of a long log\")\n", "}"]},
 {"cell_type": "markdown", "id": "install", "metadata": {}, "source": ["## Install"]},
 {"cell_type": "code", "execution_count": null, "id": "fail", "metadata": {}, "outputs": [], "source": ["!echo installing; exit 3"]},
 {"cell_type": "code", "execution_count": null, "id": "after", "metadata": {}, "outputs": [], "source": ["fmt.Println(\"never\")"]}
], ` + goKernel + `}`

// resumableTemplate fails in its last cell when asked to (cell 3: -p adds
// an injected-parameters cell), and is resumed.
const resumableTemplate = `{"cells": [
 {"cell_type": "code", "execution_count": null, "id": "params", "metadata": {"tags": ["parameters"]}, "outputs": [], "source": ["fail := false // fail in cell 2"]},
 {"cell_type": "code", "execution_count": null, "id": "one", "metadata": {}, "outputs": [], "source": ["!echo step one"]},
 {"cell_type": "code", "execution_count": null, "id": "two", "metadata": {}, "outputs": [], "source": ["if fail {\n", "\tpanic(\"asked to fail\")\n", "}\n", "!echo step two"]}
], ` + goKernel + `}`

const japaneseTemplate = `{"cells": [
 {"cell_type": "markdown", "id": "h", "metadata": {}, "source": ["# 構築手順\n", "\n", "仮想マシンを作成して、ウェブサーバを設定します。"]},
 {"cell_type": "markdown", "id": "s", "metadata": {}, "source": ["## ノードの作成\n", "\n", "| 項目 | 値 |\n", "| --- | --- |\n", "| ノード数 | 2 |"]},
 {"cell_type": "code", "execution_count": null, "id": "c", "metadata": {}, "outputs": [], "source": ["import \"fmt\"\n", "fmt.Println(\"こんにちは、世界\")"]}
], ` + goKernel + `}`

// hostileTemplate's outputs try to run scripts and to load from REMOTE.
const hostileTemplate = `{"cells": [
 {"cell_type": "markdown", "id": "m", "metadata": {}, "source": ["# Outputs\n", "\n", "![remote](REMOTE/markdown.png)\n", "<img src=\"REMOTE/raw.png\" onerror=\"document.title='pwned'\">"]},
 {"cell_type": "code", "execution_count": null, "id": "h", "metadata": {}, "outputs": [], "source": [
  "import \"ocs/display\"\n",
  "display.Show(display.HTML(` + "`" + `<p>still here</p><script>document.title=\"pwned\"</script><img src=\"x\" onerror=\"document.title='pwned'\"><img src=\"REMOTE/img.png\"><div style=\"background:url(REMOTE/bg.png)\">styled</div><link rel=\"stylesheet\" href=\"REMOTE/x.css\"><iframe src=\"REMOTE/frame\"></iframe>` + "`" + `))\n",
  "display.Show(display.SVG(` + "`" + `<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><script>document.title=\"pwned\"</script><image href=\"REMOTE/svg.png\" width=\"10\" height=\"10\"/></svg>` + "`" + `))"]}
], ` + goKernel + `}`
