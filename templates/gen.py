#!/usr/bin/env python3
"""Writes the built-in Go templates (101-vc-nodes, moodle) from the cell
lists below, so that their JSON stays regular: nbformat 4.5, stable cell ids,
the ocs-go kernelspec. Run from the repository root: python3 templates/gen.py
"""
import hashlib, json, os

KERNEL = {"kernelspec": {"display_name": "Go (ocs)", "language": "go", "name": "ocs-go"},
          "language_info": {"name": "go"}}

def md(src): return ("markdown", src, [])
def code(src, *tags): return ("code", src, list(tags))

def write(path, cells):
    out = []
    for i, (kind, src, tags) in enumerate(cells):
        # Ids hash the path inside templates/, so any checkout regenerates
        # the same notebooks.
        rel = os.path.relpath(path, os.path.dirname(os.path.abspath(__file__)))
        cid = hashlib.sha1(f"{rel}:{i}".encode()).hexdigest()[:12]
        src = src.strip("\n")
        c = {"cell_type": kind, "id": cid, "metadata": {"tags": tags} if tags else {},
             "source": src.splitlines(True)}
        if kind == "code":
            c = {"cell_type": kind, "execution_count": None, "id": cid, "metadata": c["metadata"],
                 "outputs": [], "source": c["source"]}
        out.append(c)
    nb = {"cells": out, "metadata": KERNEL, "nbformat": 4, "nbformat_minor": 5}
    with open(path, "w") as f:
        json.dump(nb, f, indent=1, ensure_ascii=False)
        f.write("\n")

here = os.path.dirname(os.path.abspath(__file__))

# The cell that makes the SDK, shared by every template that uses one.
SDK_CELL = """
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
"""

