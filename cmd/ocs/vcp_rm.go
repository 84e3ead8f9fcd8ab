package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newVcpRmCmd(o *vcpOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "rm GROUP...",
		Short: "Delete unit groups: every node (its process and disk), unit, key and file",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := o.manager()
			if err != nil {
				return err
			}
			for _, g := range args {
				if err := m.RemoveGroup(cmd.Context(), g); err != nil {
					return vcpErr(err)
				}
				if !o.json {
					fmt.Fprintf(cmd.OutOrStdout(), "removed %s\n", g)
				}
			}
			if o.json {
				return writeJSON(cmd.OutOrStdout(), map[string][]string{"removed": args})
			}
			return nil
		},
	}
}
