package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"ocs/kernel/kerneltest"
	"ocs/notebook"
	"ocs/runner"
)

// createUnitNotebook makes a unit group and one unit of many local nodes
// in one cell, so that the unit takes long enough to interrupt.
const createUnitNotebook = `{
 "cells": [
  {"cell_type": "code", "execution_count": null, "id": "nodes", "metadata": {}, "outputs": [], "source": [
   "import \"ocs/vcp\"\n",
   "sdk := vcp.MustSDK(vcp.New(\"\"))\n",
   "ug := vcp.MustUGroup(sdk.CreateUGroup(\"intr\"))\n",
   "spec := vcp.MustSpec(sdk.GetSpec(\"local\", \"small\"))\n",
   "spec.NumNodes = %d\n",
   "unit := vcp.MustUnit(ug.CreateUnit(\"web\", spec))\n",
   "_ = unit"]},
  {"cell_type": "code", "execution_count": null, "id": "after", "metadata": {}, "outputs": [], "source": ["!echo after"]}
 ],
 "metadata": {"kernelspec": {"display_name": "Go (ocs)", "language": "go", "name": "ocs-go"}},
 "nbformat": 4,
 "nbformat_minor": 5
}
`

// SIGINT while create_unit boots its nodes: the record journals that
// create_unit started and was interrupted, and --resume does not make the
// group again (it said "unit group already exists" before): it stops,
// exit 2, naming the operation and what exists.
func TestResumeAfterSIGINTDuringCreateUnit(t *testing.T) {
	kerneltest.NeedTool(t, "ssh")
	state := filepath.Join(t.TempDir(), "state")
	t.Cleanup(func() { removeGroups(t, context.Background(), state) })
	env := faultEnv(t, state)
	dir := t.TempDir()
	src := filepath.Join(dir, "nodes.ipynb")
	record := filepath.Join(dir, "rec.ipynb")
	if err := os.WriteFile(src, []byte(fmt.Sprintf(createUnitNotebook, 12)), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startOCS(t, env, 120*time.Second, "run", "-q", src, "-o", record)
	deadline := time.Now().Add(60 * time.Second)
	for !createUnitStarted(record) {
		if time.Now().After(deadline) {
			t.Fatalf("the record never showed create_unit started; stderr:\n%s", tail(p.stderr.String(), 2000))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != exitInterrupted {
		t.Fatalf("exit %d, want 130; stderr:\n%s", code, tail(p.stderr.String(), 2000))
	}
	kerneltest.RequireValid(t, record)
	nb, err := notebook.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	effects := fmt.Sprint(nb.Cells[0].Metadata[notebook.OCSKey].(map[string]any)["effects"])
	// Interrupted, or killed with the worker when it did not stop in time.
	if !strings.Contains(effects, "vcp.create_unit") || !strings.Contains(effects, "error:interrupted") && !strings.Contains(effects, "unfinished:true") {
		t.Fatalf("the journal does not hold the interrupted create_unit: %s", effects)
	}

	code, p2 := runOCSProcess(t, env, "run", record, "--resume", "-q")
	errs := p2.stderr.String()
	if code != exitUsage || !strings.Contains(errs, "during vcp.create_unit") ||
		!strings.Contains(errs, `unit group "intr" exists`) || !strings.Contains(errs, "--from 0") {
		t.Fatalf("resume: exit %d, want 2 naming the interrupted create_unit and what exists:\n%s", code, errs)
	}
	if testing.Verbose() {
		t.Log(errs)
	}
}

// createUnitStarted reports whether the record on disk, read with its
// effect log as ocs reads it, journals a create_unit that has not ended.
func createUnitStarted(record string) bool {
	nb, err := notebook.ReadFile(record)
	if err != nil {
		return false
	}
	if _, err := runner.ApplyEffectLog(nb, record); err != nil {
		return false
	}
	meta, _ := nb.Cells[0].Metadata[notebook.OCSKey].(map[string]any)
	list, _ := meta["effects"].([]any)
	for _, x := range list {
		if m, _ := x.(map[string]any); m["op"] == "vcp.create_unit" && m["unfinished"] == true {
			return true
		}
	}
	return false
}
