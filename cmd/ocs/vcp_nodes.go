package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newVcpNodesCmd(o *vcpOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "nodes GROUP",
		Short: "List the nodes of a unit group",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := o.manager()
			if err != nil {
				return err
			}
			if o.json {
				ns, err := m.GroupNodes(vcpCtx(cmd), args[0])
				if err != nil {
					return vcpErr(err)
				}
				return writeJSON(cmd.OutOrStdout(), ns)
			}
			t, err := m.NodesTable(vcpCtx(cmd), args[0], "")
			if err != nil {
				return vcpErr(err)
			}
			_, err = fmt.Fprint(cmd.OutOrStdout(), t.String())
			return err
		},
	}
}
