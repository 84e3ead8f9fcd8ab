package catalog

import (
	"context"
	"errors"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"ocs/kernel/kerneltest"
)

// origin is a real git repository made with the git CLI: a working copy
// that pushes to a bare repository, which the catalog clones.
type origin struct {
	t    testing.TB
	work string
	bare string
}

func newOrigin(t testing.TB) *origin {
	t.Helper()
	kerneltest.NeedTool(t, "git")
	dir := t.TempDir()
	o := &origin{t: t, work: filepath.Join(dir, "work"), bare: filepath.Join(dir, "origin.git")}
	o.git(dir, "init", "-q", "--bare", "-b", "main", o.bare)
	o.git(dir, "init", "-q", "-b", "main", o.work)
	o.git(o.work, "remote", "add", "origin", o.bare)
	return o
}

func (o *origin) git(dir string, args ...string) string {
	o.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	// The user's git configuration (signing, hooks, templates) stays out.
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=test@example.org",
		"GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@example.org")
	out, err := cmd.CombinedOutput()
	if err != nil {
		o.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// write puts files (path → content; "" deletes) into the working copy.
func (o *origin) write(files map[string]string) {
	o.t.Helper()
	for p, content := range files {
		full := filepath.Join(o.work, filepath.FromSlash(p))
		if content == "" {
			if err := os.RemoveAll(full); err != nil {
				o.t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			o.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			o.t.Fatal(err)
		}
	}
}

// commit commits everything, pushes it and returns the commit hash.
func (o *origin) commit(msg string) string {
	o.t.Helper()
	o.git(o.work, "add", "-A")
	o.git(o.work, "commit", "-q", "-m", msg)
	o.git(o.work, "push", "-q", "origin", "main")
	return o.git(o.work, "rev-parse", "HEAD")
}

// serveHTTP serves the bare repository with git http-backend on loopback
// and returns its URL.
func (o *origin) serveHTTP() (url string, stop func()) {
	o.t.Helper()
	execPath := o.git(o.work, "--exec-path")
	backend := filepath.Join(execPath, "git-http-backend")
	h := &cgi.Handler{Path: backend, Root: "/git",
		Env: []string{"GIT_PROJECT_ROOT=" + filepath.Dir(o.bare), "GIT_HTTP_EXPORT_ALL=1"}}
	mux := http.NewServeMux()
	mux.Handle("/git/", h)
	srv := httptest.NewServer(mux) // listens on 127.0.0.1
	o.t.Cleanup(srv.Close)
	return srv.URL + "/git/" + filepath.Base(o.bare), srv.Close
}

// notebookJSON is a small valid notebook with a title, a paragraph and, for
// Go, a parameters cell.
func notebookJSON(language, title, paragraph string) string {
	kernel := map[string]string{"go": "ocs-go", "python": "python3"}[language]
	cells := `{"cell_type": "markdown", "metadata": {}, "source": ["# ` + title + `\n", "\n", "` + paragraph + `"]}`
	if language == "go" {
		cells += `, {"cell_type": "code", "execution_count": null, "metadata": {"tags": ["parameters"]}, "outputs": [],
		  "source": ["nodes := 2 // how many nodes"]}`
	}
	return `{"cells": [` + cells + `], "metadata": {"kernelspec": {"name": "` + kernel + `", "display_name": "x", "language": "` +
		language + `"}}, "nbformat": 4, "nbformat_minor": 4}`
}

func newTestCatalog(t testing.TB, cfg string) *Catalog {
	t.Helper()
	dir := t.TempDir()
	paths := Paths{ConfigFile: filepath.Join(dir, "config", "catalog.yaml"), CacheDir: filepath.Join(dir, "cache")}
	if err := os.MkdirAll(filepath.Dir(paths.ConfigFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(paths.ConfigFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{Paths: paths})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func templateNames(l *Listing) map[string]*Template {
	m := map[string]*Template{}
	for _, t := range l.Templates {
		m[t.Ref()] = t
	}
	return m
}

func TestGitSourceLifecycle(t *testing.T) {
	transports := []struct {
		name string
		url  func(o *origin) string
	}{
		{"file URL", func(o *origin) string { return "file://" + o.bare }},
		{"plain path", func(o *origin) string { return o.bare }},
		{"http", func(o *origin) string { u, _ := o.serveHTTP(); return u }},
	}
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			ctx := context.Background()
			o := newOrigin(t)
			o.write(map[string]string{
				"alpha/alpha.ipynb":                 notebookJSON("go", "Alpha", "First version."),
				"beta/000-README.ipynb":             notebookJSON("python", "ベータ環境の構築", "説明です。"),
				"beta/notebooks/011-設定.ipynb":       notebookJSON("python", "設定", "パラメータ。"),
				"broken/010-broken.ipynb":           `{"cells": [`,
				"notes.txt":                         "not a notebook\n",
				"beta/scripts/helper.sh":            "#!/bin/sh\n",
				"gamma-is-not-yet-here/.keep":       "x\n",
				"alpha/.ipynb_checkpoints/a.ipynb":  "{}",
				"_drafts/unfinished-template.ipynb": "{}",
			})
			first := o.commit("first")
			c := newTestCatalog(t, "sources:\n  - name: t\n    git: "+tr.url(o)+"\n")

			l := c.List(ctx)
			if len(l.Unavailable) > 0 {
				t.Fatalf("unavailable: %v", l.Unavailable)
			}
			got := templateNames(l)
			for _, want := range []string{"builtin:hello", "t:alpha", "t:beta"} {
				if got[want] == nil {
					t.Fatalf("no %s in %v", want, got)
				}
			}
			fromGit := 0 // the built-in templates change as ocs grows
			for ref := range got {
				if strings.HasPrefix(ref, "t:") {
					fromGit++
				}
			}
			if fromGit != 2 {
				t.Fatalf("templates %v, want t:alpha and t:beta from the git source", got)
			}
			if a := got["t:alpha"]; a.Commit != first || a.Title != "Alpha" || a.Language != "go" || len(a.Parameters) != 1 {
				t.Fatalf("alpha: %+v", a)
			}
			if b := got["t:beta"]; b.Title != "ベータ環境の構築" || b.Language != "python" || len(b.Notebooks) != 2 {
				t.Fatalf("beta: %+v", b)
			}
			// The broken notebook is reported; it hides nothing else.
			if ps := l.Problems["t"]; len(ps) != 1 || ps[0].Path != "broken/010-broken.ipynb" || !strings.Contains(ps[0].Err, "malformed JSON") {
				t.Fatalf("problems %+v", l.Problems)
			}

			src, _ := c.Source("t")
			gs := src.(*gitSource)
			indexBefore, err := os.ReadFile(gs.indexFile())
			if err != nil || !strings.Contains(string(indexBefore), first) {
				t.Fatalf("index not cached for %s: %v", first, err)
			}

			// A second commit upstream: the cache is used as is until update.
			o.write(map[string]string{
				"alpha/alpha.ipynb":     notebookJSON("go", "Alpha two", "Second version."),
				"beta":                  "",
				"gamma/010-gamma.ipynb": notebookJSON("go", "Gamma", "New."),
			})
			second := o.commit("second")
			if a := templateNames(c.List(ctx))["t:alpha"]; a.Title != "Alpha" || a.Commit != first {
				t.Fatalf("before update: %+v", a)
			}

			res, failed, err := c.Update(ctx, "t")
			if err != nil || len(failed) > 0 {
				t.Fatalf("update: %v %v", err, failed)
			}
			if len(res) != 1 || res[0].Action != "updated" || res[0].From != first || res[0].To != second {
				t.Fatalf("update result %+v, want updated %s → %s", res, first, second)
			}
			got = templateNames(c.List(ctx))
			if got["t:beta"] != nil || got["t:gamma"] == nil || got["t:alpha"].Title != "Alpha two" || got["t:alpha"].Commit != second {
				t.Fatalf("after update: %v", got)
			}
			if res, _, _ := c.Update(ctx, "t"); len(res) != 1 || res[0].Action != "unchanged" {
				t.Fatalf("second update %+v, want unchanged", res)
			}

			r, err := c.Resolve(ctx, "t:alpha")
			if err != nil {
				t.Fatal(err)
			}
			if r.Source != "t" || r.Commit != second || len(r.Notebooks) != 1 || r.Runnable() != nil {
				t.Fatalf("resolved %+v", r)
			}
			if data, err := os.ReadFile(r.Notebooks[0]); err != nil || !strings.Contains(string(data), "Alpha two") {
				t.Fatalf("resolved notebook: %v %q", err, data)
			}

			// A dirty cache is put back by update.
			if err := os.WriteFile(r.Notebooks[0], []byte("edited"), 0o644); err != nil {
				t.Fatal(err)
			}
			stray := filepath.Join(gs.repoDir(), "stray.txt")
			if err := os.WriteFile(stray, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, failed, _ := c.Update(ctx, "t"); len(failed) > 0 {
				t.Fatalf("update of a dirty cache: %v", failed)
			}
			if data, _ := os.ReadFile(r.Notebooks[0]); !strings.Contains(string(data), "Alpha two") {
				t.Fatalf("dirty notebook not restored: %q", data)
			}
			if _, err := os.Stat(stray); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("untracked file kept: %v", err)
			}

			// A corrupt cache is cloned again, by list and by update alike.
			if err := os.RemoveAll(filepath.Join(gs.repoDir(), ".git", "objects")); err != nil {
				t.Fatal(err)
			}
			if a := templateNames(c.List(ctx))["t:alpha"]; a == nil || a.Commit != second {
				t.Fatalf("after corrupting the cache: %+v", a)
			}
			if err := os.WriteFile(filepath.Join(gs.repoDir(), ".git", "HEAD"), []byte("garbage"), 0o644); err != nil {
				t.Fatal(err)
			}
			if res, failed, _ := c.Update(ctx, "t"); len(failed) > 0 || res[0].Action != "cloned" || res[0].To != second {
				t.Fatalf("update of a corrupt cache: %+v %v", res, failed)
			}
		})
	}
}

// TestOfflineSource: an unreachable source is a warning; templates of other
// sources still list and resolve.
func TestOfflineSource(t *testing.T) {
	ctx := context.Background()
	ocsLike, _ := filepath.Abs("testdata/ocs-like")
	c := newTestCatalog(t, "sources:\n  - name: away\n    git: http://127.0.0.1:1/nothing.git\n  - name: local\n    dir: "+ocsLike+"\n")
	l := c.List(ctx)
	var unreachable *UnreachableError
	if len(l.Unavailable) != 1 || !errors.As(l.Unavailable[0].Err, &unreachable) || unreachable.Source != "away" {
		t.Fatalf("unavailable %v, want source away unreachable", l.Unavailable)
	}
	if got := templateNames(l); got["local:Moodle-Mini"] == nil || got["builtin:hello"] == nil {
		t.Fatalf("templates %v", got)
	}

	r, err := c.Resolve(ctx, "greeter")
	if err != nil {
		t.Fatal(err)
	}
	if r.Source != "local" || r.Commit != "" || r.Runnable() != nil || filepath.Base(r.Notebooks[0]) != "greeter.ipynb" {
		t.Fatalf("resolved %+v", r)
	}
	if _, err := c.Resolve(ctx, "away:anything"); !errors.As(err, &unreachable) {
		t.Fatalf("resolving in the unreachable source: %v", err)
	}
}

// TestOfflineAfterClone: once cloned, a source lists and resolves with its
// origin gone; update fails and keeps the cache.
func TestOfflineAfterClone(t *testing.T) {
	ctx := context.Background()
	o := newOrigin(t)
	o.write(map[string]string{"alpha/alpha.ipynb": notebookJSON("go", "Alpha", "x")})
	commit := o.commit("first")
	url, stop := o.serveHTTP()
	c := newTestCatalog(t, "sources:\n  - name: t\n    git: "+url+"\n")
	if l := c.List(ctx); len(l.Unavailable) > 0 {
		t.Fatal(l.Unavailable)
	}
	stop()
	if l := c.List(ctx); len(l.Unavailable) > 0 || templateNames(l)["t:alpha"] == nil {
		t.Fatalf("offline listing: %v", l.Unavailable)
	}
	_, failed, _ := c.Update(ctx, "t")
	var unreachable *UnreachableError
	if len(failed) != 1 || !errors.As(failed[0].Err, &unreachable) {
		t.Fatalf("offline update: %v", failed)
	}
	r, err := c.Resolve(ctx, "alpha")
	if err != nil || r.Commit != commit {
		t.Fatalf("resolve offline: %+v %v", r, err)
	}
}

// TestCredentialsStayOutOfMessages: a source URL carrying a token or a
// password never shows them in listings, warnings or errors.
func TestCredentialsStayOutOfMessages(t *testing.T) {
	for _, u := range []string{"http://tok-ABCDEF123456@127.0.0.1:1/x.git", "http://bot:pw-S3CRET-98@127.0.0.1:1/x.git"} {
		c := newTestCatalog(t, "sources:\n  - name: away\n    git: "+u+"\n")
		l := c.List(context.Background())
		if len(l.Unavailable) != 1 {
			t.Fatalf("%s: unavailable %v", u, l.Unavailable)
		}
		var shown []string
		shown = append(shown, l.Unavailable[0].Err.Error())
		for _, s := range c.Sources() {
			shown = append(shown, s.Location())
		}
		for _, text := range shown {
			for _, secret := range []string{"tok-ABCDEF123456", "pw-S3CRET-98"} {
				if strings.Contains(text, secret) {
					t.Errorf("%q shows the credential %s", text, secret)
				}
			}
		}
		if !strings.Contains(l.Unavailable[0].Err.Error(), "127.0.0.1:1") {
			t.Errorf("the message lost the host: %v", l.Unavailable[0].Err)
		}
	}
}

// escapingLink is a relative link from dir (inside a clone at any depth)
// to the absolute path target: enough ".." to reach / first.
func escapingLink(target string) string {
	return strings.Repeat("../", 40) + strings.TrimPrefix(target, "/")
}

// Committed symbolic links that resolve outside the clone are neither
// listed nor run; links inside it still work.
func TestGitSymlinksOutOfTheCloneRefused(t *testing.T) {
	ctx := context.Background()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "evil.ipynb"), []byte(notebookJSON("go", "Evil outside", "Not in the repository.")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(outside, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "dir", "010-x.ipynb"), []byte(notebookJSON("go", "Evil folder", "Outside too.")), 0o644); err != nil {
		t.Fatal(err)
	}
	o := newOrigin(t)
	o.write(map[string]string{"good/010-a.ipynb": notebookJSON("go", "Good", "Inside.")})
	for link, target := range map[string]string{
		"evil.ipynb":          escapingLink(filepath.Join(outside, "evil.ipynb")),
		"evildir":             escapingLink(filepath.Join(outside, "dir")),
		"mixed/010-out.ipynb": escapingLink(filepath.Join(outside, "evil.ipynb")),
		"mixed/020-in.ipynb":  "../good/010-a.ipynb",
		"inner.ipynb":         "good/010-a.ipynb",
	} {
		full := filepath.Join(o.work, link)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.Symlink(target, full); err != nil {
			t.Fatal(err)
		}
	}
	o.commit("links")
	c := newTestCatalog(t, "sources:\n  - name: t\n    git: "+o.bare+"\n")
	l := c.List(ctx)
	got := templateNames(l)
	for _, ref := range []string{"t:good", "t:inner", "t:mixed"} {
		if got[ref] == nil {
			t.Errorf("%s not listed: %v", ref, got)
		}
	}
	for _, ref := range []string{"t:evil", "t:evildir"} {
		if got[ref] != nil {
			t.Errorf("%s listed, titled %q, through a link out of the clone", ref, got[ref].Title)
		}
	}
	if m := got["t:mixed"]; m != nil && (len(m.Notebooks) != 1 || m.Notebooks[0].Path != "020-in.ipynb") {
		t.Errorf("t:mixed notebooks = %+v, want only the one inside", m.Notebooks)
	}
	problem := false
	for _, p := range l.Problems["t"] {
		if p.Path == "evil.ipynb" {
			problem = true
		}
	}
	if !problem {
		t.Errorf("no problem reported for evil.ipynb: %+v", l.Problems)
	}
	for _, ref := range []string{"t:evil", "t:mixed/010-out"} {
		if r, err := c.Resolve(ctx, ref); err == nil {
			t.Errorf("Resolve(%s) = %v; want an error", ref, r.Notebooks)
		}
	}
	if _, err := c.Resolve(ctx, "t:inner"); err != nil {
		t.Errorf("a link inside the clone: %v", err)
	}

	// The clone changed after it was indexed: the indexed notebook is now a
	// link out of it. Run refuses it rather than run the outside file.
	r, err := c.Resolve(ctx, "t:good")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(r.Notebooks[0]); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "evil.ipynb"), r.Notebooks[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Resolve(ctx, "t:good"); err == nil || !strings.Contains(err.Error(), "not inside the source's repository") {
		t.Fatalf("Resolve of a notebook swapped for a link out: %v", err)
	}
}

// Issue 12, finding 31: a repository with a ".." tree entry is refused
// with a message saying so, not as "unreachable: directory not found".
func TestDotDotTreeIsRefusedClearly(t *testing.T) {
	o := newOrigin(t)
	blob := o.gitIn(o.work, "x\n", "hash-object", "-w", "--stdin")
	inner := o.gitIn(o.work, "100644 blob "+blob+"\tescape.ipynb\n", "mktree")
	tree := o.gitIn(o.work, "040000 tree "+inner+"\t..\n100644 blob "+blob+"\tREADME.md\n", "mktree")
	commit := o.git(o.work, "commit-tree", tree, "-m", "dotdot")
	o.git(o.work, "push", "-q", "origin", commit+":refs/heads/main")
	c := newTestCatalog(t, "sources:\n  - name: dd\n    git: file://"+o.bare+"\n")
	l := c.List(context.Background())
	if len(l.Unavailable) != 1 {
		t.Fatalf("unavailable %v, want the dd source", l.Unavailable)
	}
	msg := l.Unavailable[0].Err.Error()
	var unreachable *UnreachableError
	if errors.As(l.Unavailable[0].Err, &unreachable) || !strings.Contains(msg, "will not check out") {
		t.Fatalf("error %q", msg)
	}
}

// gitIn runs git with stdin.
func (o *origin) gitIn(dir, stdin string, args ...string) string {
	o.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		o.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
