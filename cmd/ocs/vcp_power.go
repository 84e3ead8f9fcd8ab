package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"ocs/kernel/vcp"
)

func newVcpPowerCmd(o *vcpOpts, on bool) *cobra.Command {
	use, short := "power-off TARGET", "Power off the nodes of a target (they keep their disk and address)"
	if on {
		use, short = "power-on TARGET", "Power on the nodes of a target"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, _, _, err := vcp.ParseTarget(args[0]); err != nil {
				return usageError{err}
			}
			m, err := o.manager()
			if err != nil {
				return err
			}
			ns, err := m.PowerTarget(vcpCtx(cmd), args[0], on)
			if o.json && ns != nil {
				if jerr := writeJSON(cmd.OutOrStdout(), ns); jerr != nil {
					return jerr
				}
			} else {
				for _, n := range ns {
					fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\t%s\n", n.Name, n.Address, n.State)
				}
			}
			return vcpErr(err)
		},
	}
}
