// Package vcp is the VCP provider layer of ocs: the SDK that template cells
// import (registered in the interpreter as "ocs/vcp"), the providers that
// make nodes, the persistent state, the SSH server of local nodes and the
// SSH client helpers.
//
// A template cell reads like its Python original:
//
//	sdk, err := vcp.New(vccAccessToken)
//	spec, err := sdk.GetSpec("local", "small")
//	spec.NumNodes = 3
//	spec.ParamsE = append(spec.ParamsE, "NFS_MKFS=yes")
//	ug, err := sdk.CreateUGroup("moodle")
//	unit, err := ug.CreateUnit("web", spec)     // blocks until RUNNING
//	ips, err := unit.FindIPAddresses(vcp.NodeState("RUNNING"))
//	unit.DeleteNodes(vcp.IPAddress(ips[0]))
//	ug.Cleanup()
//
// Every SDK call goes through a Gateway (op names "vcp.create_unit",
// "vcp.find_nodes", ...) with JSON-compatible arguments and results, and
// builds its return value from the result alone, so that a kernel can
// journal calls and replay them.
//
// Providers: "local" (the default; each node is a detached ocs process
// re-executed with the hidden subcommand NodeSubcommand, with its own
// loopback address 127.42.x.y, SSH server, host key and HOME) and
// "onpremises" (existing servers reached over SSH). Other provider names are
// an error wrapping ErrUnavailable.
//
// State: one directory per unit group under the state directory
// ($OCS_STATE_DIR, else $XDG_STATE_HOME/ocs, else ~/.local/state/ocs):
//
//	ugroups/GROUP/ugroup.json      the record (atomic writes, flock on STATE/lock)
//	ugroups/GROUP/id_ed25519[.pub] the group's client key (0600)
//	ugroups/GROUP/known_hosts      pinned node host keys
//	ugroups/GROUP/ssh_config       for ssh -F / scp -F (hosts by address, GROUP-UNIT-N, UNIT-N)
//	ugroups/GROUP/inventory.yml    Ansible: group GROUP, children GROUP_UNIT
//	ugroups/GROUP/nodes/ID/        node.json, host_key, node.log, home/
//
// A node is recorded before its process starts, so a crash never leaves a
// node that Manager.List cannot show and Manager.RemoveGroup cannot remove;
// node processes are also found through /proc by their directory.
package vcp
