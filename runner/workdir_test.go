package runner

import (
	"os"
	"path/filepath"
	"testing"
)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTemplateRoot(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"Mini/000-README.ipynb": "", "Mini/notebooks/011-a.ipynb": "", "Mini/scripts/helper.py": "",
		"Flat/010-a.ipynb": "", "Flat/group_vars/all.yml": "",
		"Plain/x.ipynb": "", "Other/sub/y.ipynb": "", "Other/scripts/z.py": "",
	})
	tests := map[string]string{
		"Mini/notebooks/011-a.ipynb": "Mini", "Mini/000-README.ipynb": "Mini", "Flat/010-a.ipynb": "Flat",
		"Plain/x.ipynb": "", "Other/sub/y.ipynb": "", // only a folder named notebooks looks upwards
	}
	for nb, want := range tests {
		root, ok := TemplateRoot(filepath.Join(dir, nb))
		if want == "" {
			if ok {
				t.Errorf("%s: root %s, want none", nb, root)
			}
			continue
		}
		if !ok || root != filepath.Join(dir, want) {
			t.Errorf("%s: root %q %v, want %s", nb, root, ok, want)
		}
	}
}

func TestLayoutWorkdir(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "Mini")
	writeFiles(t, root, map[string]string{
		"scripts/helper.py": "x = 1\n", "playbooks/site.yml": "", "notebooks/images/a.svg": "",
		"group_vars/all.yml": "a: 1\n", "group_vars/web/10.yml": "b: 2\n", "notebooks/011.ipynb": "",
	})
	work := filepath.Join(dir, "builds", "Mini")
	if err := LayoutWorkdir(root, work); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"scripts": "scripts", "playbooks": "playbooks", "images": "notebooks/images"} {
		link, err := os.Readlink(filepath.Join(work, name))
		if err != nil || link != filepath.Join(root, target) {
			t.Errorf("%s links to %q (%v), want %s", name, link, err, filepath.Join(root, target))
		}
	}
	for _, absent := range []string{"template", "docker", "patches", "plugins", "notebooks"} {
		if _, err := os.Lstat(filepath.Join(work, absent)); err == nil {
			t.Errorf("%s exists in the work folder; the template has none", absent)
		}
	}
	fi, err := os.Lstat(filepath.Join(work, "group_vars"))
	if err != nil || !fi.IsDir() {
		t.Fatalf("group_vars is not a copied folder: %v %v", fi, err)
	}
	// What a notebook writes stays in the work folder, and a second layout
	// (the next notebook of the template) keeps it.
	writeFiles(t, work, map[string]string{"group_vars/web/10.yml": "b: 3\n", "inventory.yml": "all: {}\n"})
	if err := LayoutWorkdir(root, work); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"group_vars/web/10.yml": "b: 3\n", "group_vars/all.yml": "a: 1\n", "inventory.yml": "all: {}\n"} {
		got, err := os.ReadFile(filepath.Join(work, name))
		if err != nil || string(got) != want {
			t.Errorf("%s: %q %v, want %q", name, got, err, want)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(root, "group_vars/web/10.yml")); string(got) != "b: 2\n" {
		t.Errorf("the template's group_vars changed: %q", got)
	}
	// A folder the work folder already has is not replaced by a link.
	other := filepath.Join(dir, "other")
	writeFiles(t, other, map[string]string{"scripts/own.py": ""})
	if err := LayoutWorkdir(root, other); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(filepath.Join(other, "scripts")); err != nil || fi.Mode()&os.ModeSymlink != 0 {
		t.Errorf("the work folder's own scripts/ was replaced: %v", err)
	}
}
