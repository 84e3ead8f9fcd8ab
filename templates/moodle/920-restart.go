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

// %% [markdown] id="78fe876b6fea"
// # Moodle: restart
//
// Powers the node on and starts the containers again.

// %% tags=["parameters"] id="9fc7f46c21e9"
ugroup_name := "moodle" // unit group of the Moodle site
provider := "local"     // provider the site was built with (for its token)

// %% id="dde2266601ab"
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

// %% id="2df6bf41b67b"
if ug == nil {
	panic("unit group " + ugroup_name + " does not exist: run the build first")
}
unit := vcp.MustUnit(ug.GetUnit("web"))
vcp.MustNodes(unit.PowerOnNodes())
vcp.MustTable(ug.DFNodes())

// %% id="ed3f5e5bef4a"
%%ssh {ugroup_name}/web
if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
  echo "no working container engine on this node: cannot start Moodle" >&2
  exit 1
fi
cd ~/moodle && docker compose start && docker compose ps
