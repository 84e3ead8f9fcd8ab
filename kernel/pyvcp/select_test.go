package pyvcp

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"ocs/kernel/kerneltest"
	"ocs/kernel/vcp"
)

func TestSelect(t *testing.T) {
	py := kerneltest.NeedTool(t, "/usr/bin/python3")
	ctx := context.Background()
	ours := t.TempDir() // stands for ocs's installed modules
	if err := os.MkdirAll(filepath.Join(ours, "vcpsdk"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := fs.ReadFile(PythonFiles(), "vcpsdk/__init__.py")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ours, "vcpsdk", "__init__.py"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	native := t.TempDir() // an environment's own SDK
	if err := os.MkdirAll(filepath.Join(native, "vcpsdk"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(native, "vcpsdk", "__init__.py"), []byte("VERSION = '25.04'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := func(path string) []string { return []string{"PATH=/usr/bin:/bin", "PYTHONPATH=" + path} }
	for _, tc := range []struct {
		name, choice, path, served, err string
	}{
		{"default without an SDK", "", "", ServeOcs, ""},
		{"default with ocs's own on the path", "", ours, ServeOcs, ""},
		{"default with the environment's", "", native, ServeNative, ""},
		{"ocs over the environment's", "ocs", native, ServeOcs, ""},
		{"native with the environment's", "native", native, ServeNative, ""},
		{"native without one", "native", "", "", "cannot import vcpsdk"},
		{"native with only ocs's", "native", ours, "", "cannot import vcpsdk"},
		{"bad choice", "cloud", "", "", `want "ocs" or "native"`},
	} {
		sel, shellEnv, err := selectIn(ctx, py, tc.choice, env(tc.path), ours)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %+v, %v; want error %q", tc.name, sel, err, tc.err)
			}
			continue
		}
		if err != nil || sel.Served != tc.served {
			t.Errorf("%s: %+v, %v; want %s", tc.name, sel, err, tc.served)
			continue
		}
		if (sel.Served == ServeOcs) != (sel.PythonPath == ours) || (sel.Served == ServeNative) != strings.HasPrefix(sel.Native, native) {
			t.Errorf("%s: %+v", tc.name, sel)
		}
		// ocs's modules come first for the cells' commands as in the kernel.
		if want := env(tc.path)[1]; sel.Served == ServeOcs {
			want = "PYTHONPATH=" + ours
			if tc.path != "" {
				want += ":" + tc.path
			}
			if !slices.Contains(shellEnv, want) {
				t.Errorf("%s: shell environment %v lacks %s", tc.name, shellEnv, want)
			}
		} else if !slices.Equal(shellEnv, env(tc.path)) {
			t.Errorf("%s: shell environment %v, want it unchanged", tc.name, shellEnv)
		}
	}
}

// selectIn runs a Selector's set-up code in a plain interpreter, as a
// kernel would run it, and gives the selector the answer. The code then
// also prints the Python's sys.path, which must start with ocs's modules
// when ocs serves.
func selectIn(ctx context.Context, py, choice string, env []string, ours string) (Selection, []string, error) {
	s, err := NewSelector(choice, ours)
	if err != nil {
		return Selection{}, nil, err
	}
	cmd := exec.CommandContext(ctx, py, "-c", s.Code()+"import sys, os\nprint('path', sys.path[0], os.environ.get('PYTHONPATH'))\n")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return Selection{}, nil, fmt.Errorf("%s: %w", out, err)
	}
	shellEnv, err := s.Done(string(out), env)
	if err != nil {
		return s.Selection(), nil, err
	}
	sel := s.Selection()
	if sel.Served == ServeOcs && !strings.Contains(string(out), "path "+ours+" "+ours) {
		return sel, nil, fmt.Errorf("ocs serves but the Python's path is not ocs's first: %s", out)
	}
	if sel.Served == ServeNative && strings.Contains(string(out), "path "+ours) {
		return sel, nil, fmt.Errorf("native serves but ocs's modules are on the path: %s", out)
	}
	// A restart is served as the first process was.
	if !strings.Contains(s.Code(), fmt.Sprintf("_ocs_select_vcp(%q, ", sel.Served)) {
		return sel, nil, fmt.Errorf("the selector's code for a restart does not pin %s:\n%s", sel.Served, s.Code())
	}
	return sel, shellEnv, nil
}

// The embedded modules are packages (an __init__.py each), never caches.
func TestPythonFilesEmbedded(t *testing.T) {
	var got []string
	err := fs.WalkDir(PythonFiles(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			got = append(got, p)
		}
		return err
	})
	want := "common/__init__.py common/logsetting.py vcpsdk/__init__.py vcpsdk/plugins/__init__.py vcpsdk/plugins/mdx_ext.py vcpsdk/vcpsdk.py"
	if err != nil || strings.Join(got, " ") != want {
		t.Errorf("embedded files = %v, %v; want %s", got, err, want)
	}
}

func TestSelectionEnv(t *testing.T) {
	env := []string{"HOME=/h", "PYTHONPATH=/theirs"}
	got := Selection{Served: ServeOcs, PythonPath: "/ours"}.Env(env)
	if strings.Join(got, " ") != "HOME=/h PYTHONPATH=/ours:/theirs" {
		t.Errorf("ocs: %v", got)
	}
	if got := (Selection{Served: ServeNative}).Env(env); strings.Join(got, " ") != strings.Join(env, " ") {
		t.Errorf("native: %v", got)
	}
	if got := (Selection{Served: ServeOcs, PythonPath: "/ours"}).Env([]string{"A=1"}); strings.Join(got, " ") != "A=1 PYTHONPATH=/ours" {
		t.Errorf("no PYTHONPATH before: %v", got)
	}
}

func TestAnnounce(t *testing.T) {
	_, j := newTestService(t, nil)
	if err := Announce(Selection{Served: ServeNative, Native: "/env/vcpsdk/__init__.py"}, vcp.ProviderMap{"aws": "local"}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(j.ops, " ") != "vcp.sdk" || j.args[0] != `{"providers":"aws=local","served":"native"}` {
		t.Errorf("journal = %v %v", j.ops, j.args)
	}
}