# ---------------------------------------------------------------- 101-vc-nodes
write(os.path.join(here, "101-vc-nodes", "101-vc-nodes.ipynb"), [
md("""
# 101: virtual cloud nodes, step by step

This template walks through the life of a set of nodes with the VCP SDK
(`import "ocs/vcp"`): it creates a unit group, chooses a spec, starts a unit
of nodes, reaches them over SSH (from Go, with the system `ssh` client and
with a `%%ssh` cell), adds a node, removes one, starts a second unit with
another flavor, and removes everything again. It ends with no node left.

**Prerequisites**: none for the default provider `local`, whose nodes are
processes on this machine, each with its own loopback address, SSH server and
home directory. The system OpenSSH client (`ssh`) is used in one cell.

**Parameters** (cell tagged `parameters`; set with `-p name=value`):

| name | meaning |
|---|---|
| `ugroup_name` | name of the unit group this run creates (must not exist yet) |
| `provider` | where nodes come from: `local` (default) |
| `flavor` | node size of the first unit |
| `nodes` | how many nodes the first unit starts with |
| `other_flavor` | node size of the second unit |

**Sections**: 1 SDK, 2 unit group, 3 spec, 4 unit, 5 SSH, 6 scale out,
7 scale in (and a cell that fails on purpose: the deleted node is gone),
8 a second unit, 9 cleanup.

**Stopping and deleting**: the last section deletes everything this run
made. If a run stops half way, remove what is left with
`ocs vcp rm UGROUP_NAME` (see `ocs vcp ls`).
"""),
code("""
ugroup_name := "vc101"   // unit group created (and deleted) by this run
provider := "local"      // node provider
flavor := "small"        // flavor of the first unit
nodes := 2               // nodes in the first unit
other_flavor := "medium" // flavor of the second unit
""", "parameters"),
md("""
## 1. The SDK

`vcp.New` takes the provider's access token. The `local` provider needs none;
other providers read it as the secret `vcc_access_token`
(`--secret vcc_access_token` reads it from that environment variable).
`vcp.MustSDK`, `MustUGroup` and the other `Must` helpers fail the cell with
the SDK's message when a call returns an error.
"""),
code(SDK_CELL + """fmt.Println("SDK ready for provider", provider)
"""),
md("""
## 2. A unit group

A unit group holds units of nodes and its own SSH key; nodes of the group
accept that key. The table lists every unit group in the state directory.
"""),
code("""
ug := vcp.MustUGroup(sdk.CreateUGroup(ugroup_name))
vcp.MustTable(sdk.DFUGroups())
"""),
md("""
## 3. A spec

A spec says what nodes a unit gets: provider, flavor, how many, their
environment. First the flavors the provider offers:
"""),
code("""
vcp.MustTable(sdk.DFFlavors(provider))
"""),
code("""
spec := vcp.MustSpec(sdk.GetSpec(provider, flavor))
spec.NumNodes = nodes
spec.ParamsE = append(spec.ParamsE, "OCS_TEMPLATE=101-vc-nodes")
fmt.Print(spec)
"""),
md("""
## 4. A unit

`CreateUnit` returns once every node runs. The tables show the group's units
and nodes with their addresses.
"""),
code("""
unit := vcp.MustUnit(ug.CreateUnit("node", spec))
vcp.MustTable(ug.DFUnits())
"""),
code("""
vcp.MustTable(ug.DFNodes())
"""),
md("""
## 5. Reaching the nodes over SSH

From Go: `sdk.SSH` runs a command on every node of a target
(`GROUP`, `GROUP/UNIT` or `GROUP/UNIT/N`) in parallel; each line is labelled
with its node.
"""),
code("""
fmt.Print(vcp.MustString(sdk.SSH(ugroup_name+"/node", "echo \\"$(id -un) at $HOME, $OCS_TEMPLATE\\"")))
"""),
md("""
With the system OpenSSH client: the group's `ssh_config` names each node by
address, by `GROUP-UNIT-N` and by `UNIT-N`, with its key and pinned host key.
`ocs` itself is on the `PATH` of shell lines.
"""),
code("""
!ssh -F $(ocs vcp ssh-config --path {ugroup_name}) {ugroup_name}-node-1 'echo hello from node 1: $HOME'
!ocs vcp nodes {ugroup_name}
"""),
md("""
A `%%ssh TARGET` cell runs its body as a script on every node of the target.
"""),
code("""
%%ssh {ugroup_name}/node
echo "script on $(uname -n), in $HOME"
ls -a "$HOME" | head -5
"""),
md("""
## 6. Scale out

`AddNodes` adds nodes to a unit and returns them once they run.
"""),
code("""
added := vcp.MustNodes(unit.AddNodes(vcp.Count(1)))
fmt.Println("added node", added[0].Name, "at", added[0].CloudInstanceAddress)
vcp.MustTable(unit.DFNodes())
"""),
md("""
## 7. Scale in

`DeleteNodes` removes nodes chosen by address (or number, or count). Here:
the last running node.
"""),
code("""
running := vcp.MustNodes(unit.FindNodes(vcp.NodeState("RUNNING")))
var gone *vcp.Node = running[len(running)-1] // `:=` from an index of an SDK slice fails in the interpreter
vcp.MustNodes(unit.DeleteNodes(vcp.IPAddress(gone.CloudInstanceAddress)))
fmt.Println("deleted node", gone.Name, "at", gone.CloudInstanceAddress)
vcp.MustTable(unit.DFNodes())
"""),
md("""
The deleted node no longer answers: the next cell fails **on purpose** (it is
tagged `raises-exception`, so the run goes on).
"""),
code("""
!ssh -F $(ocs vcp ssh-config --path {ugroup_name}) -o BatchMode=yes -o ConnectTimeout=5 -p {gone.Port} {gone.CloudInstanceAddress} true
""", "raises-exception"),
md("""
## 8. A second unit with another flavor

A group can hold several units, each from its own spec.
"""),
code("""
spec2 := vcp.MustSpec(sdk.GetSpec(provider, other_flavor))
spec2.NumNodes = 1
unit2 := vcp.MustUnit(ug.CreateUnit("extra", spec2))
fmt.Print(vcp.MustString(sdk.SSH(ugroup_name+"/extra", "echo extra unit up")))
vcp.MustTable(ug.DFNodes())
"""),
md("""
## 9. Cleanup

`Cleanup` deletes every node and unit of the group, and the group itself.
"""),
code("""
vcp.Check(ug.Cleanup())
if left := vcp.MustUGroup(sdk.GetUGroup(ugroup_name)); left != nil {
	panic("unit group " + ugroup_name + " is still there")
}
fmt.Println("unit group", ugroup_name, "and all its nodes are deleted")
"""),
])

