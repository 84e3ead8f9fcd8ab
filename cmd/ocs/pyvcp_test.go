package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"ocs/kernel/kerneltest"
	"ocs/kernel/vcp"
)

// pyVCPEnv makes what the Python VCP tests share: the programs they need, a
// HOME of the test's own with the user's SSH key in ~/.ssh (made by
// ssh-keygen), a fresh VCP state directory, and the provider mapping of the
// environment reset when the test ends (run --provider sets it).
func pyVCPEnv(t *testing.T) (home, state string) {
	t.Helper()
	for _, tool := range []string{"ssh", "ssh-keygen", "ssh-keyscan", "/usr/bin/python3"} {
		kerneltest.NeedTool(t, tool)
	}
	if _, err := os.Stat("/usr/share/jupyter/kernels/python3/kernel.json"); err != nil && os.Getenv("CI") == "true" {
		t.Fatalf("Debian's python3 kernelspec is required in CI: %v", err)
	} else if err != nil {
		t.Skipf("no python3 kernelspec: %v", err)
	}
	t.Setenv(vcp.EnvProviderMap, "")
	// The kernels' bridge sockets and connection files go in TMPDIR: none
	// may be left when the test ends.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Cleanup(func() {
		for _, pat := range []string{"ocs-bridge-*", "ocs-kernel-*"} {
			if left, _ := filepath.Glob(filepath.Join(tmp, pat)); len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
		}
	})
	home = t.TempDir()
	t.Setenv("HOME", home)
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	key := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "user@test", "-f", filepath.Join(home, ".ssh", "id_ed25519"))
	if out, err := key.CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	// Cleanups run last first: the groups are removed, then no node
	// process of the state may be left.
	t.Cleanup(func() { noNodeProcesses(t, state) })
	state = useStateDir(t)
	return home, state
}

// testAddr is a loopback address of this test process's own (the last
// byte given): nodes are claimed host-wide, and other test processes may
// run the same tests at the same time.
func testAddr(last int) string {
	return fmt.Sprintf("127.43.%d.%d", os.Getpid()%250+1, last)
}

// noNodeProcesses fails the test when a node process of state is alive.
func noNodeProcesses(t *testing.T, state string) {
	t.Helper()
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if bytes.Contains(cmd, []byte("\x00--dir\x00"+state)) {
			t.Errorf("node process %d of %s is still running", pid, state)
		}
	}
}

