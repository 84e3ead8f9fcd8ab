package main

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"ocs/kernel/vcp"
)

// remoteExit carries the exit code of `ocs vcp ssh` when a remote command
// failed: the command's own status for one node, 1 for several.
type remoteExit struct {
	err  error
	code int
}

func (e remoteExit) Error() string { return e.err.Error() }
func (e remoteExit) Unwrap() error { return e.err }
func (e remoteExit) ExitCode() int { return e.code }

func newVcpSSHCmd(o *vcpOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "ssh TARGET [-- COMMAND...]",
		Short: "Run a command on every node of a target in parallel, or log in to one node",
		Long: `ssh runs COMMAND on every node that TARGET (GROUP, GROUP/UNIT or
GROUP/UNIT/N) names, in parallel; each output line is prefixed with the node.
Without a command it opens an interactive shell on the one node TARGET names
(through the system ssh).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			group, unit, no, err := vcp.ParseTarget(args[0])
			if err != nil {
				return usageError{err}
			}
			m, err := o.manager()
			if err != nil {
				return err
			}
			ctx := vcpCtx(cmd)
			ts, err := m.Targets(ctx, group, unit, no)
			if err != nil {
				return vcpErr(err)
			}
			command := strings.Join(args[1:], " ")
			if command == "" {
				if len(ts) != 1 {
					return usageError{fmt.Errorf("target %q names %d nodes; give a command, or name one node (GROUP/UNIT/N) to log in", args[0], len(ts))}
				}
				path, _, err := m.AccessFile(ctx, group, "ssh_config")
				if err != nil {
					return err
				}
				c := exec.CommandContext(ctx, "ssh", "-F", path, "-t", ts[0].Address)
				c.Stdin, c.Stdout, c.Stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
				if err := c.Run(); err != nil {
					var ee *exec.ExitError
					if errors.As(err, &ee) {
						return remoteExit{fmt.Errorf("ssh to node %q: %w", ts[0].Name, err), ee.ExitCode()}
					}
					return err
				}
				return nil
			}
			if o.json {
				return sshJSON(cmd, ts, command)
			}
			err = vcp.FanOut(ctx, ts, command, cmd.OutOrStdout(), cmd.ErrOrStderr())
			var ee *vcp.ExitError
			if len(ts) == 1 && errors.As(err, &ee) {
				return remoteExit{err, ee.Status}
			}
			var fe *vcp.FanOutError
			if errors.As(err, &fe) {
				return remoteExit{err, exitCellFailed}
			}
			return err
		},
	}
}

// sshResult is one node's outcome in `ocs vcp ssh --json`.
type sshResult struct {
	Node       string `json:"node"`
	Stdout     string `json:"stdout"`
	Stderr     string `json:"stderr"`
	ExitStatus int    `json:"exit_status"`
	Error      string `json:"error,omitempty"`
}

func sshJSON(cmd *cobra.Command, ts []vcp.Target, command string) error {
	res := make([]sshResult, len(ts))
	var wg sync.WaitGroup
	for i, t := range ts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out, errb bytes.Buffer
			err := vcp.Run(vcpCtx(cmd), t, command, nil, &out, &errb)
			r := sshResult{Node: t.Name, Stdout: out.String(), Stderr: errb.String()}
			var ee *vcp.ExitError
			if errors.As(err, &ee) {
				r.ExitStatus = ee.Status
			} else if err != nil {
				r.ExitStatus, r.Error = -1, err.Error()
			}
			res[i] = r
		}()
	}
	wg.Wait()
	if err := writeJSON(cmd.OutOrStdout(), res); err != nil {
		return err
	}
	for _, r := range res {
		if r.ExitStatus != 0 {
			return remoteExit{fmt.Errorf("command failed on node %q", r.Node), exitCellFailed}
		}
	}
	return nil
}
