package main

import "github.com/spf13/cobra"

func newVcpSSHConfigCmd(o *vcpOpts) *cobra.Command {
	c := accessCmd(o, "ssh-config", "ssh_config", "Print the OpenSSH client configuration of a unit group")
	c.Long = `ssh-config prints the group's ssh_config (the file itself is in the state
directory; --json prints its path too). Use it with: ssh -F FILE ADDRESS_OR_NAME.`
	return c
}