# ---------------------------------------------------------------- moodle
M = os.path.join(here, "moodle")

MOODLE_PARAMS = """
ugroup_name := "moodle"                           // unit group of this Moodle site
provider := "local"                                // local (no container engine: stops at the container step) or onpremises
flavor := "small"                                  // node flavor
node_address := ""                                 // onpremises: address of the Docker host (host or host:port)
node_user := ""                                    // onpremises: SSH user on that host
moodle_image := "docker.io/bitnamilegacy/moodle:4.5" // Moodle container image
db_image := "docker.io/library/mariadb:10.11"      // database container image
site_url := "http://localhost:8080"                // URL users open; its port is published on the node
"""

write(os.path.join(M, "000-README.ipynb"), [
md("""
# Moodle on a VCP node

This template builds a Moodle site: one node from the VCP SDK, reached over
SSH, running Moodle and a MariaDB database as containers (Docker Compose).
Its notebooks run in this order; `ocs run moodle` runs the build, and the
lifecycle notebooks run when named:

| notebook | what it does | run with |
|---|---|---|
| `010-build` | creates the unit group and node, writes SSH config and Ansible inventory, puts the compose file and its `.env` on the node, starts the containers, checks the site over HTTP, prints a summary | `ocs run moodle` |
| `910-stop` | stops the containers and powers the node off (disk and address kept) | `ocs run moodle/910` |
| `920-restart` | powers the node on, starts the containers, checks the site | `ocs run moodle/920` |
| `990-delete` | removes the containers and their volumes, then the node and the unit group | `ocs run moodle/990` |

**Prerequisites**: a node with a container engine (Docker with the compose
plugin). With `provider = "onpremises"`, that is the server at
`node_address`, reachable over SSH as `node_user` with the unit group's key
(the build prints the public key to authorize). The default provider `local`
runs nodes as processes on this machine: they have **no container engine**,
so the build runs for real up to the container step and stops there with a
message saying what is missing; `990-delete` then removes what it made.

**Parameters** (each notebook's cell tagged `parameters`; `ocs run moodle
--help-params`): `ugroup_name`, `provider`, `flavor`, `node_address`,
`node_user`, `moodle_image`, `db_image`, `site_url`.

**Secrets** (never written to the record): `moodle_admin_password` and
`moodle_db_password`, and `vcc_access_token` for providers that need a
token. Give them with `--secret NAME` (read from the environment variable
NAME), `--secrets FILE`, or type them at the prompt.

```
export moodle_admin_password=... moodle_db_password=...
ocs run moodle --secret moodle_admin_password --secret moodle_db_password
ocs run moodle/990
```
"""),
])


