package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"ocs/kernel/vcp"
)

// vcpOpts are the flags every `ocs vcp` verb shares.
type vcpOpts struct {
	stateDir string
	json     bool
}

func newVcpCmd() *cobra.Command {
	o := &vcpOpts{}
	c := &cobra.Command{
		Use:   "vcp",
		Short: "Manage the unit groups and nodes that templates create",
		Long: `ocs vcp lists, reaches and removes the unit groups, units and nodes that
templates create through the VCP SDK. The state lives in $OCS_STATE_DIR
(default $XDG_STATE_HOME/ocs or ~/.local/state/ocs).

Targets are GROUP, GROUP/UNIT or GROUP/UNIT/N (N is the node number).`,
	}
	c.PersistentFlags().StringVar(&o.stateDir, "state-dir", "", "state directory (default $OCS_STATE_DIR, else $XDG_STATE_HOME/ocs or ~/.local/state/ocs)")
	c.PersistentFlags().BoolVar(&o.json, "json", false, "print JSON")
	c.AddCommand(
		newVcpLsCmd(o),
		newVcpNodesCmd(o),
		newVcpSSHCmd(o),
		newVcpSSHConfigCmd(o),
		newVcpInventoryCmd(o),
		newVcpPowerCmd(o, false),
		newVcpPowerCmd(o, true),
		newVcpRmCmd(o),
	)
	return c
}

func (o *vcpOpts) manager() (*vcp.Manager, error) {
	return vcp.NewManager(o.stateDir)
}

// vcpErr makes a bad target or an unknown group a usage error (exit 2).
func vcpErr(err error) error {
	if errors.Is(err, vcp.ErrNotFound) {
		return usageError{err}
	}
	return err
}

// vcpCtx is the command's context with the VCP layer's notices (a wait for
// the state lock, and for whom) going to stderr.
func vcpCtx(cmd *cobra.Command) context.Context {
	return vcp.WithNotices(cmd.Context(), cmd.ErrOrStderr())
}
