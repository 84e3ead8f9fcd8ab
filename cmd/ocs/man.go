package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// newManCmd writes a man page per verb, generated from the commands
// themselves so that they never drift from `ocs help`.
func newManCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "man DIR",
		Short: "Write the man pages of ocs into a folder",
		Long: `Write one man page per verb (ocs.1, ocs-run.1, ocs-vcp-rm.1, ...) into DIR,
made from the same text as ocs help. Nothing installs them; to read them:

  ocs man ~/.local/share/man/man1 && man ocs-run

or, system-wide, into /usr/local/share/man/man1.`,
		Example: `  ocs man ./man && man -l ./man/ocs-run.1
  sudo ocs man /usr/local/share/man/man1 && man ocs`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return inputError{fmt.Errorf("man page folder: %w", err)}
			}
			root := cmd.Root()
			root.DisableAutoGenTag = true // pages stay the same from one day to the next
			header := &doc.GenManHeader{Title: "OCS", Section: "1", Source: "ocs " + readBuildInfo().Version, Manual: "ocs manual"}
			if err := doc.GenManTree(root, header, dir); err != nil {
				return fmt.Errorf("write man pages to %s: %w", dir, err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), dir)
			return nil
		},
	}
}
