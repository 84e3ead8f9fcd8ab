package main

import (
	"github.com/spf13/cobra"
)

// accessCmd prints one of a group's generated files (rewritten first).
func accessCmd(o *vcpOpts, use, which, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use + " GROUP",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := o.manager()
			if err != nil {
				return err
			}
			path, data, err := m.AccessFile(cmd.Context(), args[0], which)
			if err != nil {
				return vcpErr(err)
			}
			if o.json {
				return writeJSON(cmd.OutOrStdout(), map[string]string{"path": path, "content": string(data)})
			}
			_, err = cmd.OutOrStdout().Write(data)
			return err
		},
	}
}
