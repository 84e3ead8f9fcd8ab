package catalog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/rs/zerolog"
)

// Source is one place templates come from: the templates built into ocs, a
// local directory or a git repository.
type Source interface {
	Name() string
	// Kind is "builtin", "dir" or "git".
	Kind() string
	// Location is the source's URL or path.
	Location() string
	// Index returns the source's templates. A git source clones its
	// repository on first use and otherwise reads its cache, offline.
	Index(ctx context.Context) (*Index, error)
	// Update brings the source up to date with its origin.
	Update(ctx context.Context) (UpdateResult, error)
	// TemplateDir returns the folder on disk holding the files of t, an
	// entry of this source's Index.
	TemplateDir(ctx context.Context, t *Template) (string, error)
}

// Index is what a source holds.
type Index struct {
	Source    string      `json:"source"`
	Commit    string      `json:"commit,omitempty"`
	Templates []*Template `json:"templates"`
	Problems  []Problem   `json:"problems,omitempty"`
}

// UpdateResult says what Update did.
type UpdateResult struct {
	Source string `json:"source"`
	// Action is "cloned", "updated", "unchanged" or "recloned" for git
	// sources, "none" for sources that have no origin to update from.
	Action string `json:"action"`
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
}

// UnreachableError is a source whose origin could not be reached and that
// has no usable cache.
type UnreachableError struct {
	Source string
	URL    string
	Err    error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("source %q is unreachable (%s): %v", e.Source, e.URL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// newIndex scans fsys and stamps each entry with the source and commit.
func newIndex(source, commit string, fsys fs.FS) *Index {
	list, problems := Scan(fsys)
	for _, t := range list {
		t.Source, t.Commit = source, commit
	}
	if list == nil {
		list = []*Template{}
	}
	return &Index{Source: source, Commit: commit, Templates: list, Problems: problems}
}

// dirSource is a local directory of templates, read afresh every time so
// that a template being written shows its latest state.
type dirSource struct {
	name, dir string
}

// NewDirSource returns the source of the templates in dir.
func NewDirSource(name, dir string) Source { return &dirSource{name: name, dir: dir} }

func (s *dirSource) Name() string     { return s.name }
func (s *dirSource) Kind() string     { return "dir" }
func (s *dirSource) Location() string { return s.dir }

func (s *dirSource) Index(ctx context.Context) (*Index, error) {
	info, err := os.Stat(s.dir)
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", s.name, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("source %q: %s is not a directory", s.name, s.dir)
	}
	return newIndex(s.name, "", os.DirFS(s.dir)), nil
}

func (s *dirSource) Update(ctx context.Context) (UpdateResult, error) {
	return UpdateResult{Source: s.name, Action: "none"}, nil
}

func (s *dirSource) TemplateDir(ctx context.Context, t *Template) (string, error) {
	return filepath.Join(s.dir, filepath.FromSlash(t.Dir)), nil
}

// builtinSource serves the templates embedded in the binary. To give the
// runner real files, a template is copied into the cache, in a folder named
// by a hash of its content, so that a new ocs never runs an old copy.
type builtinSource struct {
	fsys     fs.FS
	cacheDir string
}

// NewBuiltinSource returns the source of the templates in fsys, materialised
// under cacheDir when resolved.
func NewBuiltinSource(fsys fs.FS, cacheDir string) Source {
	return &builtinSource{fsys: fsys, cacheDir: cacheDir}
}

func (s *builtinSource) Name() string     { return BuiltinSourceName }
func (s *builtinSource) Kind() string     { return "builtin" }
func (s *builtinSource) Location() string { return "built into ocs" }

func (s *builtinSource) Index(ctx context.Context) (*Index, error) {
	return newIndex(BuiltinSourceName, "", s.fsys), nil
}

func (s *builtinSource) Update(ctx context.Context) (UpdateResult, error) {
	return UpdateResult{Source: BuiltinSourceName, Action: "none"}, nil
}

func (s *builtinSource) TemplateDir(ctx context.Context, t *Template) (string, error) {
	files, err := templateFiles(s.fsys, t)
	if err != nil {
		return "", fmt.Errorf("built-in template %q: %w", t.Name, err)
	}
	want := map[string][]byte{} // path in the cache folder -> content
	h := sha256.New()
	for _, f := range files {
		data, err := fs.ReadFile(s.fsys, f)
		if err != nil {
			return "", fmt.Errorf("built-in template %q: %w", t.Name, err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(data))
		h.Write(data)
		rel := f
		if t.Dir != "" {
			rel = f[len(t.Dir)+1:]
		}
		want[filepath.FromSlash(rel)] = data
	}
	dir := filepath.Join(s.cacheDir, "builtin", t.Name+"-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Lstat(dir); err == nil {
		// The folder's name claims the content; check it before the run
		// (and its record) trusts it.
		if cacheMatches(dir, want) {
			return dir, nil
		}
		zerolog.Ctx(ctx).Warn().Str("template", t.Name).Str("cache_dir", dir).Msg("cached built-in template was changed; writing it again")
		aside := fmt.Sprintf("%s.changed-%d", dir, time.Now().UnixNano())
		if err := os.Rename(dir, aside); err != nil {
			return "", fmt.Errorf("built-in template %q: the cached copy %s was changed and cannot be replaced: %w", t.Name, dir, err)
		}
		_ = os.RemoveAll(aside)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("built-in template %q: %w", t.Name, err)
	}
	// Copy into a fresh folder and rename it into place, so that a
	// concurrent ocs never sees a half-written template.
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".tmp-"+t.Name+"-*")
	if err != nil {
		return "", fmt.Errorf("built-in template %q: %w", t.Name, err)
	}
	defer os.RemoveAll(tmp)
	for rel, data := range want {
		target := filepath.Join(tmp, rel)
		err := os.MkdirAll(filepath.Dir(target), 0o755)
		if err == nil {
			err = os.WriteFile(target, data, 0o644)
		}
		if err != nil {
			return "", fmt.Errorf("built-in template %q: %w", t.Name, err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if cacheMatches(dir, want) {
			return dir, nil // another ocs got there first, with the same content
		}
		return "", fmt.Errorf("built-in template %q: %w", t.Name, err)
	}
	return dir, nil
}

// cacheMatches reports whether dir holds exactly the files of want, as
// regular files with that content (no link, nothing added or missing).
func cacheMatches(dir string, want map[string][]byte) bool {
	seen := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return errors.New("not a regular file")
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, ok := want[rel]
		if !ok {
			return errors.New("extra file")
		}
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, data) {
			return errors.New("changed")
		}
		seen++
		return nil
	})
	return err == nil && seen == len(want)
}

// templateFiles lists the files of t in fsys, sorted: its whole folder, or
// its one notebook.
func templateFiles(fsys fs.FS, t *Template) ([]string, error) {
	if t.Dir == "" {
		if len(t.Notebooks) == 0 {
			return nil, errors.New("no notebooks")
		}
		return []string{t.Notebooks[0].Path}, nil
	}
	var files []string
	err := fs.WalkDir(fsys, t.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	slices.Sort(files)
	return files, err
}