// copyTree copies the test template folder src into a fresh folder: the
// notebooks write group_vars/, inventory.yml and ansible.cfg beside them.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// pyRecordText is every output text of a record, in cell order: streams,
// the text and HTML of results and displays, errors.
func pyRecordText(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nb struct {
		Cells []struct {
			Outputs []map[string]any `json:"outputs"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(data, &nb); err != nil {
		t.Fatalf("record %s: %v", path, err)
	}
	text := func(v any) string {
		switch v := v.(type) {
		case string:
			return v
		case []any:
			var b strings.Builder
			for _, s := range v {
				b.WriteString(fmt.Sprint(s))
			}
			return b.String()
		}
		return ""
	}
	var b strings.Builder
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			b.WriteString(text(o["text"]))
			if d, ok := o["data"].(map[string]any); ok {
				b.WriteString(text(d["text/plain"]) + "\n" + text(d["text/html"]) + "\n")
			}
			if o["output_type"] == "error" {
				b.WriteString(fmt.Sprintf("%v: %v\n%s\n", o["ename"], o["evalue"], text(o["traceback"])))
			}
		}
	}
	return b.String()
}

func lsJSON(t *testing.T) []vcp.GroupView {
	t.Helper()
	code, out, errs := runOCS(t, "vcp", "ls", "--json")
	if code != 0 {
		t.Fatalf("vcp ls: exit %d: %s", code, errs)
	}
	var gs []vcp.GroupView
	if err := json.Unmarshal([]byte(out), &gs); err != nil {
		t.Fatalf("vcp ls --json: %v\n%s", err, out)
	}
	return gs
}

// TestPythonVCNodeTutorial runs a VC node tutorial in the shape of OCS's
// (aws mapped to local): the user's key on the nodes, ssh-keyscan into
// ~/.ssh/known_hosts, ssh with the user's key, scale out and in, power off
// and on, cleanup; nothing is left behind.
func TestPythonVCNodeTutorial(t *testing.T) {
	home, _ := pyVCPEnv(t)
	dir := copyTree(t, "testdata/pytemplates")
	record := filepath.Join(t.TempDir(), "tutorial.ipynb")
	addr := testAddr(10)
	code, _, errs := runOCS(t, "run", filepath.Join(dir, "vc-node-tutorial.ipynb"), "-o", record, "--provider", "aws=local", "-q", "--workdir", t.TempDir(),
		"-p", "node_address="+addr)
	text := pyRecordText(t, record)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, errs, text)
	}
	for _, want := range []string{"INFO - BOOTING ... 0 sec", "vc_controller: 25.04.0+ocs", "instance_type: m4.large", "reached " + addr, "back on", "aws->local"} {
		if !strings.Contains(text, want) {
			t.Errorf("record lacks %q", want)
		}
	}
	kh, err := os.ReadFile(filepath.Join(home, ".ssh", "known_hosts"))
	if err != nil || strings.Count(string(kh), "\n") < 2 {
		t.Errorf("known_hosts after ssh-keyscan: %q, %v", kh, err)
	}
	if gs := lsJSON(t); len(gs) != 0 {
		t.Errorf("unit groups left: %+v", gs)
	}
}

// TestPythonTemplateFolder runs a template folder of OCS's shape: a
// parameters-and-node notebook that writes group_vars/, inventory.yml and
// ansible.cfg and reaches the node with the system's Ansible (ping, become),
// then the delete notebook.
func TestPythonTemplateFolder(t *testing.T) {
	pyVCPEnv(t)
	kerneltest.NeedTool(t, "ansible")
	dir := copyTree(t, "testdata/pytemplates/vc-ansible")
	work := filepath.Join(t.TempDir(), "work")
	record := filepath.Join(t.TempDir(), "010.ipynb")
	addr := testAddr(20)
	code, _, errs := runOCS(t, "run", filepath.Join(dir, "010-params-and-node.ipynb"), "-o", record, "--provider", "local", "-q", "--workdir", work,
		"-p", "vc_node_address="+addr)
	text := pyRecordText(t, record)
	if code != 0 {
		t.Fatalf("010: exit %d\n%s\n%s", code, errs, text)
	}
	for _, want := range []string{addr + " | SUCCESS", `"ping": "pong"`, `image "harbor.example/vcp/base:test" not used`} {
		if !strings.Contains(text, want) {
			t.Errorf("010's record lacks %q", want)
		}
	}
	for _, f := range []string{"group_vars/pyans/00-params.yml", "inventory.yml", "ansible.cfg"} {
		if _, err := os.Stat(filepath.Join(work, f)); err != nil {
			t.Errorf("010 wrote no %s in its work folder: %v", f, err)
		}
	}
	gs := lsJSON(t)
	if len(gs) != 1 || len(gs[0].Nodes) != 1 || gs[0].Nodes[0].AskedProvider != "aws" || gs[0].Nodes[0].Provider != "local" {
		t.Fatalf("after 010: %+v", gs)
	}
	record = filepath.Join(t.TempDir(), "990.ipynb")
	if code, _, errs := runOCS(t, "run", filepath.Join(dir, "990-delete.ipynb"), "-o", record, "--provider", "local", "-q", "--workdir", work); code != 0 {
		t.Fatalf("990: exit %d\n%s\n%s", code, errs, pyRecordText(t, record))
	}
	if gs := lsJSON(t); len(gs) != 0 {
		t.Errorf("unit groups left: %+v", gs)
	}
	if _, err := os.Stat(filepath.Join(work, "group_vars", ".pyans.bak")); err != nil {
		t.Errorf("990 did not move group_vars: %v", err)
	}
}

// normalized is what two builds of the same operations share in `ocs vcp
// ls --json`: everything but ids, times, pids, ports and host keys.
func normalized(gs []vcp.GroupView) string {
	type node struct {
		UGroup, Unit, Provider, Asked, Name, Address, User, State, Live string
		No                                                              int
		Notes                                                           []string
	}
	var out []string
	for _, g := range gs {
		var ns []node
		for _, n := range g.Nodes {
			ns = append(ns, node{n.UGroup, n.Unit, n.Provider, n.AskedProvider, n.Name, n.Address, n.User, n.State, n.Live, n.No, n.Notes})
		}
		sort.Slice(ns, func(i, j int) bool { return ns[i].No < ns[j].No })
		b, _ := json.Marshal(struct {
			Name  string
			Units []string
			Nodes []node
		}{g.Name, g.Units, ns})
		out = append(out, string(b))
	}
	return strings.Join(out, "\n")
}

// TestGoAndPythonCellsSameState runs the same VCP operations from a Go cell
// and from a Python cell: ocs vcp ls --json shows the same groups.
func TestGoAndPythonCellsSameState(t *testing.T) {
	pyVCPEnv(t)
	var seen []string
	for _, nb := range []string{"same-go.ipynb", "same-py.ipynb"} {
		record := filepath.Join(t.TempDir(), nb)
		code, _, errs := runOCS(t, "run", filepath.Join("testdata/pytemplates", nb), "-o", record, "--provider", "aws=local", "-q", "--workdir", t.TempDir(),
			"-p", "first="+testAddr(30), "-p", "second="+testAddr(31))
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", nb, code, errs, pyRecordText(t, record))
		}
		seen = append(seen, normalized(lsJSON(t)))
		if code, _, errs := runOCS(t, "vcp", "rm", "--yes", "same"); code != 0 {
			t.Fatalf("vcp rm: %s", errs)
		}
	}
	if seen[0] != seen[1] || !strings.Contains(seen[0], `"Asked":"aws"`) {
		t.Errorf("Go cell state:\n%s\nPython cell state:\n%s", seen[0], seen[1])
	}
}

// resumeVCPPython makes a node, leaves a mark through a shell line, and fails
// afterwards while the file $PYRESUME_FLAG is missing.
const resumeVCPPython = `{
 "cells": [
  {"cell_type": "code", "execution_count": null, "id": "params", "metadata": {}, "outputs": [], "source": ["import os\n", "flag = os.environ['PYRESUME_FLAG']\n", "marks = os.environ['PYRESUME_MARKS']"]},
  {"cell_type": "code", "execution_count": null, "id": "nodes", "metadata": {}, "outputs": [], "source": [
   "from vcpsdk.vcpsdk import VcpSDK\n",
   "vcp = VcpSDK('token')\n",
   "ug = vcp.create_ugroup('pyresume')\n",
   "unit = ug.create_unit('web', vcp.get_spec('aws', 'small'))\n",
   "ips = unit.find_ip_addresses()\n",
   "print('booted', ips)"]},
  {"cell_type": "code", "execution_count": null, "id": "mark", "metadata": {}, "outputs": [], "source": ["!echo marked >> {marks}"]},
  {"cell_type": "code", "execution_count": null, "id": "last", "metadata": {}, "outputs": [], "source": [
   "import os\n",
   "if not os.path.exists(flag):\n", "    raise RuntimeError('asked to fail')\n",
   "print('same nodes:', ug.find_ip_addresses() == ips)"]}
 ],
 "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}, "language_info": {"name": "python"}},
 "nbformat": 4,
 "nbformat_minor": 5
}
`

// TestPythonResumeMakesNoNodeTwice fails a Python build after create_unit,
// then resumes it: the same node (id and address), the shell line not run
// again, the earlier cells' variables back.
func TestPythonResumeMakesNoNodeTwice(t *testing.T) {
	pyVCPEnv(t)
	dir := t.TempDir()
	src, record := filepath.Join(dir, "build.ipynb"), filepath.Join(dir, "rec.ipynb")
	flag, marks := filepath.Join(dir, "flag"), filepath.Join(dir, "marks")
	if err := os.WriteFile(src, []byte(resumeVCPPython), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PYRESUME_FLAG", flag)
	t.Setenv("PYRESUME_MARKS", marks)
	code, _, errs := runOCS(t, "run", src, "-o", record, "--provider", "local", "-q")
	if code != exitCellFailed || !strings.Contains(errs+pyRecordText(t, record), "asked to fail") {
		t.Fatalf("first run: exit %d\n%s\n%s", code, errs, pyRecordText(t, record))
	}
	before := lsJSON(t)
	if len(before) != 1 || len(before[0].Nodes) != 1 {
		t.Fatalf("after the failure: %+v", before)
	}
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs = runOCS(t, "run", record, "--resume", "--provider", "local", "-q")
	text := pyRecordText(t, record)
	if code != 0 || !strings.Contains(text, "same nodes: True") {
		t.Fatalf("resume: exit %d\n%s\n%s", code, errs, text)
	}
	after := lsJSON(t)
	if len(after) != 1 || len(after[0].Nodes) != 1 || after[0].Nodes[0].ID != before[0].Nodes[0].ID || after[0].Nodes[0].Address != before[0].Nodes[0].Address {
		t.Errorf("nodes before the resume %+v, after %+v", before, after)
	}
	if b, _ := os.ReadFile(marks); string(b) != "marked\n" {
		t.Errorf("marks = %q; the shell line ran again on resume", b)
	}
}
