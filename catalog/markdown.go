package catalog

import (
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
)

// markdown parses with GitHub's flavour, which notebook authors write.
var markdown = goldmark.New(goldmark.WithExtensions(extension.GFM))

// Heading is one markdown heading of a notebook.
type Heading struct {
	Level int    `json:"level"`
	Text  string `json:"text"`
}

// markdownSummary returns the headings of a markdown text and its first
// paragraph that is not only a generic word ("README", "はじめに"), both
// as plain text.
func markdownSummary(src []byte) (headings []Heading, firstParagraph string) {
	doc := markdown.Parser().Parse(text.NewReader(src))
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		switch n := n.(type) {
		case *ast.Heading:
			if t := plainText(n, src); t != "" {
				headings = append(headings, Heading{Level: n.Level, Text: t})
			}
		case *ast.Paragraph:
			if firstParagraph == "" {
				if p := plainText(n, src); !isGeneric(p) {
					firstParagraph = p
				}
			}
		}
	}
	return headings, firstParagraph
}

// plainText is the text a reader sees in n: emphasis, links and code spans
// keep their words, raw HTML and images go.
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch t := c.(type) {
		case *ast.Text:
			b.Write(t.Segment.Value(src))
			if t.SoftLineBreak() || t.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(t.Value)
		case *ast.AutoLink:
			b.Write(t.Label(src))
		case *ast.RawHTML, *ast.Image:
			// Badges and pictures are not what the text says.
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return strings.Join(strings.Fields(b.String()), " ")
}
