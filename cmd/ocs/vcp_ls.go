package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"ocs/kernel/vcp"
)

func newVcpLsCmd(o *vcpOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "ls",
		Short: "List unit groups with their units and node states",
		Long: `List unit groups with their units and node states. A group whose state
file is corrupt is listed as CORRUPT and named on stderr, the others are
listed all the same, and the exit code is then 2. ` + "`ocs vcp rm GROUP`" + ` stops the node processes of a corrupt
group and moves its files to STATE/quarantine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := o.manager()
			if err != nil {
				return err
			}
			ctx := vcpCtx(cmd)
			gs, err := m.List(ctx)
			if err != nil {
				return err
			}
			if o.json {
				err = writeJSON(cmd.OutOrStdout(), gs)
			} else {
				var t *vcp.Table
				if t, err = m.GroupsTable(ctx); err == nil {
					_, err = fmt.Fprint(cmd.OutOrStdout(), t.String())
				}
			}
			if err != nil {
				return err
			}
			return warnCorrupt(cmd.ErrOrStderr(), gs)
		},
	}
}

// warnCorrupt names on stderr each listed group whose state is corrupt;
// it returns the exit-2 error a damaged state is owed, already reported.
func warnCorrupt(w io.Writer, gs []vcp.GroupView) error {
	n := 0
	for _, g := range gs {
		if g.Corrupt != "" {
			n++
			fmt.Fprintf(w, "ocs: error: unit group %q: %s\nocs: hint: `ocs vcp rm %s` stops its node processes and moves its files to quarantine\n", g.Name, g.Corrupt, g.Name)
		}
	}
	if n == 0 {
		return nil
	}
	return reported{inputError{fmt.Errorf("%d unit group(s) with a corrupt state file", n)}}
}
