package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"ocs/kernel/vcp"
)

func newVcpRmCmd(o *vcpOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "rm GROUP...",
		Short: "Delete unit groups: every node (its process and disk), unit, key and file",
		Long: `Delete unit groups: every node (its process and disk), unit, key and file.

A group whose state file is corrupt cannot be read: rm stops every node
process it finds running under the group's directory, and moves the
directory (state file, keys, node homes) to STATE/quarantine/GROUP-TIME for
a person to look at, printing where. The group's name is then free.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := o.manager()
			if err != nil {
				return err
			}
			var done []*vcp.Removal
			for _, g := range args {
				r, err := m.Remove(vcpCtx(cmd), g)
				if err != nil {
					return vcpErr(err)
				}
				done = append(done, r)
				if !o.json {
					if r.Quarantined != "" {
						fmt.Fprintf(cmd.OutOrStdout(), "removed %s: its state file was corrupt; stopped %d node process(es); its files are in %s\n", g, r.Stopped, r.Quarantined)
					} else {
						fmt.Fprintf(cmd.OutOrStdout(), "removed %s\n", g)
					}
				}
			}
			if o.json {
				names := []string{}
				for _, r := range done {
					names = append(names, r.Group)
				}
				return writeJSON(cmd.OutOrStdout(), map[string]any{"removed": names, "groups": done})
			}
			return nil
		},
	}
}
