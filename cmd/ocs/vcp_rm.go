package main

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"ocs/kernel/vcp"
)

func newVcpRmCmd(o *vcpOpts) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "rm GROUP...",
		Short: "Delete unit groups: every node (its process and disk), unit, key and file",
		Long: `Delete unit groups: every node (its process and disk), unit, key and file.

A group whose state file is corrupt cannot be read: rm stops every node
process it finds running under the group's directory, and moves the
directory (state file, keys, node homes) to STATE/quarantine/GROUP-TIME for
a person to look at, printing where. The group's name is then free.

On a terminal ocs asks first; elsewhere (a script, CI) it refuses unless
--yes says the deletion is meant.`,
		Example: `  ocs vcp rm moodle
  ocs vcp rm --yes moodle openhpc`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !yes {
				if !isTerminal(cmd.InOrStdin()) {
					return usageError{fmt.Errorf("ocs vcp rm deletes %s and every node in it; off a terminal it needs --yes", strings.Join(args, ", "))}
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "Delete %s with every node, disk and key? [y/N] ", strings.Join(args, ", "))
				answer, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
					fmt.Fprintln(cmd.ErrOrStderr(), "ocs: nothing deleted")
					return nil
				}
			}
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
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "delete without asking")
	return cmd
}