write(os.path.join(M, "010-build.ipynb"), [
md("""
# Moodle: build

Creates the node, prepares it over SSH and starts Moodle. See `000-README`
for prerequisites, parameters and secrets; `990-delete` removes everything
this notebook makes.
"""),
code(MOODLE_PARAMS, "parameters"),
md("""
## Secrets and the SDK

The passwords are asked for by name; their values are masked wherever ocs
reports a command.
"""),
code(SDK_CELL + """
admin_password := secret.Get("moodle_admin_password")
db_password := secret.Get("moodle_db_password")
fmt.Println("SDK ready for provider", provider)
"""),
md("""
## Unit group, spec and unit

One node in the unit `web`. With `onpremises` the node is the server at
`node_address`: authorize the group's public key there first.
"""),
code("""
ug := vcp.MustUGroup(sdk.CreateUGroup(ugroup_name))
vcp.MustTable(sdk.DFFlavors(provider))
"""),
code("""
spec := vcp.MustSpec(sdk.GetSpec(provider, flavor))
spec.NumNodes = 1
if provider == "onpremises" {
	if node_address == "" || node_user == "" {
		panic("provider onpremises needs node_address and node_user (-p node_address=HOST -p node_user=USER)")
	}
	spec.IPAddresses = []string{node_address}
	spec.UserName = node_user
	fmt.Println("authorize this key for", node_user, "on", node_address+":")
	fmt.Println(vcp.MustString(ug.PublicKey()))
}
fmt.Print(spec)
"""),
code("""
unit := vcp.MustUnit(ug.CreateUnit("web", spec))
vcp.MustTable(ug.DFNodes())
"""),
md("""
## SSH config and Ansible inventory

ocs keeps both files for the unit group; they name the node by address, by
`GROUP-web-1` and by `web-1`.
"""),
code("""
!cat {ug.SSHConfig()}
!cat {ug.Inventory()}
!ssh -F {ug.SSHConfig()} web-1 'echo node reached over ssh: $(uname -sr)'
"""),
code("""
// Ansible reaches the node through the same inventory, when it is installed.
!if command -v ansible >/dev/null; then ansible -i {ug.Inventory()} {ugroup_name} -m ping -o; else echo "ansible is not installed here: skipped the ansible ping (ssh works, see above)"; fi
"""),
md("""
## The compose file and its .env on the node

The compose file holds no secret; the passwords go to `~/moodle/.env`
(mode 0600) on the node only.
"""),
code("""
import (
	"net/url"
	"strings"
)

site, err := url.Parse(site_url)
vcp.Check(err)
http_port := site.Port()
if http_port == "" {
	http_port = "80"
}
compose := `services:
  db:
    image: ${DB_IMAGE}
    restart: unless-stopped
    environment:
      MARIADB_DATABASE: moodle
      MARIADB_USER: moodle
      MARIADB_PASSWORD: ${DB_PASSWORD}
      MARIADB_ROOT_PASSWORD: ${DB_PASSWORD}
    volumes:
      - db:/var/lib/mysql
  moodle:
    image: ${MOODLE_IMAGE}
    restart: unless-stopped
    depends_on: [db]
    ports:
      - "${HTTP_PORT}:8080"
    environment:
      MOODLE_DATABASE_TYPE: mariadb
      MOODLE_DATABASE_HOST: db
      MOODLE_DATABASE_NAME: moodle
      MOODLE_DATABASE_USER: moodle
      MOODLE_DATABASE_PASSWORD: ${DB_PASSWORD}
      MOODLE_USERNAME: admin
      MOODLE_PASSWORD: ${ADMIN_PASSWORD}
      MOODLE_HOST: ${SITE_HOST}
    volumes:
      - moodledata:/bitnami/moodledata
      - moodle:/bitnami/moodle
volumes:
  db:
  moodle:
  moodledata:
`
env := strings.Join([]string{
	"MOODLE_IMAGE=" + moodle_image,
	"DB_IMAGE=" + db_image,
	"HTTP_PORT=" + http_port,
	"SITE_HOST=" + site.Hostname(),
	"DB_PASSWORD=" + db_password,
	"ADMIN_PASSWORD=" + admin_password,
}, "\\n") + "\\n"
write := "mkdir -p ~/moodle && umask 077 && cat > ~/moodle/.env <<'OCS_EOF'\\n" + env + "OCS_EOF\\n" +
	"cat > ~/moodle/compose.yml <<'OCS_EOF'\\n" + compose + "OCS_EOF\\n"
fmt.Print(vcp.MustString(sdk.SSH(ugroup_name+"/web", write)))
"""),
code("""
%%ssh {ugroup_name}/web
ls -la ~/moodle
grep -v PASSWORD ~/moodle/.env
"""),
md("""
## Containers

This step needs a container engine on the node. It checks for one and fails
with what is missing rather than going on without it.
"""),
code("""
%%ssh {ugroup_name}/web
if ! command -v docker >/dev/null 2>&1; then
  echo "no container engine on this node: docker is not installed." >&2
  echo "Moodle runs in containers: use a provider whose nodes run Docker (e.g. -p provider=onpremises with a Docker host), then run ocs run moodle/990 to remove this unit group." >&2
  exit 1
fi
if ! docker info >/dev/null 2>&1; then
  echo "docker is installed on this node but its engine does not answer (docker info failed): start the Docker daemon, or use a node that runs one." >&2
  exit 1
fi
if ! docker compose version >/dev/null 2>&1; then
  echo "docker compose (the compose plugin) is missing on this node: install it." >&2
  exit 1
fi
cd ~/moodle && docker compose up -d && docker compose ps
"""),
md("""
## The site over HTTP

Moodle installs itself on first start, which takes a few minutes; the check
waits up to ten.
"""),
code("""
%%ssh {ugroup_name}/web
. ~/moodle/.env
for i in $(seq 1 120); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/login/index.php" || true)
  case "$code" in
    200|303) echo "Moodle answers HTTP $code on port $HTTP_PORT"; exit 0 ;;
  esac
  sleep 5
done
echo "Moodle did not answer within 10 minutes (last HTTP status: $code); see: cd ~/moodle && docker compose logs" >&2
exit 1
"""),
md("""
## Summary
"""),
code("""
import "ocs/display"

var node *vcp.Node = vcp.MustNodes(unit.FindNodes())[0]
display.NewTable("item", "value").
	Row("unit group", ugroup_name).
	Row("node", node.Name+" ("+node.CloudInstanceAddress+")").
	Row("site", site_url).
	Row("admin user", "admin").
	Row("files on the node", "~/moodle/compose.yml, ~/moodle/.env").
	Row("ssh", "ssh -F "+ug.SSHConfig()+" web-1").
	Row("ansible inventory", ug.Inventory())
"""),
])

