package main

import (
	"bytes"
	"io"
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
