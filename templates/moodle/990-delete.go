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

// %% [markdown] id="a7d75861fd3f"
// # Moodle: delete
//
// Removes the containers and their volumes, then the node and the unit group. Nothing of the site is left.

// %% tags=["parameters"] id="03df0fad8f1a"
ugroup_name := "moodle" // unit group of the Moodle site
provider := "local"     // provider the site was built with (for its token)

// %% id="f18d932c638f"
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
ug := vcp.MustUGroup(sdk.GetUGroup(ugroup_name))

// %% id="a15a8ee93bec"
// Containers first, while the node is there: power on nodes a stop left off.
if ug != nil {
	if unit := vcp.MustUnit(ug.GetUnit("web")); unit != nil {
		for _, n := range vcp.MustNodes(unit.FindNodes(vcp.NodeState("POWER_OFF"))) {
			vcp.MustNodes(unit.PowerOnNodes(vcp.NodeNo(n.No)))
		}
	}
}

// %% id="b36a2c4e4995"
if ug != nil {
	fmt.Print(vcp.MustString(sdk.SSH(ugroup_name, `if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
  echo "no working container engine on this node: no containers to remove"
  exit 0
fi
cd ~/moodle 2>/dev/null && docker compose down -v || true`)))
}

// %% id="3e9a2f1fd6f2"
if ug == nil {
	fmt.Println("unit group", ugroup_name, "does not exist: nothing to delete")
} else {
	vcp.Check(ug.Cleanup())
	if vcp.MustUGroup(sdk.GetUGroup(ugroup_name)) != nil {
		panic("unit group " + ugroup_name + " is still there")
	}
	fmt.Println("unit group", ugroup_name, "and its node are deleted")
}
