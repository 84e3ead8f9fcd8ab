package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/rs/zerolog"
)

// indexFormat changes whenever the cached index's shape does, so that an
// index written by another ocs version is rebuilt instead of misread.
// 2: Python templates list their parameters; 3: read through os.Root
// (links out of the clone refused); 4: titles from the READMEs with
// title_from, text notebooks, repaired notebooks listed.
const indexFormat = 4

// gitSource is a git repository cloned shallowly into the cache:
//
//	<cache>/catalog/git/<name>-<hash of URL and branch>/repo        the clone
//	<cache>/catalog/git/<name>-<hash of URL and branch>/index.json  its index
//
// The clone is made on first use and then only changed by Update, so the
// catalog works offline. The index is rebuilt only when the clone's commit
// changes.
type gitSource struct {
	name, url, branch string
	dir               string
}

// NewGitSource returns the source of the templates in the git repository at
// url (https, http, file:// or a path), on branch or the default branch,
// cached under cacheDir.
func NewGitSource(name, url, branch, cacheDir string) Source {
	sum := sha256.Sum256([]byte(url + "\x00" + branch))
	dir := filepath.Join(cacheDir, "catalog", "git", name+"-"+hex.EncodeToString(sum[:])[:12])
	return &gitSource{name: name, url: url, branch: branch, dir: dir}
}

func (s *gitSource) Name() string     { return s.name }
func (s *gitSource) Kind() string     { return "git" }
func (s *gitSource) Location() string { return redactURL(s.url) }

// redactURL hides the credentials a URL may carry (https://TOKEN@host/...,
// https://user:password@host/...), for messages and listings: secrets
// never reach a log line or an error.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	// "***@" rather than the escaped "%2A%2A%2A@" that url.User would give.
	return strings.Replace(u.String(), "//", "//***@", 1)
}

// scrub returns err with the URL's credentials removed from its text.
func (s *gitSource) scrub(err error) error {
	u, perr := url.Parse(s.url)
	if err == nil || perr != nil || u.User == nil {
		return err
	}
	msg := err.Error()
	for _, secret := range []string{u.User.String(), u.User.Username()} {
		if secret != "" {
			msg = strings.ReplaceAll(msg, secret, "***")
		}
	}
	if pw, ok := u.User.Password(); ok && pw != "" {
		msg = strings.ReplaceAll(msg, pw, "***")
	}
	return errors.New(msg)
}

// unreachable says the source cannot be reached, credentials removed.
func (s *gitSource) unreachable(err error) error {
	return &UnreachableError{Source: s.name, URL: redactURL(s.url), Err: s.scrub(err)}
}

func (s *gitSource) repoDir() string   { return filepath.Join(s.dir, "repo") }
func (s *gitSource) indexFile() string { return filepath.Join(s.dir, "index.json") }

type cachedIndex struct {
	Format int    `json:"format"`
	Index  *Index `json:"index"`
}

func (s *gitSource) Index(ctx context.Context) (*Index, error) {
	commit, err := s.head()
	if err != nil {
		// No clone yet, or one that git cannot read: clone afresh.
		if !errors.Is(err, git.ErrRepositoryNotExists) {
			zerolog.Ctx(ctx).Warn().Err(err).Str("source", s.name).Msg("catalog cache unreadable, cloning again")
		}
		if commit, err = s.clone(ctx); err != nil {
			return nil, err
		}
	}
	if idx := s.readIndex(commit); idx != nil {
		return idx, nil
	}
	// os.Root, not os.DirFS: a committed symbolic link that resolves
	// outside the clone is refused (a problem), never read.
	root, err := os.OpenRoot(s.repoDir())
	if err != nil {
		return nil, fmt.Errorf("open the clone of source %q: %w", s.name, err)
	}
	defer root.Close()
	idx := newIndex(s.name, commit, root.FS())
	if err := s.writeIndex(idx); err != nil {
		// The index is only a cache; the listing is still right.
		zerolog.Ctx(ctx).Warn().Err(err).Str("source", s.name).Msg("catalog index not cached")
	}
	return idx, nil
}

func (s *gitSource) readIndex(commit string) *Index {
	data, err := os.ReadFile(s.indexFile())
	if err != nil {
		return nil
	}
	var c cachedIndex
	if json.Unmarshal(data, &c) != nil || c.Format != indexFormat || c.Index == nil ||
		c.Index.Commit != commit || c.Index.Source != s.name {
		return nil
	}
	return c.Index
}

func (s *gitSource) writeIndex(idx *Index) error {
	data, err := json.Marshal(cachedIndex{Format: indexFormat, Index: idx})
	if err != nil {
		return err
	}
	return writeFileAtomic(s.indexFile(), data)
}

// head returns the commit the clone is at, or an error if there is no
// usable clone.
func (s *gitSource) head() (string, error) {
	r, err := git.PlainOpen(s.repoDir())
	if err != nil {
		return "", err
	}
	ref, err := r.Head()
	if err != nil {
		return "", fmt.Errorf("read HEAD: %w", err)
	}
	if _, err := r.CommitObject(ref.Hash()); err != nil {
		return "", fmt.Errorf("read commit %s: %w", ref.Hash(), err)
	}
	return ref.Hash().String(), nil
}

