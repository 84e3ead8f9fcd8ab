package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ocs/kernel/vcp"
)

// completions runs ocs's hidden completion verb as a shell would and
// returns the offered words (the last line is cobra's directive).
func completions(t *testing.T, args ...string) []string {
	t.Helper()
	code, out, errs := runOCS(t, append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %v: exit %d: %s", args, code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], ":") {
		t.Fatalf("__complete %v: no directive line in %q", args, out)
	}
	return lines[:len(lines)-1]
}

func TestCompletion(t *testing.T) {
	work := t.TempDir()
	t.Setenv("OCS_CONFIG_DIR", filepath.Join(work, "config"))
	t.Setenv("OCS_CACHE_DIR", filepath.Join(work, "cache"))
	if err := os.MkdirAll(filepath.Join(work, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "config", "catalog.yaml"), []byte("sources: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"builds/hello-1.ipynb", "builds/notes.txt", "mine.ipynb"} {
		p := filepath.Join(work, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(work)

	state := filepath.Join(work, "state")
	m, err := vcp.NewManager(state)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, g := range []string{"alpha", "beta"} {
		if _, err := m.CreateGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = m.RemoveGroup(context.Background(), g) })
	}

	tests := []struct {
		name      string
		args      []string
		want, not []string
	}{
		{"templates", []string{"run", ""}, []string{"hello", "101-vc-nodes", "builtin:hello", "moodle/990-delete", "mine.ipynb", "builds/"}, []string{"builds/notes.txt"}},
		{"template prefix", []string{"run", "mo"}, []string{"moodle", "moodle/010-build"}, []string{"hello"}},
		{"records for --resume", []string{"run", "--resume", ""}, []string{"builds/hello-1.ipynb"}, []string{"hello", "builds/notes.txt"}},
		{"records for status", []string{"status", ""}, []string{"builds/hello-1.ipynb"}, nil},
		{"groups", []string{"vcp", "rm", "--state-dir", state, ""}, []string{"alpha", "beta"}, nil},
		{"group prefix", []string{"vcp", "nodes", "--state-dir", state, "b"}, []string{"beta"}, []string{"alpha"}},
		{"log format values", []string{"--log-format", ""}, []string{"auto", "console", "json"}, nil},
		{"log level values", []string{"run", "--log-level", ""}, []string{"debug", "info", "warn", "error"}, nil},
		{"vcp values", []string{"run", "--vcp", ""}, []string{"ocs", "native"}, nil},
		{"provider values", []string{"run", "--provider", ""}, []string{"local", "aws=local"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := completions(t, tc.args...)
			have := map[string]bool{}
			for _, g := range got {
				word, _, _ := strings.Cut(g, "\t")
				have[word] = true
			}
			for _, w := range tc.want {
				if !have[w] {
					t.Errorf("completions %q lack %q", got, w)
				}
			}
			for _, w := range tc.not {
				if have[w] {
					t.Errorf("completions %q hold %q", got, w)
				}
			}
		})
	}
}

// --kernel offers the kernelspecs Jupyter would find.
func TestCompletionOfKernels(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "kernels", "mykernel")
	if err := os.MkdirAll(spec, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(spec, "kernel.json"), []byte(`{"argv": ["/bin/false", "{connection_file}"], "display_name": "Mine", "language": "python"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("JUPYTER_PATH", dir)
	found := false
	for _, w := range completions(t, "run", "--kernel", "") {
		found = found || w == "mykernel"
	}
	if !found {
		t.Error("--kernel completion does not offer the kernelspec on JUPYTER_PATH")
	}
}

func TestManPages(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "man1")
	if code, _, errs := runOCS(t, "man", dir); code != 0 {
		t.Fatalf("ocs man: exit %d: %s", code, errs)
	}
	for _, page := range []string{"ocs.1", "ocs-run.1", "ocs-vcp-rm.1", "ocs-catalog-list.1"} {
		data, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		if !strings.Contains(string(data), ".TH \"OCS\" \"1\"") || !strings.Contains(string(data), ".SH NAME") {
			t.Errorf("%s is not a man page:\n%.300s", page, data)
		}
	}
	run, _ := os.ReadFile(filepath.Join(dir, "ocs-run.1"))
	for _, want := range []string{`\fB\-\-cell\-timeout\fP DURATION`, `\fB\-p\fP, \fB\-\-param\fP name=value`, ".SH EXAMPLE", `\fBocs\fP(1)`} {
		if !strings.Contains(string(run), want) {
			t.Errorf("ocs-run.1 lacks %s", want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "ocs-kernel-worker.1")); err == nil {
		t.Error("a page for the hidden kernel-worker verb")
	}
}
