package main

import "github.com/spf13/cobra"

func newVcpInventoryCmd(o *vcpOpts) *cobra.Command {
	c := accessCmd(o, "inventory", "inventory", "Print the Ansible inventory (YAML) of a unit group")
	c.Long = `inventory prints the group's Ansible inventory: group GROUP with children
GROUP_UNIT, hosts by address (--json prints its path too). Use it with:
ansible -i FILE GROUP -m ping.`
	return c
}
