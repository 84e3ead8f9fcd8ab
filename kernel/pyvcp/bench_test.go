package pyvcp

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"ocs/kernel/kerneltest"
	"ocs/kernel/pybridge"
)

// BenchmarkPythonFindIPAddresses measures one find_ip_addresses() call from
// Python on a unit group of 3 local nodes: the Python SDK, the bridge, the
// gateway and the Go SDK's state read. Python times its own loop of b.N
// calls (its start-up is not counted) and the figure is reported as
// ns/call.
func BenchmarkPythonFindIPAddresses(b *testing.B) {
	s, _ := newTestService(b, nil)
	var out strings.Builder
	ug := serve(b, s, &out, map[string]any{"method": "create_ugroup", "name": "bench"})["ugroup"]
	serve(b, s, &out, map[string]any{"method": "create_unit", "ugroup": ug, "name": "u",
		"spec": map[string]any{"provider": "local", "flavor": "small", "num_nodes": 3}})
	py := kerneltest.NeedTool(b, "/usr/bin/python3")
	dirs, err := pybridge.InstallPython(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	srv, err := pybridge.Listen(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	register(s)
	end := srv.Begin(context.Background())
	defer end()
	script := fmt.Sprintf(`import time
from vcpsdk.vcpsdk import VcpSDK
ug = VcpSDK("t").get_ugroup("bench")
assert len(ug.find_ip_addresses()) == 3
t0 = time.perf_counter_ns()
for _ in range(%d):
    ug.find_ip_addresses()
print((time.perf_counter_ns() - t0) // %d)
`, b.N, b.N)
	cmd := exec.Command(py, "-c", script)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+dirs["ocs"]+":"+dirs[PythonGroup], pybridge.EnvSocket+"="+srv.Path())
	res, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("python: %v\n%s", err, res)
	}
	ns, err := strconv.ParseFloat(strings.TrimSpace(string(res)), 64)
	if err != nil {
		b.Fatalf("python printed %q", res)
	}
	b.ReportMetric(ns, "ns/call")
}
