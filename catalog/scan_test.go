package catalog

import (
	"os"
	"reflect"
	"slices"
	"testing"

	"ocs/templates"
)

func scanOCSLike(t *testing.T) map[string]*Template {
	t.Helper()
	list, problems := Scan(os.DirFS("testdata/ocs-like"))
	if len(problems) > 0 {
		t.Fatalf("problems: %+v", problems)
	}
	byName := map[string]*Template{}
	for _, tmpl := range list {
		byName[tmpl.Name] = tmpl
	}
	return byName
}

func notebookPaths(t *Template) []string {
	var out []string
	for _, nb := range t.Notebooks {
		out = append(out, nb.Path)
	}
	return out
}

func TestScanOCSLikeTree(t *testing.T) {
	byName := scanOCSLike(t)
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range byName {
			if !yield(n) {
				return
			}
		}
	})
	// NoNotebooks has only a script, README.md is not a notebook.
	if want := []string{"HPC-Learning", "JupyterHub-Small", "Moodle-Mini", "greeter"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("templates %v, want %v", names, want)
	}

	tests := []struct {
		name      string
		title     string
		summary   string
		language  string
		kernel    string
		notebooks []string
		outline   []Heading
	}{
		{
			name:     "Moodle-Mini",
			title:    "小さなMoodle環境の構築",
			summary:  "このテンプレートは、学習管理システム Moodle を一台のVCノードに構築する手順をまとめたものです。",
			language: "python", kernel: "python3",
			notebooks: []string{"000-README.ipynb", "notebooks/011-パラメータの設定.ipynb",
				"notebooks/021-Moodleの起動.ipynb", "notebooks/911-環境の停止.ipynb"},
			outline: []Heading{
				{1, "小さなMoodle環境の構築"}, {2, "構成"}, {2, "ノートブックの一覧"},
				{1, "パラメータの設定"}, {2, "UnitGroup名"}, {2, "VCノードの作成"},
				{1, "Moodleコンテナの起動"}, {2, "前提条件"}, {3, "起動の確認"},
				{1, "環境の停止"},
			},
		},
		{
			name:     "HPC-Learning",
			title:    "学習システムの構築",
			summary:  "GPUノードで手書き数字の認識モデルを学習させます。",
			language: "python", kernel: "python3",
			notebooks: []string{"1.learning_system/1010-学習システムの構築.ipynb", "1.learning_system/1911-学習システムの停止.ipynb",
				"2.recognition_system/2001-認識システムの構築.ipynb", "2.recognition_system/2004-ジョブの実行.ipynb"},
		},
		{
			name:     "JupyterHub-Small",
			title:    "JupyterHub環境構築",
			summary:  "少人数向けのJupyterHubを構築します。",
			language: "python", kernel: "python3",
			// files/sample-notebook.ipynb is a file the template ships, not a step.
			notebooks: []string{"001-JupyterHub環境構築.ipynb"},
			outline:   []Heading{{1, "JupyterHub環境構築"}, {2, "事前準備"}},
		},
		{
			name: "greeter", title: "Greeter", summary: "A one-notebook Go template at the root of a source.",
			language: "go", kernel: "ocs-go",
			notebooks: []string{"greeter.ipynb"},
			outline:   []Heading{{1, "Greeter"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := byName[tt.name]
			if got.Title != tt.title || got.Summary != tt.summary {
				t.Errorf("title %q summary %q, want %q and %q", got.Title, got.Summary, tt.title, tt.summary)
			}
			if got.Language != tt.language || got.Kernel != tt.kernel {
				t.Errorf("language %q kernel %q, want %q and %q", got.Language, got.Kernel, tt.language, tt.kernel)
			}
			if p := notebookPaths(got); !reflect.DeepEqual(p, tt.notebooks) {
				t.Errorf("notebooks\n%q\nwant\n%q", p, tt.notebooks)
			}
			if tt.outline != nil && !reflect.DeepEqual(got.Outline(), tt.outline) {
				t.Errorf("outline\n%v\nwant\n%v", got.Outline(), tt.outline)
			}
		})
	}

	// A bash notebook among python ones keeps its own language.
	hpc := byName["HPC-Learning"]
	if nb := hpc.Notebooks[3]; nb.Language != "bash" || nb.Kernel != "bash" {
		t.Errorf("2004: language %q kernel %q, want bash", nb.Language, nb.Kernel)
	}
	// The Python template's vcp:parameters placeholder is a required
	// parameter; the Go one declares Go parameters.
	if got := byName["Moodle-Mini"].Parameters; len(got) != 1 || got[0].Name != "ugroup_name" || got[0].Kind != templates.KindRequired {
		t.Errorf("python template has parameters %+v, want ugroup_name required", got)
	}
	wantParams := []templates.Param{
		{Name: "who", Type: "string", Default: "world", Help: "who to greet", Line: 1},
		{Name: "times", Type: "int", Default: "2", Help: "how often", Line: 2},
	}
	if got := byName["greeter"].Parameters; !reflect.DeepEqual(got, wantParams) {
		t.Errorf("greeter parameters %+v, want %+v", got, wantParams)
	}
}

