package catalog

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"ocs/templates"
)

func TestResolve(t *testing.T) {
	ctx := context.Background()
	ocsLike, _ := filepath.Abs("testdata/ocs-like")
	c := newTestCatalog(t, "sources:\n  - name: local\n    dir: "+ocsLike+"\n")

	tests := []struct {
		ref       string
		notebooks []string // relative to the template folder
		language  string
		runnable  bool
	}{
		{"Moodle-Mini", []string{"000-README.ipynb", "notebooks/011-パラメータの設定.ipynb",
			"notebooks/021-Moodleの起動.ipynb", "notebooks/911-環境の停止.ipynb"}, "python", true},
		{"local:Moodle-Mini/021", []string{"notebooks/021-Moodleの起動.ipynb"}, "python", true},
		{"Moodle-Mini/911-環境の停止.ipynb", []string{"notebooks/911-環境の停止.ipynb"}, "python", true},
		{"HPC-Learning/2004", []string{"2.recognition_system/2004-ジョブの実行.ipynb"}, "bash", true},
		{"greeter", []string{"greeter.ipynb"}, "go", true},
		// The built-in is its text; the generated hello.ipynb beside it is
		// not a second notebook.
		{"hello", []string{"hello.go"}, "go", true},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			r, err := c.Resolve(ctx, tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Notebooks) != len(tt.notebooks) {
				t.Fatalf("notebooks %q, want %q", r.Notebooks, tt.notebooks)
			}
			for i, want := range tt.notebooks {
				if r.Notebooks[i] != filepath.Join(r.Dir, want) {
					t.Errorf("notebook %d: %s, want %s in %s", i, r.Notebooks[i], want, r.Dir)
				}
				if _, err := os.Stat(r.Notebooks[i]); err != nil {
					t.Error(err)
				}
			}
			var le *LanguageError
			switch err := r.Runnable(); {
			case tt.runnable && err != nil:
				t.Errorf("Runnable: %v", err)
			case !tt.runnable && (!errors.As(err, &le) || le.Language != tt.language):
				t.Errorf("Runnable: %v, want a LanguageError for %s", err, tt.language)
			}
			if r.Language != tt.language {
				t.Errorf("language %q, want %q", r.Language, tt.language)
			}
		})
	}

	// The built-in template is materialised byte for byte, once.
	r, err := c.Resolve(ctx, "builtin:hello")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := fs.ReadFile(templates.FS(), "hello/hello.go")
	if got, err := os.ReadFile(r.Notebooks[0]); err != nil || string(got) != string(want) {
		t.Fatalf("materialised hello differs: %v", err)
	}
	again, err := c.Resolve(ctx, "hello")
	if err != nil || again.Dir != r.Dir {
		t.Fatalf("second resolve: %v, dir %s vs %s", err, again.Dir, r.Dir)
	}

	for ref, want := range map[string]error{
		"nothing":               ErrNotFound,
		"Moodle-Mini/999":       ErrNotFound,
		"nosource:Moodle-Mini":  ErrNoSource,
		"local:HPC-Learning/55": ErrNotFound,
	} {
		if _, err := c.Resolve(ctx, ref); !errors.Is(err, want) {
			t.Errorf("Resolve(%q) = %v, want %v", ref, err, want)
		}
	}
	if _, err := c.Resolve(ctx, ""); err == nil {
		t.Error("empty reference resolved")
	}
}

func TestAmbiguousName(t *testing.T) {
	ctx := context.Background()
	ocsLike, _ := filepath.Abs("testdata/ocs-like")
	c := newTestCatalog(t, "sources:\n  - name: a\n    dir: "+ocsLike+"\n  - name: b\n    dir: "+ocsLike+"\n")
	var amb *AmbiguousError
	if _, err := c.Resolve(ctx, "greeter"); !errors.As(err, &amb) || len(amb.Candidates) != 2 {
		t.Fatalf("got %v, want an AmbiguousError with a:greeter and b:greeter", err)
	}
	if r, err := c.Resolve(ctx, "b:greeter"); err != nil || r.Source != "b" {
		t.Fatalf("b:greeter: %+v %v", r, err)
	}
}

