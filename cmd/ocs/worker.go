package main

import (
	"github.com/spf13/cobra"

	"ocs/kernel/gokernel"
	"ocs/kernel/vcpcell"
)

// newKernelWorkerCmd is the hidden verb the Go kernel re-executes ocs with:
// cell code runs in that process, so that a crash in it cannot take the
// runner down. The VCP SDK ("ocs/vcp"), the %%ssh magic and the shell's
// `ocs` are installed there before the first cell.
func newKernelWorkerCmd() *cobra.Command {
	return &cobra.Command{
		Use:    gokernel.WorkerSubcommand,
		Short:  "Run Go notebook cells for a supervising ocs process (internal)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cleanup, err := vcpcell.Register()
			defer cleanup()
			if err != nil {
				return err
			}
			return gokernel.ServeWorker(cmd.Context())
		},
	}
}