// clone makes a fresh shallow clone next to the cache and swaps it in only
// once complete, so that a failed clone (offline) leaves the old cache and a
// concurrent ocs never sees half a repository.
func (s *gitSource) clone(ctx context.Context) (string, error) {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return "", fmt.Errorf("source %q: %w", s.name, err)
	}
	tmp, err := os.MkdirTemp(s.dir, ".clone-*")
	if err != nil {
		return "", fmt.Errorf("source %q: %w", s.name, err)
	}
	defer os.RemoveAll(tmp)
	opts := &git.CloneOptions{URL: s.url, Depth: 1, SingleBranch: true, Tags: git.NoTags}
	if s.branch != "" {
		opts.ReferenceName = plumbing.NewBranchReferenceName(s.branch)
	}
	zerolog.Ctx(ctx).Debug().Str("source", s.name).Str("url", redactURL(s.url)).Msg("cloning template source")
	r, err := git.PlainCloneContext(ctx, tmp, false, opts)
	if err != nil {
		if unsafeTree(err) {
			// go-git refuses the checkout; "unreachable: directory not
			// found" would send the user looking at the network.
			return "", fmt.Errorf("source %q: the repository holds a path ocs will not check out (a tree entry named \"..\" or \".git\", or one outside the repository), so it is refused: %w", s.name, s.scrub(err))
		}
		return "", s.unreachable(err)
	}
	ref, err := r.Head()
	if err != nil {
		return "", fmt.Errorf("source %q: cloned repository has no HEAD: %w", s.name, err)
	}
	old := filepath.Join(s.dir, ".old-repo")
	_ = os.RemoveAll(old)
	if err := os.Rename(s.repoDir(), old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("source %q: %w", s.name, err)
	}
	if err := os.Rename(tmp, s.repoDir()); err != nil {
		return "", fmt.Errorf("source %q: %w", s.name, err)
	}
	_ = os.RemoveAll(old)
	return ref.Hash().String(), nil
}

// Update fetches the branch and hard-resets the clone to it, which also
// discards local edits; a clone that cannot be updated in place is replaced
// by a fresh one. When the origin is unreachable the old cache stays.
func (s *gitSource) Update(ctx context.Context) (UpdateResult, error) {
	res := UpdateResult{Source: s.name}
	from, err := s.head()
	if err != nil {
		to, err := s.clone(ctx)
		if err != nil {
			return res, err
		}
		res.Action, res.To = "cloned", to
		return res, nil
	}
	res.From = from
	to, err := s.fetchReset(ctx)
	if err != nil {
		// Whether the origin is down or the clone is broken, a fresh clone
		// tells: it replaces the cache only if it succeeds.
		zerolog.Ctx(ctx).Warn().Err(s.scrub(err)).Str("source", s.name).Msg("catalog cache cannot be updated in place, cloning again")
		if to, err = s.clone(ctx); err != nil {
			return res, err
		}
		res.Action, res.To = "recloned", to
		return res, nil
	}
	res.To, res.Action = to, "updated"
	if to == from {
		res.Action = "unchanged"
	}
	return res, nil
}

func (s *gitSource) fetchReset(ctx context.Context) (string, error) {
	r, err := git.PlainOpen(s.repoDir())
	if err != nil {
		return "", err
	}
	branch := s.branch
	if branch == "" {
		head, err := r.Head()
		if err != nil {
			return "", fmt.Errorf("read HEAD: %w", err)
		}
		if !head.Name().IsBranch() {
			return "", fmt.Errorf("HEAD is not on a branch (%s)", head.Name())
		}
		branch = head.Name().Short()
	}
	remoteRef := plumbing.NewRemoteReferenceName("origin", branch)
	spec := config.RefSpec("+" + plumbing.NewBranchReferenceName(branch).String() + ":" + remoteRef.String())
	err = r.FetchContext(ctx, &git.FetchOptions{RemoteName: "origin", Depth: 1, Force: true, Tags: git.NoTags,
		RefSpecs: []config.RefSpec{spec}})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return "", fmt.Errorf("fetch: %w", err)
	}
	ref, err := r.Reference(remoteRef, true)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", remoteRef, err)
	}
	wt, err := r.Worktree()
	if err != nil {
		return "", err
	}
	if err := wt.Reset(&git.ResetOptions{Commit: ref.Hash(), Mode: git.HardReset}); err != nil {
		return "", fmt.Errorf("reset to %s: %w", ref.Hash(), err)
	}
	if err := wt.Clean(&git.CleanOptions{Dir: true}); err != nil {
		return "", fmt.Errorf("clean: %w", err)
	}
	// A shallow fetch into a branch checked out by name would leave HEAD on
	// the old commit; the hard reset moved the branch, so read it back.
	head, err := r.Head()
	if err != nil {
		return "", fmt.Errorf("read HEAD: %w", err)
	}
	return head.Hash().String(), nil
}

func (s *gitSource) TemplateDir(ctx context.Context, t *Template) (string, error) {
	return filepath.Join(s.repoDir(), filepath.FromSlash(t.Dir)), nil
}

// Confine checks that rel (slash-separated, relative to the clone) resolves
// inside the clone, following symbolic links as reading it would.
func (s *gitSource) Confine(rel string) error {
	root, err := os.OpenRoot(s.repoDir())
	if err != nil {
		return err
	}
	defer root.Close()
	f, err := root.Open(filepath.FromSlash(rel))
	if err != nil {
		return err
	}
	return f.Close()
}

// unsafeTree reports whether a clone failed on a tree entry that go-git
// will not check out ("..", ".git", a path that leaves the worktree).
func unsafeTree(err error) bool {
	return errors.Is(err, object.ErrDirectoryNotFound) || strings.Contains(err.Error(), "invalid path")
}
