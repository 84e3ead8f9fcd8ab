package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newVcpLsCmd(o *vcpOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "ls",
		Short: "List unit groups with their units and node states",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := o.manager()
			if err != nil {
				return err
			}
			if o.json {
				gs, err := m.List(cmd.Context())
				if err != nil {
					return err
				}
				return writeJSON(cmd.OutOrStdout(), gs)
			}
			t, err := m.GroupsTable(cmd.Context())
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(cmd.OutOrStdout(), t.String())
			return err
		},
	}
}
