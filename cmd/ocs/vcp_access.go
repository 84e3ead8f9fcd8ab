package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// accessCmd prints one of a group's generated files (rewritten first).
func accessCmd(o *vcpOpts, use, which, short string) *cobra.Command {
	var pathOnly bool
	c := &cobra.Command{
		Use:   use + " GROUP",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := o.manager()
			if err != nil {
				return err
			}
			path, data, err := m.AccessFile(vcpCtx(cmd), args[0], which)
			if err != nil {
				return vcpErr(err)
			}
			if pathOnly {
				// For shell lines: ssh -F "$(ocs vcp ssh-config --path GROUP)" ...
				_, err = fmt.Fprintln(cmd.OutOrStdout(), path)
				return err
			}
			if o.json {
				return writeJSON(cmd.OutOrStdout(), map[string]string{"path": path, "content": string(data)})
			}
			_, err = cmd.OutOrStdout().Write(data)
			return err
		},
	}
	c.Flags().BoolVar(&pathOnly, "path", false, "print the file's path only (the file is rewritten first)")
	return c
}