LIFECYCLE_PARAMS = """
ugroup_name := "moodle" // unit group of the Moodle site
provider := "local"     // provider the site was built with (for its token)
"""

def lifecycle(name, title, intro, cells):
    write(os.path.join(M, name), [md(f"# Moodle: {title}\n\n{intro}"), code(LIFECYCLE_PARAMS, "parameters"),
                                  code(SDK_CELL + "ug := vcp.MustUGroup(sdk.GetUGroup(ugroup_name))\n")] + cells)

ENGINE = """if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
  echo "no working container engine on this node: no containers to %s"
  exit 0
fi
"""

lifecycle("910-stop.ipynb", "stop", "Stops the containers and powers the node off. Its disk, address and files stay; `920-restart` brings the site back.", [
    code("if ug == nil {\n\tpanic(\"unit group \" + ugroup_name + \" does not exist: nothing to stop\")\n}\nunit := vcp.MustUnit(ug.GetUnit(\"web\"))"),
    code("%%ssh {ugroup_name}/web\n" + ENGINE % "stop" + "cd ~/moodle && docker compose stop"),
    code("vcp.MustNodes(unit.PowerOffNodes())\nvcp.MustTable(ug.DFNodes())"),
])

lifecycle("920-restart.ipynb", "restart", "Powers the node on and starts the containers again.", [
    code("if ug == nil {\n\tpanic(\"unit group \" + ugroup_name + \" does not exist: run the build first\")\n}\nunit := vcp.MustUnit(ug.GetUnit(\"web\"))\nvcp.MustNodes(unit.PowerOnNodes())\nvcp.MustTable(ug.DFNodes())"),
    code("%%ssh {ugroup_name}/web\nif ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then\n  echo \"no working container engine on this node: cannot start Moodle\" >&2\n  exit 1\nfi\ncd ~/moodle && docker compose start && docker compose ps"),
])

lifecycle("990-delete.ipynb", "delete", "Removes the containers and their volumes, then the node and the unit group. Nothing of the site is left.", [
    code("""
// Containers first, while the node is there: power on nodes a stop left off.
if ug != nil {
	if unit := vcp.MustUnit(ug.GetUnit("web")); unit != nil {
		for _, n := range vcp.MustNodes(unit.FindNodes(vcp.NodeState("POWER_OFF"))) {
			vcp.MustNodes(unit.PowerOnNodes(vcp.NodeNo(n.No)))
		}
	}
}
"""),
    code("if ug != nil {\n\tfmt.Print(vcp.MustString(sdk.SSH(ugroup_name, `" + ENGINE % "remove" + "cd ~/moodle 2>/dev/null && docker compose down -v || true`)))\n}"),
    code("""
if ug == nil {
	fmt.Println("unit group", ugroup_name, "does not exist: nothing to delete")
} else {
	vcp.Check(ug.Cleanup())
	if vcp.MustUGroup(sdk.GetUGroup(ugroup_name)) != nil {
		panic("unit group " + ugroup_name + " is still there")
	}
	fmt.Println("unit group", ugroup_name, "and its node are deleted")
}
"""),
])
