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

// %% [markdown] id="f3f5775ceb81"
// # Moodle: stop
//
// Stops the containers and powers the node off. Its disk, address and files stay; `920-restart` brings the site back.

// %% tags=["parameters"] id="de47d2dbd3b2"
ugroup_name := "moodle" // unit group of the Moodle site
provider := "local"     // provider the site was built with (for its token)

// %% id="a2400812e2f9"
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

// %% id="ca498fbb673e"
if ug == nil {
	panic("unit group " + ugroup_name + " does not exist: nothing to stop")
}
unit := vcp.MustUnit(ug.GetUnit("web"))

// %% id="77d97c5eaa27"
%%ssh {ugroup_name}/web
if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
  echo "no working container engine on this node: no containers to stop"
  exit 0
fi
cd ~/moodle && docker compose stop

// %% id="57d91ee36529"
vcp.MustNodes(unit.PowerOffNodes())
vcp.MustTable(ug.DFNodes())
