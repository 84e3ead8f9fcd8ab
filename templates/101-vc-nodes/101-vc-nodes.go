// ---
// jupyter:
//   jupytext:
//     text_representation:
//       extension: .go
//       format_name: percent
//       format_version: "1.3"
//   kernelspec:
//     display_name: Go (ocs)
//     language: go
//     name: ocs-go
//   language_info:
//     codemirror_mode: go
//     file_extension: .go
//     mimetype: text/x-go
//     name: go
//     pygments_lexer: go
//     version: "1.26"
// ---

//go:build ignore

// %% [markdown] id="12eedb1f2869"
// # 101: virtual cloud nodes, step by step
//
// This template walks through the life of a set of nodes with the VCP SDK
// (`import "ocs/vcp"`): it creates a unit group, chooses a spec, starts a unit
// of nodes, reaches them over SSH (from Go, with the system `ssh` client and
// with a `%%ssh` cell), adds a node, removes one, starts a second unit with
// another flavor, and removes everything again. It ends with no node left.
//
// **Prerequisites**: none for the default provider `local`, whose nodes are
// processes on this machine, each with its own loopback address, SSH server and
// home directory. The system OpenSSH client (`ssh`) is used in one cell.
//
// **Parameters** (cell tagged `parameters`; set with `-p name=value`):
//
// | name | meaning |
// |---|---|
// | `ugroup_name` | name of the unit group this run creates (must not exist yet) |
// | `provider` | where nodes come from: `local` (default) |
// | `flavor` | node size of the first unit |
// | `nodes` | how many nodes the first unit starts with |
// | `other_flavor` | node size of the second unit |
//
// **Sections**: 1 SDK, 2 unit group, 3 spec, 4 unit, 5 SSH, 6 scale out,
// 7 scale in (and a cell that fails on purpose: the deleted node is gone),
// 8 a second unit, 9 cleanup.
//
// **Stopping and deleting**: the last section deletes everything this run
// made. If a run stops half way, remove what is left with
// `ocs vcp rm UGROUP_NAME` (see `ocs vcp ls`).

// %% tags=["parameters"] id="fe729bfdab68"
ugroup_name := "vc101"   // unit group created (and deleted) by this run
provider := "local"      // node provider
flavor := "small"        // flavor of the first unit
nodes := 2               // nodes in the first unit
other_flavor := "medium" // flavor of the second unit

// %% [markdown] id="b64d5e48b491"
// ## 1. The SDK
//
// `vcp.New` takes the provider's access token. The `local` provider needs none;
// other providers read it as the secret `vcc_access_token`
// (`--secret vcc_access_token` reads it from that environment variable).
// `vcp.MustSDK`, `MustUGroup` and the other `Must` helpers fail the cell with
// the SDK's message when a call returns an error.

// %% id="48ff610f0fd8"
import (
	"fmt"

	"ocs/secret"
	"ocs/vcp"
)

token := ""
if provider != "local" && provider != "onpremises" {
	token = secret.Get("vcc_access_token")
}
sdk := vcp.MustSDK(vcp.New(token))
fmt.Println("SDK ready for provider", provider)

// %% [markdown] id="112f70e7a8cc"
// ## 2. A unit group
//
// A unit group holds units of nodes and its own SSH key; nodes of the group
// accept that key. The table lists every unit group in the state directory.

// %% id="a94d6942d16a"
ug := vcp.MustUGroup(sdk.CreateUGroup(ugroup_name))
vcp.MustTable(sdk.DFUGroups())

// %% [markdown] id="f70791794ff3"
// ## 3. A spec
//
// A spec says what nodes a unit gets: provider, flavor, how many, their
// environment. First the flavors the provider offers:

// %% id="25d88c94d41f"
vcp.MustTable(sdk.DFFlavors(provider))

// %% id="47d653fed540"
spec := vcp.MustSpec(sdk.GetSpec(provider, flavor))
spec.NumNodes = nodes
spec.ParamsE = append(spec.ParamsE, "OCS_TEMPLATE=101-vc-nodes")
fmt.Print(spec)

// %% [markdown] id="90853249c2f9"
// ## 4. A unit
//
// `CreateUnit` returns once every node runs. The tables show the group's units
// and nodes with their addresses.

