package main

import (
	"github.com/spf13/cobra"

	"ocs/kernel/gokernel"
)

// newKernelWorkerCmd is the hidden verb the Go kernel re-executes ocs with:
// cell code runs in that process, so that a crash in it cannot take the
// runner down.
func newKernelWorkerCmd() *cobra.Command {
	return &cobra.Command{
		Use:    gokernel.WorkerSubcommand,
		Short:  "Run Go notebook cells for a supervising ocs process (internal)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return gokernel.ServeWorker(cmd.Context())
		},
	}
}