func TestRunOrder(t *testing.T) {
	tests := []struct {
		in, want []string
	}{
		{[]string{"notebooks/911-stop.ipynb", "notebooks/011-a.ipynb", "000-README.ipynb", "notebooks/021-b.ipynb"},
			[]string{"000-README.ipynb", "notebooks/011-a.ipynb", "notebooks/021-b.ipynb", "notebooks/911-stop.ipynb"}},
		// LogAnalysis-style: an unnumbered README and numbered steps.
		{[]string{"notebooks/801-x.ipynb", "README.ipynb", "notebooks/201-y.ipynb"},
			[]string{"README.ipynb", "notebooks/201-y.ipynb", "notebooks/801-x.ipynb"}},
		// Numbers compare as numbers, not as text.
		{[]string{"100-a.ipynb", "20-b.ipynb", "3_c.ipynb"}, []string{"3_c.ipynb", "20-b.ipynb", "100-a.ipynb"}},
		// Digits that are part of a word are not a prefix.
		{[]string{"2fa.ipynb", "010-x.ipynb"}, []string{"010-x.ipynb", "2fa.ipynb"}},
		// Nothing numbered: every notebook, by path.
		{[]string{"b/x.ipynb", "a.ipynb"}, []string{"a.ipynb", "b/x.ipynb"}},
	}
	for _, tt := range tests {
		if got := runOrder(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("runOrder(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMarkdownSummary(t *testing.T) {
	src := "Intro *before* the title.\n\n# Deploy *cluster* `v2` <span>x</span>\n\nSetext\n------\n\n- a list is not a paragraph\n"
	headings, para := markdownSummary([]byte(src))
	want := []Heading{{1, "Deploy cluster v2 x"}, {2, "Setext"}}
	if !reflect.DeepEqual(headings, want) || para != "Intro before the title." {
		t.Fatalf("headings %v paragraph %q", headings, para)
	}
}

func TestSearchOCSLike(t *testing.T) {
	byName := scanOCSLike(t)
	var list []*Template
	for _, n := range []string{"HPC-Learning", "JupyterHub-Small", "Moodle-Mini", "greeter"} {
		list = append(list, byName[n])
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"moodle", []string{"Moodle-Mini"}},
		{"ＭＯＯＤＬＥ", []string{"Moodle-Mini"}},                                 // full-width input
		{"構築", []string{"JupyterHub-Small", "Moodle-Mini", "HPC-Learning"}}, // title+summary beat title alone
		{"Moodle構築", []string{"Moodle-Mini"}},                               // split where the script changes
		{"停止", []string{"HPC-Learning", "Moodle-Mini"}},
		{"jupyterhub 事前準備", []string{"JupyterHub-Small"}},
		{"greet", []string{"greeter"}},
		{"存在しない", nil},
		{"   ", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, m := range Search(list, tt.query) {
			got = append(got, m.Template.Name)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Search(%q) = %q, want %q", tt.query, got, tt.want)
		}
	}
}
