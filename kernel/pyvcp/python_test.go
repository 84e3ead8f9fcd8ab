package pyvcp

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"ocs/kernel/kerneltest"
	"ocs/kernel/pybridge"
	"ocs/kernel/vcp"
)

// runPython runs a script with ocs's Python files importable and the bridge
// served, under a cell window with a recording gateway.
func runPython(t *testing.T, s *Service, script string, env ...string) (string, error) {
	t.Helper()
	py := kerneltest.NeedTool(t, "/usr/bin/python3")
	dirs, err := pybridge.InstallPython(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := pybridge.Listen(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	register(s)
	end := srv.Begin(context.Background())
	defer end()
	cmd := exec.Command(py, script)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+dirs["ocs"]+":"+dirs[PythonGroup], pybridge.EnvSocket+"="+srv.Path())
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// testKey writes an ed25519 key pair the way a user makes one.
func testKey(t *testing.T) (priv, pub string) {
	t.Helper()
	dir := t.TempDir()
	priv = filepath.Join(dir, "id_ed25519")
	if err := vcp.EnsureKey(priv, "user@test"); err != nil {
		t.Fatal(err)
	}
	return priv, priv + ".pub"
}

func TestPythonSDK(t *testing.T) {
	s, j := newTestService(t, vcp.ProviderMap{"aws": "local"})
	_, pub := testKey(t)
	out, err := runPython(t, s, "testdata/sdk_calls.py", "TEST_PUBKEY="+pub, "TEST_ADDR=127.42.91.3")
	if err != nil || !strings.Contains(out, "legacy ok") {
		t.Fatalf("python: %v\n%s", err, out)
	}
	if strings.Contains(strings.Join(j.args, " "), "not-a-real-token") {
		t.Error("the access token reached the journal")
	}
	for _, op := range []string{"vcp.create_unit", "vcp.add_nodes", "vcp.delete_nodes", "vcp.power_off_nodes", "vcp.power_on_nodes", "vcp.cleanup", "vcp.read_pubkey"} {
		if !strings.Contains(" "+strings.Join(j.ops, " ")+" ", " "+op+" ") {
			t.Errorf("op %s not journaled: %v", op, j.ops)
		}
	}
}

// TestPythonSDKPandas needs Debian's python3-pandas (installed by .ci/run).
func TestPythonSDKPandas(t *testing.T) {
	py := kerneltest.NeedTool(t, "/usr/bin/python3")
	if err := exec.Command(py, "-c", "import pandas").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3-pandas is required in CI: %v", err)
		}
		t.Skipf("pandas is not importable: %v", err)
	}
	s, _ := newTestService(t, nil)
	if out, err := runPython(t, s, "testdata/pandas_tables.py"); err != nil || !strings.Contains(out, "frames ok") {
		t.Fatalf("python: %v\n%s", err, out)
	}
}
