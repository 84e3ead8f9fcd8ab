package catalog

import (
	"io/fs"
	"net/url"
	"path"
	"strings"
	"unicode"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// genericWords are headings and paragraphs that say nothing about what a
// template does, so they are never its title or summary. Compared after
// folding case and dropping spaces and punctuation.
var genericWords = map[string]bool{
	"readme": true, "readmefirst": true, "introduction": true, "intro": true,
	"overview": true, "about": true, "index": true, "contents": true,
	"tableofcontents": true, "toc": true, "summary": true, "description": true,
	"はじめに": true, "始めに": true, "概要": true, "目次": true, "前書き": true,
	"まえがき": true, "説明": true, "このノートブックについて": true,
}

// isGeneric reports whether s is only a generic word such as "README" or
// "はじめに".
func isGeneric(s string) bool {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.Len() == 0 || genericWords[b.String()]
}

// readmeNames are the file names a folder's README.md may have.
var readmeNames = []string{"README.md", "Readme.md", "readme.md"}

// readReadme returns the markdown of the README.md in dir ("." for the
// root) and its file name, or nil.
func readReadme(fsys fs.FS, dir string) ([]byte, string) {
	for _, name := range readmeNames {
		if data, err := fs.ReadFile(fsys, path.Join(dir, name)); err == nil {
			return data, name
		}
	}
	return nil, ""
}

// readmeLinks maps each folder that the repository README links to, as a
// path relative to the root, to the text of the first link to it. Links may
// be relative (Moodle, ./Moodle/, Moodle/README.md) or GitHub addresses of
// the same repository (.../tree/master/Moodle).
func readmeLinks(src []byte) map[string]string {
	links := map[string]string{}
	if src == nil {
		return links
	}
	doc := markdown.Parser().Parse(text.NewReader(src))
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		link, ok := n.(*ast.Link)
		if !entering || !ok {
			return ast.WalkContinue, nil
		}
		dir := linkedFolder(string(link.Destination))
		label := plainText(link, src)
		if dir != "" && label != "" && !isGeneric(label) {
			if _, seen := links[dir]; !seen {
				links[dir] = label
			}
		}
		return ast.WalkSkipChildren, nil
	})
	return links
}

// linkedFolder turns a link destination into the top-level folder it
// points into, or "" for links elsewhere.
func linkedFolder(dest string) string {
	u, err := url.Parse(dest)
	if err != nil {
		return ""
	}
	p := u.Path
	if u.Scheme != "" || u.Host != "" {
		// https://github.com/OWNER/REPO/tree/BRANCH/DIR (or blob/...)
		parts := strings.Split(strings.Trim(p, "/"), "/")
		if len(parts) < 5 || (parts[2] != "tree" && parts[2] != "blob") {
			return ""
		}
		p = strings.Join(parts[4:], "/")
	}
	p, err = url.PathUnescape(p)
	if err != nil || strings.HasPrefix(p, "/") {
		return ""
	}
	p = path.Clean(strings.TrimPrefix(p, "./"))
	if p == "." || strings.HasPrefix(p, "..") {
		return ""
	}
	first, _, _ := strings.Cut(p, "/")
	return first
}

// firstHeading returns the first heading of markdown, unless it is a
// generic word.
func firstHeading(headings []Heading) string {
	if len(headings) == 0 || isGeneric(headings[0].Text) {
		return ""
	}
	return headings[0].Text
}

// nameTemplate sets the title of t, and where it came from (TitleFrom), in
// order: the repository README's link text for the template's folder, the
// template's README.md first heading, its first notebook's first heading
// (the README notebook), the name. The summary is the
// first paragraph of the template's README.md, else of its notebooks, that
// is not a generic word.
func nameTemplate(t *Template, fsys fs.FS, repoLinks map[string]string, notebookSummaries []string) {
	var readmeHeadings []Heading
	var readmeSummary, readmePath string
	if t.Dir != "" {
		if src, name := readReadme(fsys, t.Dir); src != nil {
			readmeHeadings, readmeSummary = markdownSummary(src)
			readmePath = path.Join(t.Dir, name)
		}
	}
	// The first notebook with a heading: the README notebook, which runs
	// first, when there is one.
	var notebookTitle, notebookPath string
	for _, nb := range t.Notebooks {
		if len(nb.Headings) > 0 {
			notebookTitle = firstHeading(nb.Headings)
			notebookPath = path.Join(t.Dir, nb.Path)
			break
		}
	}
	candidates := []struct{ title, from string }{
		{repoLinks[t.Dir], "the link to " + t.Dir + "/ in the repository's README.md"},
		{firstHeading(readmeHeadings), "the first heading of " + readmePath},
		{notebookTitle, "the first heading of " + notebookPath},
		{t.Name, "the template's name"},
	}
	for _, c := range candidates {
		if c.title != "" {
			t.Title, t.TitleFrom = c.title, c.from
			break
		}
	}
	t.Summary = readmeSummary
	for _, s := range notebookSummaries {
		if t.Summary != "" {
			break
		}
		t.Summary = s
	}
}
