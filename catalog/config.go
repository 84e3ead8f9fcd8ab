package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// DefaultSourceName and DefaultSourceURL describe the public template
// repository that a fresh install lists.
const (
	DefaultSourceName = "ocs-templates"
	DefaultSourceURL  = "https://github.com/nii-gakunin-cloud/ocs-templates"
)

// BuiltinSourceName names the templates embedded in the binary. It is always
// present and cannot be configured.
const BuiltinSourceName = "builtin"

// ErrConfig marks a configuration file ocs cannot use.
var ErrConfig = errors.New("invalid catalog configuration")

// Config is the catalog configuration, read from catalog.yaml:
//
//	sources:
//	  - name: ocs-templates
//	    git: https://github.com/nii-gakunin-cloud/ocs-templates
//	  - name: mine
//	    dir: /home/me/templates
//
// A missing file means the default configuration (DefaultConfig).
type Config struct {
	Sources []SourceConfig `yaml:"sources" json:"sources"`
}

// SourceConfig is one configured source: either a git repository (Git, with
// an optional Branch; its default branch otherwise) or a local directory
// (Dir).
type SourceConfig struct {
	Name   string `yaml:"name" json:"name"`
	Git    string `yaml:"git,omitempty" json:"git,omitempty"`
	Branch string `yaml:"branch,omitempty" json:"branch,omitempty"`
	Dir    string `yaml:"dir,omitempty" json:"dir,omitempty"`
}

// Kind says what the source is: "git" or "dir".
func (s SourceConfig) Kind() string {
	if s.Git != "" {
		return "git"
	}
	return "dir"
}

// Location is the URL or path of the source.
func (s SourceConfig) Location() string {
	if s.Git != "" {
		return s.Git
	}
	return s.Dir
}

// Shown is Location with a URL's credentials hidden: what messages and
// listings print (the configuration file keeps the full URL).
func (s SourceConfig) Shown() string { return redactURL(s.Location()) }

// DefaultConfig is the configuration of a fresh install.
func DefaultConfig() *Config {
	return &Config{Sources: []SourceConfig{{Name: DefaultSourceName, Git: DefaultSourceURL}}}
}

