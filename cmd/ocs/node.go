package main

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"ocs/kernel/vcp"
)

// newNodeCmd is the hidden subcommand that a local VCP node runs as: a
// detached process serving SSH on the node's loopback address until
// SIGTERM. ocs starts it; people do not.
func newNodeCmd() *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use:    vcp.NodeSubcommand + " --dir NODE_DIR",
		Short:  "Run a local VCP node (internal)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return usageError{errors.New("--dir is required")}
			}
			// fd 3 is the pipe on which the node reports that it listens.
			return vcp.RunNode(cmd.Context(), dir, os.NewFile(3, "ready"))
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "node directory")
	return c
}
