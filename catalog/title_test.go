package catalog

import (
	"context"
	"testing"
)

// TestTitlesFromReadmes builds a git repository shaped like ocs-templates:
// a top-level README.md listing the templates, per-template README.md
// files, and README notebooks whose first heading is "# README". Each
// template takes its title from the first place that names it.
func TestTitlesFromReadmes(t *testing.T) {
	o := newOrigin(t)
	o.write(map[string]string{
		"README.md": "# テンプレート集\n\n" +
			"| テンプレート | 説明 |\n| --- | --- |\n" +
			"| [Moodle環境の構築](Moodle) | 学習管理システム |\n" +
			"| [OpenHPC v2](./OpenHPC-v2/) | HPC |\n" +
			"| [README](Skipped/) | a link text that says nothing |\n" +
			"| [elsewhere](https://example.org/Moodle-Simple) | not a folder of this repository |\n" +
			"\n- [CoursewareHub](https://github.com/example/templates/tree/master/CoursewareHub/README.md)\n",
		"Moodle/README.md":               "# README\n\nMoodle を構築します。\n",
		"Moodle/000-README.ipynb":        notebookJSON("python", "README", "VCノードにMoodleを構築する手順です。"),
		"OpenHPC-v2/000-README.ipynb":    notebookJSON("python", "README", "OpenHPC クラスタを構築します。"),
		"CoursewareHub/000-README.ipynb": notebookJSON("python", "はじめに", "README"),
		"Moodle-Simple/README.md":        "# はじめに\n\n## シンプルなMoodle\n\nはじめに\n\n一台構成のMoodleです。\n",
		"Moodle-Simple/000-README.ipynb": notebookJSON("python", "README", "ノートブックの説明。"),
		"Skipped/README.md":              "# スキップされないもの\n\n本文。\n",
		"Skipped/000-README.ipynb":       notebookJSON("python", "README", "x"),
		"Plain/010-build.ipynb":          notebookJSON("go", "README", "Introduction"),
		"JupyterHub/README.md":           "[![badge](https://example.org/b.svg)](https://example.org)\n\nREADME\n\n# Introduction\n",
		"JupyterHub/001-構築.ipynb":        notebookJSON("python", "JupyterHub環境構築", "JupyterHub を構築します。"),
	})
	o.commit("templates")
	c := newTestCatalog(t, "sources:\n  - name: t\n    git: "+o.bare+"\n")
	l := c.List(context.Background())
	if len(l.Unavailable) > 0 || len(l.Problems) > 0 {
		t.Fatalf("unavailable %v, problems %v", l.Unavailable, l.Problems)
	}
	got := templateNames(l)
	tests := []struct {
		name, title, from, summary string
	}{
		{"Moodle", "Moodle環境の構築", "the link to Moodle/ in the repository's README.md", "Moodle を構築します。"},
		{"OpenHPC-v2", "OpenHPC v2", "the link to OpenHPC-v2/ in the repository's README.md", "OpenHPC クラスタを構築します。"},
		{"CoursewareHub", "CoursewareHub", "the link to CoursewareHub/ in the repository's README.md", ""},
		{"Moodle-Simple", "Moodle-Simple", "the template's name", "一台構成のMoodleです。"},
		{"Skipped", "スキップされないもの", "the first heading of Skipped/README.md", "本文。"},
		{"Plain", "Plain", "the template's name", ""},
		{"JupyterHub", "JupyterHub環境構築", "the first heading of JupyterHub/001-構築.ipynb", "JupyterHub を構築します。"},
	}
	for _, tt := range tests {
		tmpl := got["t:"+tt.name]
		if tmpl == nil {
			t.Errorf("%s not listed", tt.name)
			continue
		}
		if tmpl.Title != tt.title || tmpl.TitleFrom != tt.from || tmpl.Summary != tt.summary {
			t.Errorf("%s: title %q from %q, summary %q; want %q from %q, summary %q",
				tt.name, tmpl.Title, tmpl.TitleFrom, tmpl.Summary, tt.title, tt.from, tt.summary)
		}
	}
}

func TestIsGeneric(t *testing.T) {
	for s, want := range map[string]bool{
		"README": true, "Readme.": true, "はじめに": true, "Introduction": true, "概要": true,
		"  ": true, "Moodle": false, "README for Moodle": false, "はじめにお読みください": false,
	} {
		if got := isGeneric(s); got != want {
			t.Errorf("isGeneric(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestLinkedFolder(t *testing.T) {
	for dest, want := range map[string]string{
		"Moodle": "Moodle", "./Moodle/": "Moodle", "Moodle/README.md": "Moodle",
		"%E6%A7%8B%E7%AF%89/": "構築", "https://github.com/o/r/tree/master/Moodle": "Moodle",
		"https://github.com/o/r/blob/main/Moodle/README.md": "Moodle", "https://example.org/Moodle": "",
		"../other": "", "/abs": "", "#anchor": "", "": "",
	} {
		if got := linkedFolder(dest); got != want {
			t.Errorf("linkedFolder(%q) = %q, want %q", dest, got, want)
		}
	}
}