// Regular expressions are compiled on first use, not when the package
// initialises: every ocs process (each `ocs vcp` line of a cell too) would
// pay for them at start.
var sourceName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`) })

// ValidateSourceName checks a name usable in SOURCE:NAME references.
func ValidateSourceName(name string) error {
	if !sourceName().MatchString(name) {
		return fmt.Errorf("source name %q: use letters, digits, '.', '_' and '-' (at most 64), starting with a letter or digit", name)
	}
	if name == BuiltinSourceName {
		return fmt.Errorf("source name %q is reserved for the built-in templates", name)
	}
	return nil
}

// ParseConfig reads a configuration. Unknown keys are errors, so that a
// misspelt key is not silently ignored.
func ParseConfig(data []byte) (*Config, error) {
	cfg := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %s", ErrConfig, yamlProblem(err))
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Validate checks every source: a valid, unique name and exactly one of git
// or dir.
func (c *Config) Validate() error {
	seen := map[string]bool{}
	for i, s := range c.Sources {
		if err := ValidateSourceName(s.Name); err != nil {
			return fmt.Errorf("%w: sources[%d]: %w", ErrConfig, i, err)
		}
		if seen[s.Name] {
			return fmt.Errorf("%w: source %q is configured twice", ErrConfig, s.Name)
		}
		seen[s.Name] = true
		switch {
		case s.Git == "" && s.Dir == "":
			return fmt.Errorf("%w: source %q needs git (a repository URL or path) or dir (a directory)", ErrConfig, s.Name)
		case s.Git != "" && s.Dir != "":
			return fmt.Errorf("%w: source %q has both git and dir; keep one", ErrConfig, s.Name)
		case s.Dir != "" && s.Branch != "":
			return fmt.Errorf("%w: source %q: branch applies only to git sources", ErrConfig, s.Name)
		case strings.ContainsAny(s.Location(), "\x00\n\r"):
			return fmt.Errorf("%w: source %q: location contains a control character", ErrConfig, s.Name)
		}
	}
	return nil
}

// Marshal returns the configuration as catalog.yaml holds it.
func (c *Config) Marshal() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# ocs catalog sources; see `ocs help catalog` and docs/catalog.md.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("encode catalog configuration: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode catalog configuration: %w", err)
	}
	return b.Bytes(), nil
}

// LoadConfig reads the configuration file at path; a missing file gives
// DefaultConfig. Relative dir paths are taken relative to the file's folder.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultConfig(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read catalog configuration: %w", err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i, s := range cfg.Sources {
		if s.Dir != "" && !filepath.IsAbs(s.Dir) {
			cfg.Sources[i].Dir = filepath.Join(filepath.Dir(path), s.Dir)
		}
	}
	return cfg, nil
}

// SaveConfig writes cfg to path atomically, creating its folder.
func SaveConfig(path string, cfg *Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	data, err := cfg.Marshal()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("save catalog configuration: %w", err)
	}
	if err := writeFileAtomic(path, data); err != nil {
		return fmt.Errorf("save catalog configuration: %w", err)
	}
	return nil
}

// Add appends a source; its name must be new.
func (c *Config) Add(s SourceConfig) error {
	for _, have := range c.Sources {
		if have.Name == s.Name {
			return fmt.Errorf("source %q already exists (at %s)", s.Name, have.Shown())
		}
	}
	c.Sources = append(c.Sources, s)
	return c.Validate()
}

// ErrNoSource is returned for a source name that is not configured.
var ErrNoSource = errors.New("no such source")

// Remove drops the named source.
func (c *Config) Remove(name string) error {
	for i, s := range c.Sources {
		if s.Name == name {
			c.Sources = append(c.Sources[:i], c.Sources[i+1:]...)
			return nil
		}
	}
	if name == BuiltinSourceName {
		return fmt.Errorf("source %q is built into ocs and cannot be removed", name)
	}
	return fmt.Errorf("source %q: %w", name, ErrNoSource)
}

// NewSourceConfig builds the configuration of a source from what a user
// typed: a URL (scheme://... or user@host:path) is a git repository; a path
// is a directory of templates, unless it is a bare git repository or git is
// asked for. Paths become absolute.
func NewSourceConfig(name, location string, forceGit bool) (SourceConfig, error) {
	if err := ValidateSourceName(name); err != nil {
		return SourceConfig{}, err
	}
	if location == "" {
		return SourceConfig{}, fmt.Errorf("source %q: empty location", name)
	}
	if isURL(location) {
		return SourceConfig{Name: name, Git: location}, nil
	}
	abs, err := filepath.Abs(location)
	if err != nil {
		return SourceConfig{}, fmt.Errorf("source %q: %w", name, err)
	}
	info, err := os.Stat(abs)
	if err != nil {
		return SourceConfig{}, fmt.Errorf("source %q: %w", name, err)
	}
	if !info.IsDir() {
		return SourceConfig{}, fmt.Errorf("source %q: %s is not a directory", name, abs)
	}
	if forceGit || isBareRepository(abs) {
		return SourceConfig{Name: name, Git: abs}, nil
	}
	return SourceConfig{Name: name, Dir: abs}, nil
}

var scpLike = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:`) })

func isURL(s string) bool {
	return strings.Contains(s, "://") || scpLike().MatchString(s)
}

func isBareRepository(dir string) bool {
	for _, entry := range []string{"HEAD", "objects", "refs"} {
		if _, err := os.Stat(filepath.Join(dir, entry)); err != nil {
			return false
		}
	}
	return true
}

// writeFileAtomic replaces path with data, so that a reader never sees half
// a file and a crash never leaves one.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails harmlessly after the rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// yamlProblem says what yaml.v3 found on one line, without its Go type
// names ("field url not found in type catalog.SourceConfig").
func yamlProblem(err error) string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return strings.TrimPrefix(err.Error(), "yaml: ")
	}
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		if cut := strings.Index(m, " in type "); cut >= 0 {
			m = m[:cut]
		}
		msgs[i] = m
	}
	return strings.Join(msgs, "; ")
}
