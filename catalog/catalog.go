// Package catalog finds templates: the ones built into ocs, local
// directories and git repositories, each behind the Source interface. It
// lists them with what their notebooks say (title, summary, outline,
// parameters), searches them, and resolves a name to notebooks on disk for
// the runner.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"ocs/templates"
)

// Paths are where the catalog keeps its configuration and its cache.
type Paths struct {
	ConfigFile string
	CacheDir   string
}

// DefaultPaths reads $OCS_CONFIG_DIR and $OCS_CACHE_DIR, falling back to the
// user's configuration and cache folders ($XDG_CONFIG_HOME/ocs and
// $XDG_CACHE_HOME/ocs on Linux).
func DefaultPaths() (Paths, error) {
	var p Paths
	configDir := os.Getenv("OCS_CONFIG_DIR")
	if configDir == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return p, fmt.Errorf("find the configuration folder (set OCS_CONFIG_DIR): %w", err)
		}
		configDir = filepath.Join(dir, "ocs")
	}
	p.ConfigFile = filepath.Join(configDir, "catalog.yaml")
	p.CacheDir = os.Getenv("OCS_CACHE_DIR")
	if p.CacheDir == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return p, fmt.Errorf("find the cache folder (set OCS_CACHE_DIR): %w", err)
		}
		p.CacheDir = filepath.Join(dir, "ocs")
	}
	return p, nil
}

// Catalog is the configured sources, the built-in one first.
type Catalog struct {
	Paths   Paths
	Config  *Config
	sources []Source
}

// Options configure New.
type Options struct {
	Paths Paths
	// Builtin replaces the built-in templates (for tests); nil means
	// templates.FS().
	Builtin fs.FS
}

// New reads the configuration and sets up its sources. Nothing is fetched.
func New(opts Options) (*Catalog, error) {
	cfg, err := LoadConfig(opts.Paths.ConfigFile)
	if err != nil {
		return nil, err
	}
	builtin := opts.Builtin
	if builtin == nil {
		builtin = templates.FS()
	}
	c := &Catalog{Paths: opts.Paths, Config: cfg}
	c.sources = append(c.sources, NewBuiltinSource(builtin, opts.Paths.CacheDir))
	for _, s := range cfg.Sources {
		if s.Git != "" {
			c.sources = append(c.sources, NewGitSource(s.Name, s.Git, s.Branch, opts.Paths.CacheDir))
		} else {
			c.sources = append(c.sources, NewDirSource(s.Name, s.Dir))
		}
	}
	return c, nil
}

// Open is New with DefaultPaths.
func Open() (*Catalog, error) {
	paths, err := DefaultPaths()
	if err != nil {
		return nil, err
	}
	return New(Options{Paths: paths})
}

// Sources returns the sources in the order they are searched.
func (c *Catalog) Sources() []Source { return slices.Clone(c.sources) }

// Source returns the named source.
func (c *Catalog) Source(name string) (Source, error) {
	for _, s := range c.sources {
		if s.Name() == name {
			return s, nil
		}
	}
	return nil, fmt.Errorf("source %q: %w", name, ErrNoSource)
}

// SourceError is a source that could not be read; the others still were.
type SourceError struct {
	Source string
	Err    error
}

func (e SourceError) Error() string { return e.Err.Error() }

// Listing is every template of every source that could be read.
type Listing struct {
	Templates []*Template
	// Problems are unreadable notebooks, by source.
	Problems map[string][]Problem
	// Unavailable are the sources that could not be read at all (offline,
	// a missing directory); they are warnings, not failures.
	Unavailable []SourceError
}

// List reads every source. A source that cannot be read is reported in
// Unavailable and does not stop the others.
func (c *Catalog) List(ctx context.Context) *Listing {
	return c.list(ctx, c.sources)
}

