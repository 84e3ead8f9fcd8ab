package catalog

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkListCachedGitSource times what `ocs catalog list` does once a
// git source of 200 templates is cloned and indexed: read the
// configuration, open the clone for its commit, read the cached index and
// scan the built-in templates. The goal is under 100 ms.
func BenchmarkListCachedGitSource(b *testing.B) {
	ctx := context.Background()
	o := newOrigin(b)
	files := map[string]string{}
	for i := range 200 {
		// Folder templates of three notebooks, like ocs-templates' small ones.
		for _, step := range []string{"000-README", "011-設定", "911-停止"} {
			files[fmt.Sprintf("template-%03d/%s.ipynb", i, step)] = notebookJSON("go",
				fmt.Sprintf("テンプレート %d の構築", i), "仮想ノードを作成して設定します。")
		}
	}
	o.write(files)
	o.commit("200 templates")
	cfg := "sources:\n  - name: t\n    git: file://" + o.bare + "\n"
	c := newTestCatalog(b, cfg)
	l := c.List(ctx)
	fromGit := 0
	for _, t := range l.Templates {
		if t.Source == "t" {
			fromGit++
		}
	}
	if fromGit != 200 || len(l.Unavailable) > 0 {
		b.Fatalf("listed %d templates of the git source, unavailable %v", fromGit, l.Unavailable)
	}
	b.ResetTimer()
	for b.Loop() {
		// A fresh Catalog each time, as each ocs process makes one.
		c, err := New(Options{Paths: c.Paths})
		if err != nil {
			b.Fatal(err)
		}
		if got := c.List(ctx); len(got.Templates) != len(l.Templates) {
			b.Fatalf("listed %d templates, then %d", len(l.Templates), len(got.Templates))
		}
	}
}
