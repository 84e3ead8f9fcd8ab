package catalog

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Resolved is a template found on disk, ready for the runner.
type Resolved struct {
	Template *Template
	// Source and Commit go into the build record; Commit is "" for sources
	// that are not git repositories.
	Source string
	Commit string
	// Dir is the template's folder: notebooks find their relative files
	// (scripts/, playbooks/, ...) from here.
	Dir string
	// Notebooks are the absolute paths of the notebooks to run, in order:
	// every notebook of the template, or the one the reference named.
	Notebooks []string
	// Named says the reference named one notebook (NAME/NOTEBOOK).
	Named bool
	// Language and Kernel come from the kernelspec of the notebooks to run.
	Language string
	Kernel   string
}

// Runnable reports whether ocs can run the resolved notebooks: Go ones in
// its own kernel, any other in the Jupyter kernel their kernelspec names
// (whether that kernel is installed is found when it starts). Notebooks
// that name a language but no kernel cannot be run.
func (r *Resolved) Runnable() error {
	if r.Language == "go" || r.Language == "" || r.Kernel != "" {
		return nil
	}
	return &LanguageError{Template: r.Template.Ref(), Language: r.Language, Kernel: r.Kernel}
}

// LanguageError is a template whose kernel ocs cannot tell.
type LanguageError struct {
	Template string
	Language string
	Kernel   string
}

func (e *LanguageError) Error() string {
	lang := e.Language
	if lang == "" {
		lang = "an unknown language"
	}
	return fmt.Sprintf("template %q is written in %s but names no kernel (metadata.kernelspec.name); ocs cannot tell which Jupyter kernel runs it", e.Template, lang)
}

// Resolve maps a reference (NAME, NAME/NOTEBOOK or SOURCE:NAME...) to
// notebooks on disk. A template in a language ocs cannot run still
// resolves; Runnable says so.
func (c *Catalog) Resolve(ctx context.Context, ref string) (*Resolved, error) {
	r, err := ParseRef(ref)
	if err != nil {
		return nil, err
	}
	t, _, err := c.find(ctx, r)
	if err != nil {
		return nil, err
	}
	src, err := c.Source(t.Source)
	if err != nil {
		return nil, err
	}
	dir, err := src.TemplateDir(ctx, t)
	if err != nil {
		return nil, err
	}
	res := &Resolved{Template: t, Source: t.Source, Commit: t.Commit, Dir: dir,
		Language: t.Language, Kernel: t.Kernel, Named: r.Notebook != ""}
	if res.Commit == "" && src.Kind() == "builtin" {
		// Built-in templates have no commit; the cache folder is named by a
		// hash of their content, which identifies what ran as well.
		if i := strings.LastIndexByte(filepath.Base(dir), '-'); i >= 0 {
			res.Commit = "content-" + filepath.Base(dir)[i+1:]
		}
	}
	chosen := t.Notebooks
	if r.Notebook != "" {
		nb, err := pickNotebook(t, r.Notebook)
		if err != nil {
			return nil, err
		}
		chosen = []NotebookInfo{nb}
		res.Language, res.Kernel = nb.Language, nb.Kernel
	}
	confined, _ := src.(interface{ Confine(rel string) error })
	for _, nb := range chosen {
		p := filepath.Join(dir, filepath.FromSlash(nb.Path))
		if confined != nil {
			// The clone may have changed since it was indexed: a notebook
			// reached through a link out of the repository is not its
			// commit's, and must not run as if it were.
			if err := confined.Confine(path.Join(t.Dir, nb.Path)); err != nil {
				return nil, fmt.Errorf("template %q: notebook %q is not inside the source's repository: %w", t.Ref(), nb.Path, err)
			}
		}
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("template %q: notebook %q is missing from the cache (try `ocs catalog update`): %w", t.Ref(), nb.Path, err)
		}
		res.Notebooks = append(res.Notebooks, p)
	}
	return res, nil
}

// LifecycleFrom is the first step number of a template's lifecycle
// notebooks (stop, restart, delete: 910, 920, 990 ...), which `ocs run NAME`
// leaves out: they undo the build, so they run only when named
// (NAME/990).
const LifecycleFrom = 900

// Steps returns the notebooks `ocs run` runs for the reference: the one it
// named, or every notebook but the lifecycle ones numbered LifecycleFrom and
// above.
func (r *Resolved) Steps() []string {
	if r.Named {
		return r.Notebooks
	}
	var out []string
	for _, p := range r.Notebooks {
		if n, ok := numericPrefix(strings.TrimSuffix(filepath.Base(p), ".ipynb")); ok && n >= LifecycleFrom {
			continue
		}
		out = append(out, p)
	}
	return out
}

// pickNotebook finds a notebook of t by path, by file name (with or without
// .ipynb) or by its numeric prefix.
func pickNotebook(t *Template, want string) (NotebookInfo, error) {
	want = strings.TrimSuffix(want, ".ipynb")
	var matches []NotebookInfo
	for _, nb := range t.Notebooks {
		p := strings.TrimSuffix(nb.Path, ".ipynb")
		base := path.Base(p)
		n, numbered := numericPrefix(base)
		wantN, wantNumbered := numericPrefix(want)
		switch {
		case p == want, base == want:
			return nb, nil
		case numbered && wantNumbered && n == wantN && strings.Trim(want, "0123456789") == "":
			matches = append(matches, nb)
		}
	}
	if len(matches) == 1 {
		return matches[0], nil
	}
	names := make([]string, len(t.Notebooks))
	for i, nb := range t.Notebooks {
		names[i] = nb.Path
	}
	if len(matches) > 1 {
		return NotebookInfo{}, fmt.Errorf("template %q: notebook %q matches several: %s", t.Ref(), want, strings.Join(names, ", "))
	}
	return NotebookInfo{}, fmt.Errorf("template %q has no notebook %q (it has %s): %w", t.Ref(), want, strings.Join(names, ", "), ErrNotFound)
}

// Resolve resolves ref in the catalog of the default paths; see
// Catalog.Resolve.
func Resolve(ctx context.Context, ref string) (*Resolved, error) {
	c, err := Open()
	if err != nil {
		return nil, err
	}
	return c.Resolve(ctx, ref)
}