func (c *Catalog) list(ctx context.Context, sources []Source) *Listing {
	l := &Listing{Problems: map[string][]Problem{}}
	for _, s := range sources {
		idx, err := s.Index(ctx)
		if err != nil {
			l.Unavailable = append(l.Unavailable, SourceError{Source: s.Name(), Err: err})
			continue
		}
		l.Templates = append(l.Templates, idx.Templates...)
		if len(idx.Problems) > 0 {
			l.Problems[s.Name()] = idx.Problems
		}
	}
	return l
}

// ErrNotFound is returned for a template name no source has.
var ErrNotFound = errors.New("no such template")

// AmbiguousError is a bare template name that several sources have.
type AmbiguousError struct {
	Name       string
	Candidates []string // SOURCE:NAME of each
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("template %q is in several sources (%s); name one as SOURCE:NAME", e.Name, strings.Join(e.Candidates, ", "))
}

// Ref is a parsed template reference: [SOURCE:]NAME[/NOTEBOOK].
type Ref struct {
	Source, Name, Notebook string
}

// ParseRef splits a reference. The notebook part may be a path inside the
// template, a file name with or without .ipynb, or just its number.
func ParseRef(s string) (Ref, error) {
	var r Ref
	if src, rest, ok := strings.Cut(s, ":"); ok {
		r.Source, s = src, rest
	}
	r.Name, r.Notebook, _ = strings.Cut(s, "/")
	if r.Name == "" || (r.Source == "" && strings.HasPrefix(s, ":")) {
		return r, fmt.Errorf("template reference %q: want NAME, NAME/NOTEBOOK or SOURCE:NAME", s)
	}
	return r, nil
}

// Find returns the template a reference names, with the listing it was
// found in (for its warnings).
func (c *Catalog) Find(ctx context.Context, ref string) (*Template, *Listing, error) {
	r, err := ParseRef(ref)
	if err != nil {
		return nil, nil, err
	}
	return c.find(ctx, r)
}

func (c *Catalog) find(ctx context.Context, r Ref) (*Template, *Listing, error) {
	if r.Source == "" {
		// A built-in name is answered without the other sources: running a
		// built-in template never waits for a clone or a network.
		var builtin []Source
		for _, s := range c.sources {
			if s.Kind() == "builtin" {
				builtin = append(builtin, s)
			}
		}
		l := c.list(ctx, builtin)
		for _, t := range l.Templates {
			if t.Name == r.Name {
				return t, l, nil
			}
		}
	}
	sources := c.sources
	if r.Source != "" {
		s, err := c.Source(r.Source)
		if err != nil {
			return nil, nil, err
		}
		sources = []Source{s}
	}
	l := c.list(ctx, sources)
	var found []*Template
	for _, t := range l.Templates {
		if t.Name == r.Name {
			found = append(found, t)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], l, nil
	case len(found) > 1:
		e := &AmbiguousError{Name: r.Name}
		for _, t := range found {
			e.Candidates = append(e.Candidates, t.Ref())
		}
		return nil, l, e
	}
	if r.Source != "" && len(l.Unavailable) > 0 {
		return nil, l, l.Unavailable[0].Err
	}
	return nil, l, fmt.Errorf("template %q: %w", r.Name, ErrNotFound)
}

// Search lists every source and ranks its templates against query; see
// Search.
func (c *Catalog) Search(ctx context.Context, query string) ([]Match, *Listing) {
	l := c.List(ctx)
	return Search(l.Templates, query), l
}

// Update updates the named sources, or all of them when names is empty. A
// source that fails is reported and does not stop the others.
func (c *Catalog) Update(ctx context.Context, names ...string) ([]UpdateResult, []SourceError, error) {
	sources := c.sources
	if len(names) > 0 {
		sources = nil
		for _, n := range names {
			s, err := c.Source(n)
			if err != nil {
				return nil, nil, err
			}
			sources = append(sources, s)
		}
	}
	var results []UpdateResult
	var failed []SourceError
	for _, s := range sources {
		res, err := s.Update(ctx)
		if err != nil {
			failed = append(failed, SourceError{Source: s.Name(), Err: err})
			continue
		}
		results = append(results, res)
	}
	return results, failed, nil
}
