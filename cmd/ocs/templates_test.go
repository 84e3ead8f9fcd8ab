package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ocs/kernel/kerneltest"
	"ocs/kernel/vcp"
)

// useCatalog points the catalog at a configuration with no sources, so that
// only the built-in templates are seen and nothing is fetched.
func useCatalog(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("OCS_CONFIG_DIR", dir)
	t.Setenv("OCS_CACHE_DIR", filepath.Join(dir, "cache"))
	if err := os.WriteFile(filepath.Join(dir, "catalog.yaml"), []byte("sources: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// assertNothingLeft checks that the state holds no unit group and that no
// node process of the state directory runs.
func assertNothingLeft(t *testing.T, state string) {
	t.Helper()
	m, err := vcp.NewManager(state)
	if err != nil {
		t.Fatal(err)
	}
	if names, _ := m.Store.GroupNames(); len(names) > 0 {
		t.Errorf("unit groups left: %v", names)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(data), vcp.NodeSubcommand) && strings.Contains(string(data), state) {
			t.Errorf("node process left: %s %q", p, strings.ReplaceAll(string(data), "\x00", " "))
		}
	}
}

func TestBuiltinTemplatesValidate(t *testing.T) {
	files, _ := filepath.Glob("../../templates/*/*.ipynb")
	if len(files) < 6 {
		t.Fatalf("found %d template notebooks", len(files))
	}
	for _, f := range files {
		if code, out, errs := runOCS(t, "validate", f); code != 0 {
			t.Errorf("validate %s: %d %s %s", f, code, out, errs)
		}
		if code, out, errs := runOCS(t, "check", f); code != 0 {
			t.Errorf("check %s: %d %s %s", f, code, out, errs)
		}
	}
	kerneltest.RequireValid(t, files...)
}

func TestTemplate101(t *testing.T) {
	kerneltest.NeedTool(t, "ssh")
	useCatalog(t)
	state := useStateDir(t)
	rec := filepath.Join(t.TempDir(), "101.ipynb")
	code, out, errs := runOCS(t, "run", "101-vc-nodes", "-q", "-o", rec)
	if code != 0 {
		t.Fatalf("ocs run 101-vc-nodes: exit %d\n%s\n%s", code, out, errs)
	}
	kerneltest.RequireValid(t, rec)
	data, _ := os.ReadFile(rec)
	for _, want := range []string{`"catalog": "builtin"`, `"template": "101-vc-nodes"`, `"commit": "content-`, "Connection refused", "and all its nodes are deleted"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("record lacks %q", want)
		}
	}
	assertNothingLeft(t, state)
}

func TestTemplateMoodleLocal(t *testing.T) {
	kerneltest.NeedTool(t, "ssh")
	kerneltest.NeedTool(t, "ansible")
	useCatalog(t)
	state := useStateDir(t)
	t.Setenv("moodle_admin_password", "adm-Secret-4711")
	t.Setenv("moodle_db_password", "db-Secret-0815")

	code, out, _ := runOCS(t, "run", "moodle", "--help-params")
	for _, p := range []string{"ugroup_name", "provider", "flavor", "node_address", "moodle_image", "db_image", "site_url"} {
		if code != 0 || !strings.Contains(out, p) {
			t.Errorf("--help-params: exit %d, lacks %s:\n%s", code, p, out)
		}
	}

	dir := t.TempDir()
	rec := filepath.Join(dir, "build.ipynb")
	code, out, errs := runOCS(t, "run", "moodle", "-q", "-o", rec, "--secret", "moodle_admin_password", "--secret", "moodle_db_password")
	if code != 1 {
		t.Fatalf("ocs run moodle on local: exit %d, want 1 (the container step fails)\n%s\n%s", code, out, errs)
	}
	data, _ := os.ReadFile(rec)
	text := string(data)
	if !strings.Contains(text, "container engine") || !strings.Contains(text, "use a node") && !strings.Contains(text, "use a provider") {
		t.Errorf("record lacks the container engine message")
	}
	if strings.Contains(text, "adm-Secret-4711") || strings.Contains(text, "db-Secret-0815") {
		t.Errorf("a secret is in the record")
	}
	if !strings.Contains(text, "SUCCESS") {
		t.Errorf("record lacks a successful ansible ping of the node")
	}
	code, out, _ = runOCS(t, "status", rec)
	if !strings.Contains(out, "Containers") || !strings.Contains(out, "failed") || !strings.Contains(out, "pending") {
		t.Errorf("status: %d\n%s", code, out)
	}
	// Everything before the container step ran for real: the files are on
	// the node.
	m, _ := vcp.NewManager(state)
	nodes, err := m.GroupNodes(t.Context(), "moodle")
	if err != nil || len(nodes) != 1 {
		t.Fatalf("nodes after the build: %v %v", nodes, err)
	}
	home := filepath.Join(state, "ugroups", "moodle", "nodes", nodes[0].ID, "home", "moodle")
	env, err := os.ReadFile(filepath.Join(home, ".env"))
	if err != nil || !strings.Contains(string(env), "DB_PASSWORD=db-Secret-0815") {
		t.Errorf("~/moodle/.env on the node: %v %q", err, env)
	}
	if fi, err := os.Stat(filepath.Join(home, ".env")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf(".env mode: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(home, "compose.yml")); err != nil {
		t.Errorf("compose.yml on the node: %v", err)
	}

	code, out, errs = runOCS(t, "run", "moodle/990", "-q", "-o", filepath.Join(dir, "delete.ipynb"))
	if code != 0 {
		t.Fatalf("ocs run moodle/990: exit %d\n%s\n%s", code, out, errs)
	}
	assertNothingLeft(t, state)
}
