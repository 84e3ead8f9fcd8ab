package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// Every verb a person can call has examples in its help.
func TestEveryVerbHasExamples(t *testing.T) {
	root := newRoot(&globals{}, strings.NewReader(""), io.Discard, newConsole(io.Discard, io.Discard))
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || strings.HasPrefix(c.CommandPath(), "ocs completion ") {
			return
		}
		if c.Runnable() && c.Example == "" {
			t.Errorf("%q has no Examples section", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	for _, c := range root.Commands() {
		walk(c)
	}
	var out bytes.Buffer
	if code := run([]string{"run", "--help"}, strings.NewReader(""), &out, io.Discard); code != 0 || !strings.Contains(out.String(), "Examples:\n  # A built-in template") {
		t.Errorf("ocs run --help (exit %d) shows no examples:\n%s", code, out.String())
	}
}

// The help of every verb is a golden file (testdata/golden/help/), so a
// change to a verb's flags or text shows in review; -update rewrites them.
func TestHelpGolden(t *testing.T) {
	root := newRoot(&globals{}, strings.NewReader(""), io.Discard, newConsole(io.Discard, io.Discard))
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			walk(sub, append(append([]string(nil), path...), sub.Name()))
		}
	}
	walk(root, nil)
	if *update {
		if err := os.MkdirAll(filepath.Join("testdata", "golden", "help"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range paths {
		name := strings.Join(append([]string{"ocs"}, path...), "-")
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(append(append([]string(nil), path...), "--help"), strings.NewReader(""), &out, &errb); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			golden(t, filepath.Join("help", name+".txt"), out.String())
		})
	}
}
