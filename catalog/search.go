package catalog

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
)

// Match is a template found by Search, with its score (higher is better).
type Match struct {
	Template *Template
	Score    int
}

// Field weights: a word in the name or title says more than one in a
// heading deep inside a notebook.
const (
	nameWeight    = 8
	titleWeight   = 10
	summaryWeight = 4
	headingWeight = 2
	// maxHeadingHits stops a long template that repeats a word in many
	// headings from outranking one whose title is the word.
	maxHeadingHits = 3
)

// Search ranks the templates in which every word of the query appears in
// the name, title, summary or a heading. Words match as case-insensitive
// substrings of runes, which also works for Japanese, written without
// spaces: "構築" finds "Moodle環境の構築". A query word mixing scripts, like
// "Moodle構築", is split where the script changes.
func Search(list []*Template, query string) []Match {
	words := queryWords(query)
	if len(words) == 0 {
		return nil
	}
	var matches []Match
	for _, t := range list {
		if score := scoreTemplate(t, words); score > 0 {
			matches = append(matches, Match{Template: t, Score: score})
		}
	}
	slices.SortStableFunc(matches, func(a, b Match) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), strings.Compare(a.Template.Name, b.Template.Name),
			strings.Compare(a.Template.Source, b.Template.Source))
	})
	return matches
}

func scoreTemplate(t *Template, words []string) int {
	name, title, summary := fold(t.Name), fold(t.Title), fold(t.Summary)
	var headings []string
	for _, h := range t.Outline() {
		headings = append(headings, fold(h.Text))
	}
	total := 0
	for _, w := range words {
		score := 0
		if strings.Contains(name, w) {
			score += nameWeight
		}
		if strings.Contains(title, w) {
			score += titleWeight
		}
		if strings.Contains(summary, w) {
			score += summaryWeight
		}
		hits := 0
		for _, h := range headings {
			if hits < maxHeadingHits && strings.Contains(h, w) {
				hits++
			}
		}
		score += hits * headingWeight
		if score == 0 {
			return 0 // every word must appear somewhere
		}
		total += score
	}
	return total
}

// queryWords splits a query at spaces (ASCII or ideographic) and where the
// script changes between CJK and the rest.
func queryWords(query string) []string {
	var words []string
	for _, field := range strings.Fields(fold(query)) {
		start := 0
		runes := []rune(field)
		for i := 1; i <= len(runes); i++ {
			if i == len(runes) || isCJK(runes[i]) != isCJK(runes[i-1]) {
				words = append(words, string(runes[start:i]))
				start = i
			}
		}
	}
	return words
}

func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) || r == 'ー'
}

// fold makes text comparable: lower case, and full-width ASCII (Ｍｏｏｄｌｅ)
// as half-width, since Japanese input methods produce both.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '！' && r <= '～' {
			r = r - '！' + '!'
		}
		if r == '\u3000' {
			return ' '
		}
		return unicode.ToLower(r)
	}, s)
}