// %% id="0489b42804f9"
unit := vcp.MustUnit(ug.CreateUnit("node", spec))
vcp.MustTable(ug.DFUnits())

// %% id="423b5e0512d6"
vcp.MustTable(ug.DFNodes())

// %% [markdown] id="e0eb4397f08b"
// ## 5. Reaching the nodes over SSH
//
// From Go: `sdk.SSH` runs a command on every node of a target
// (`GROUP`, `GROUP/UNIT` or `GROUP/UNIT/N`) in parallel; each line is labelled
// with its node.

// %% id="ab2b12e9e2f8"
fmt.Print(vcp.MustString(sdk.SSH(ugroup_name+"/node", "echo \"$(id -un) at $HOME, $OCS_TEMPLATE\"")))

// %% [markdown] id="13f09c59de06"
// With the system OpenSSH client: the group's `ssh_config` names each node by
// address, by `GROUP-UNIT-N` and by `UNIT-N`, with its key and pinned host key.
// `ocs` itself is on the `PATH` of shell lines.

// %% id="06c0e0d5fadf"
!ssh -F $(ocs vcp ssh-config --path {ugroup_name}) {ugroup_name}-node-1 'echo hello from node 1: $HOME'
!ocs vcp nodes {ugroup_name}

// %% [markdown] id="67f003562bd9"
// A `%%ssh TARGET` cell runs its body as a script on every node of the target.

// %% id="f7e21d57dead"
%%ssh {ugroup_name}/node
echo "script on $(uname -n), in $HOME"
ls -a "$HOME" | head -5

// %% [markdown] id="ad037f4ab06a"
// ## 6. Scale out
//
// `AddNodes` adds nodes to a unit and returns them once they run.

// %% id="ef4ed13a7e8c"
added := vcp.MustNodes(unit.AddNodes(vcp.Count(1)))
fmt.Println("added node", added[0].Name, "at", added[0].CloudInstanceAddress)
vcp.MustTable(unit.DFNodes())

// %% [markdown] id="55c2c2cfd046"
// ## 7. Scale in
//
// `DeleteNodes` removes nodes chosen by address (or number, or count). Here:
// the last running node.

// %% id="3fb43f450040"
running := vcp.MustNodes(unit.FindNodes(vcp.NodeState("RUNNING")))
var gone *vcp.Node = running[len(running)-1] // `:=` from an index of an SDK slice fails in the interpreter
vcp.MustNodes(unit.DeleteNodes(vcp.IPAddress(gone.CloudInstanceAddress)))
fmt.Println("deleted node", gone.Name, "at", gone.CloudInstanceAddress)
vcp.MustTable(unit.DFNodes())

// %% [markdown] id="527cdeb362ad"
// The deleted node no longer answers: the next cell fails **on purpose** (it is
// tagged `raises-exception`, so the run goes on).

// %% tags=["raises-exception"] id="87b039fd769b"
!ssh -F $(ocs vcp ssh-config --path {ugroup_name}) -o BatchMode=yes -o ConnectTimeout=5 -p {gone.Port} {gone.CloudInstanceAddress} true

// %% [markdown] id="e32b340a43ba"
// ## 8. A second unit with another flavor
//
// A group can hold several units, each from its own spec.

// %% id="68ee2d3907c5"
spec2 := vcp.MustSpec(sdk.GetSpec(provider, other_flavor))
spec2.NumNodes = 1
unit2 := vcp.MustUnit(ug.CreateUnit("extra", spec2))
fmt.Print(vcp.MustString(sdk.SSH(ugroup_name+"/extra", "echo extra unit up")))
vcp.MustTable(ug.DFNodes())

// %% [markdown] id="be539a368343"
// ## 9. Cleanup
//
// `Cleanup` deletes every node and unit of the group, and the group itself.

// %% id="9911196d9073"
vcp.Check(ug.Cleanup())
if left := vcp.MustUGroup(sdk.GetUGroup(ugroup_name)); left != nil {
	panic("unit group " + ugroup_name + " is still there")
}
fmt.Println("unit group", ugroup_name, "and all its nodes are deleted")
