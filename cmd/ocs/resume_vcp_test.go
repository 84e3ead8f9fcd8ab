package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"ocs/kernel/kerneltest"
	"ocs/kernel/vcp"
	"ocs/notebook"
)

// resumeTemplate creates a unit group and two nodes, leaves a mark on each
// node from three cells (a %%ssh cell, a shell line, Go), and fails in the
// last cell when the parameter fail is set.
const resumeTemplate = `{
 "cells": [
  {"cell_type": "code", "execution_count": null, "id": "params", "metadata": {"tags": ["parameters"]}, "outputs": [], "source": ["fail := false // fail in the last cell"]},
  {"cell_type": "code", "execution_count": null, "id": "nodes", "metadata": {}, "outputs": [], "source": [
   "import (\n", "\t\"fmt\"\n", "\t\"strings\"\n", "\t\"ocs/vcp\"\n", ")\n",
   "sdk := vcp.MustSDK(vcp.New(\"\"))\n",
   "ug := vcp.MustUGroup(sdk.CreateUGroup(\"resume\"))\n",
   "spec := vcp.MustSpec(sdk.GetSpec(\"local\", \"small\"))\n",
   "spec.NumNodes = 2\n",
   "unit := vcp.MustUnit(ug.CreateUnit(\"web\", spec))\n",
   "ips := vcp.MustStrings(unit.FindIPAddresses())\n",
   "fmt.Println(\"booted\", len(ips))"]},
  {"cell_type": "code", "execution_count": null, "id": "mark1", "metadata": {}, "outputs": [], "source": ["%%ssh resume/web\n", "echo step-one >> ~/marks"]},
  {"cell_type": "code", "execution_count": null, "id": "mark2", "metadata": {}, "outputs": [], "source": ["!ocs vcp ssh resume/web -- 'echo step-two >> ~/marks'"]},
  {"cell_type": "code", "execution_count": null, "id": "last", "metadata": {}, "outputs": [], "source": [
   "if fail {\n", "\tpanic(\"asked to fail\")\n", "}\n",
   "vcp.MustString(sdk.SSH(\"resume/web\", \"echo step-three >> ~/marks\"))\n",
   "now := vcp.MustStrings(unit.FindIPAddresses())\n",
   "fmt.Println(\"variables:\", len(ips), \"same nodes:\", strings.Join(now, \",\") == strings.Join(ips, \",\"))"]}
 ],
 "metadata": {"kernelspec": {"display_name": "Go (ocs)", "language": "go", "name": "ocs-go"}},
 "nbformat": 4,
 "nbformat_minor": 5
}
`

// TestResumeOnLocalNodes fails a build after it made nodes and wrote on
// them, then resumes it with the failure fixed: no node is made twice, no
// earlier command runs twice, and the earlier cells' variables are there.
func TestResumeOnLocalNodes(t *testing.T) {
	kerneltest.NeedTool(t, "ssh")
	state := useStateDir(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "build.ipynb")
	record := filepath.Join(dir, "rec.ipynb")
	if err := os.WriteFile(src, []byte(resumeTemplate), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runOCS(t, "run", src, "-o", record, "-p", "fail=true", "-q")
	if code != exitCellFailed || !strings.Contains(errs, "asked to fail") {
		t.Fatalf("first run: exit %d\n%s", code, errs)
	}
	before := groupNodes(t, state)
	if len(before) != 2 {
		t.Fatalf("first run left %d nodes, want 2", len(before))
	}

	code, _, errs = runOCS(t, "run", record, "--resume", "-p", "fail=false")
	if code != exitOK {
		t.Fatalf("resume: exit %d\n%s", code, errs)
	}
	if !strings.Contains(errs, "variables: 2 same nodes: true") {
		t.Errorf("the resumed cell did not see the earlier variables or nodes:\n%s", errs)
	}
	after := groupNodes(t, state)
	if strings.Join(after, " ") != strings.Join(before, " ") {
		t.Fatalf("nodes changed on resume:\nbefore %v\nafter  %v", before, after)
	}
	code, out, errs := runOCS(t, "vcp", "ssh", "resume/web", "--", "sort ~/marks | uniq -c | tr -s ' '")
	if code != 0 {
		t.Fatalf("read the marks: exit %d %s", code, errs)
	}
	for _, node := range []string{"resume/web/1", "resume/web/2"} {
		for _, step := range []string{"step-one", "step-two", "step-three"} {
			if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(node) + ` \|\s+1 ` + step + `$`).MatchString(out) {
				t.Errorf("%s: %s is not there exactly once:\n%s", node, step, out)
			}
		}
	}
	kerneltest.RequireValid(t, record)
	nb, err := notebook.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	runs := nb.Metadata[notebook.OCSKey].(map[string]any)["runs"].([]any)
	if len(runs) != 2 || runs[1].(map[string]any)["status"] != "completed" {
		t.Errorf("run history %v", runs)
	}
}

// groupNodes lists the nodes of the resume group as "id@address:port".
func groupNodes(t *testing.T, state string) []string {
	t.Helper()
	m, err := vcp.NewManager(state)
	if err != nil {
		t.Fatal(err)
	}
	views, err := m.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var nodes []string
	for _, g := range views {
		for _, n := range g.Nodes {
			nodes = append(nodes, fmt.Sprintf("%s@%s:%d", n.ID, n.Address, n.Port))
		}
	}
	return nodes
}
