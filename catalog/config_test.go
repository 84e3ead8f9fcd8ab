package catalog

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []SourceConfig
		err        string
	}{
		{name: "empty file", yaml: "", want: nil},
		{name: "no sources", yaml: "sources: []\n", want: []SourceConfig{}},
		{name: "both kinds", yaml: "sources:\n  - name: pub\n    git: https://example.org/t.git\n    branch: main\n  - name: mine\n    dir: /srv/t\n",
			want: []SourceConfig{{Name: "pub", Git: "https://example.org/t.git", Branch: "main"}, {Name: "mine", Dir: "/srv/t"}}},
		{name: "unknown key", yaml: "sources:\n  - name: a\n    url: x\n", err: "field url not found"},
		{name: "neither", yaml: "sources:\n  - name: a\n", err: `source "a" needs git`},
		{name: "both", yaml: "sources:\n  - {name: a, git: x, dir: y}\n", err: "has both git and dir"},
		{name: "twice", yaml: "sources:\n  - {name: a, dir: x}\n  - {name: a, dir: y}\n", err: `source "a" is configured twice`},
		{name: "reserved", yaml: "sources:\n  - {name: builtin, dir: x}\n", err: "reserved"},
		{name: "colon in name", yaml: "sources:\n  - {name: 'a:b', dir: x}\n", err: "use letters"},
		{name: "branch of dir", yaml: "sources:\n  - {name: a, dir: x, branch: b}\n", err: "branch applies only to git"},
		{name: "not yaml", yaml: "sources: [\n", err: "invalid catalog configuration"},
		{name: "wrong shape", yaml: "- a\n- b\n", err: "invalid catalog configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(tt.yaml))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrConfig) {
					t.Fatalf("err %v, want ErrConfig containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cfg.Sources, tt.want) {
				t.Fatalf("got %+v, want %+v", cfg.Sources, tt.want)
			}
		})
	}
}

func TestConfigFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "catalog.yaml")
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, DefaultConfig()) {
		t.Fatalf("missing file gave %+v, want the default", cfg)
	}
	if err := cfg.Add(SourceConfig{Name: "local", Dir: "templates"}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Add(SourceConfig{Name: "local", Dir: "other"}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second add: %v", err)
	}
	if err := cfg.Remove(DefaultSourceName); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Remove("nothing"); !errors.Is(err, ErrNoSource) {
		t.Fatalf("remove of a missing source: %v", err)
	}
	if err := SaveConfig(path, cfg); err != nil {
		t.Fatal(err)
	}
	back, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	// A relative dir is relative to the configuration file.
	want := []SourceConfig{{Name: "local", Dir: filepath.Join(dir, "sub", "templates")}}
	if !reflect.DeepEqual(back.Sources, want) {
		t.Fatalf("read back %+v, want %+v", back.Sources, want)
	}
}

func TestNewSourceConfig(t *testing.T) {
	dir := t.TempDir()
	bare := filepath.Join(dir, "t.git")
	for _, d := range []string{"objects", "refs"} {
		if err := os.MkdirAll(filepath.Join(bare, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(bare, "HEAD"), []byte("ref: refs/heads/main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		location string
		git      bool
		want     SourceConfig
		err      string
	}{
		{location: "https://example.org/t.git", want: SourceConfig{Name: "s", Git: "https://example.org/t.git"}},
		{location: "file:///srv/t.git", want: SourceConfig{Name: "s", Git: "file:///srv/t.git"}},
		{location: "git@example.org:t.git", want: SourceConfig{Name: "s", Git: "git@example.org:t.git"}},
		{location: dir, want: SourceConfig{Name: "s", Dir: dir}},
		{location: dir, git: true, want: SourceConfig{Name: "s", Git: dir}},
		{location: bare, want: SourceConfig{Name: "s", Git: bare}},
		{location: filepath.Join(dir, "missing"), err: "no such file"},
	}
	for _, tt := range tests {
		got, err := NewSourceConfig("s", tt.location, tt.git)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err %v, want %q", tt.location, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: got %+v, %v; want %+v", tt.location, got, err, tt.want)
		}
	}
}

// FuzzParseConfig checks that any input gives a valid configuration or an
// ErrConfig, never a panic, and that what is accepted survives being
// written and read again.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("sources:\n  - name: pub\n    git: https://example.org/t.git\n    branch: main\n  - name: mine\n    dir: /srv/t\n"))
	f.Add([]byte("sources: []\n"))
	f.Add([]byte("sources:\n  - {name: a, dir: x, branch: b}\n"))
	f.Add([]byte("- a\n"))
	f.Add([]byte("sources: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data)
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v is not an ErrConfig", err)
			}
			return
		}
		out, err := cfg.Marshal()
		if err != nil {
			t.Fatalf("marshal an accepted configuration: %v", err)
		}
		back, err := ParseConfig(out)
		if err != nil {
			t.Fatalf("re-read %q: %v", out, err)
		}
		if len(back.Sources) != len(cfg.Sources) {
			t.Fatalf("round trip changed %+v into %+v", cfg.Sources, back.Sources)
		}
		for i := range cfg.Sources {
			if back.Sources[i] != cfg.Sources[i] {
				t.Fatalf("round trip changed %+v into %+v", cfg.Sources[i], back.Sources[i])
			}
		}
	})
}