// TestBuiltinNameNeedsNoOtherSource: a built-in name resolves without the
// other sources being read (an unreachable one is not even tried), and a
// same-named template elsewhere is reached with SOURCE:NAME.
func TestBuiltinNameNeedsNoOtherSource(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "hello"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hello", "hello.ipynb"), []byte(notebookJSON("go", "Another hello", "Not the built-in one.")), 0o644); err != nil {
		t.Fatal(err)
	}
	c := newTestCatalog(t, "sources:\n  - name: away\n    git: http://127.0.0.1:1/nothing.git\n  - name: mine\n    dir: "+dir+"\n")
	r, err := c.Resolve(ctx, "hello")
	if err != nil || r.Source != "builtin" {
		t.Fatalf("hello: %+v %v", r, err)
	}
	if _, err := os.Stat(filepath.Join(c.Paths.CacheDir, "catalog", "git")); err == nil {
		t.Error("resolving a built-in name tried the git source")
	}
	if r, err := c.Resolve(ctx, "mine:hello"); err != nil || r.Source != "mine" {
		t.Fatalf("mine:hello: %+v %v", r, err)
	}
}

func TestRunnable(t *testing.T) {
	tests := []struct {
		language, kernel string
		ok               bool
	}{
		{"go", "ocs-go", true},
		{"", "", true}, // no language: taken as Go
		{"python", "python3", true},
		{"bash", "bash", true},
		{"python", "", false},
	}
	for _, tt := range tests {
		r := &Resolved{Template: &Template{Name: "t"}, Language: tt.language, Kernel: tt.kernel}
		var le *LanguageError
		err := r.Runnable()
		if tt.ok != (err == nil) || (err != nil && !errors.As(err, &le)) {
			t.Errorf("Runnable(%q, %q) = %v, want ok=%v", tt.language, tt.kernel, err, tt.ok)
		}
	}
}

// The cached copy of a built-in template is checked against the embedded
// one before use: an edited, extended or linked copy is written again.
func TestBuiltinCacheVerified(t *testing.T) {
	ctx := context.Background()
	c := newTestCatalog(t, "sources: []\n")
	r, err := c.Resolve(ctx, "builtin:hello")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := fs.ReadFile(templates.FS(), "hello/hello.go")
	nb := r.Notebooks[0]
	other := filepath.Join(t.TempDir(), "other.ipynb")
	os.WriteFile(other, []byte(notebookJSON("go", "Tampered", "Not the built-in.")), 0o644)
	for name, tamper := range map[string]func() error{
		"edited":  func() error { return os.WriteFile(nb, []byte(notebookJSON("go", "Tampered", "Edited.")), 0o644) },
		"linked":  func() error { os.Remove(nb); return os.Symlink(other, nb) },
		"added":   func() error { return os.WriteFile(filepath.Join(r.Dir, "extra.sh"), []byte("#!/bin/sh\n"), 0o755) },
		"removed": func() error { return os.Remove(nb) },
	} {
		t.Run(name, func(t *testing.T) {
			if err := tamper(); err != nil {
				t.Fatal(err)
			}
			again, err := c.Resolve(ctx, "hello")
			if err != nil || again.Dir != r.Dir {
				t.Fatalf("resolve after the cache was %s: %v (dir %s)", name, err, again.Dir)
			}
			fi, err := os.Lstat(again.Notebooks[0])
			got, _ := os.ReadFile(again.Notebooks[0])
			if err != nil || !fi.Mode().IsRegular() || string(got) != string(want) {
				t.Fatalf("cache %s: the built-in ran from a copy that is not the built-in's (%v)", name, err)
			}
			if _, err := os.Stat(filepath.Join(again.Dir, "extra.sh")); err == nil {
				t.Fatal("an added file survived")
			}
		})
	}
}
