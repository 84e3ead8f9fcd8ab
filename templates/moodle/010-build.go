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

// %% [markdown] id="a0a10b3be6f2"
// # Moodle: build
//
// Creates the node, prepares it over SSH and starts Moodle. See `000-README`
// for prerequisites, parameters and secrets; `990-delete` removes everything
// this notebook makes.

// %% tags=["parameters"] id="a9790bb3a48b"
ugroup_name := "moodle"                           // unit group of this Moodle site
provider := "local"                                // local (no container engine: stops at the container step) or onpremises
flavor := "small"                                  // node flavor
node_address := ""                                 // onpremises: address of the Docker host (host or host:port)
node_user := ""                                    // onpremises: SSH user on that host
moodle_image := "docker.io/bitnamilegacy/moodle:4.5" // Moodle container image
db_image := "docker.io/library/mariadb:10.11"      // database container image
site_url := "http://localhost:8080"                // URL users open; its port is published on the node

// %% [markdown] id="bb0dda6a1d2f"
// ## Secrets and the SDK
//
// The passwords are asked for by name; their values are masked wherever ocs
// reports a command.

// %% id="424750aa273d"
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

admin_password := secret.Get("moodle_admin_password")
db_password := secret.Get("moodle_db_password")
fmt.Println("SDK ready for provider", provider)

// %% [markdown] id="d94a737ba6db"
// ## Unit group, spec and unit
//
// One node in the unit `web`. With `onpremises` the node is the server at
// `node_address`: authorize the group's public key there first.

// %% id="fc9207ec5d02"
ug := vcp.MustUGroup(sdk.CreateUGroup(ugroup_name))
vcp.MustTable(sdk.DFFlavors(provider))

// %% id="7b75d8a06d92"
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

// %% id="5161b1e87d88"
unit := vcp.MustUnit(ug.CreateUnit("web", spec))
vcp.MustTable(ug.DFNodes())

// %% [markdown] id="8c5dabedaa59"
// ## SSH config and Ansible inventory
//
// ocs keeps both files for the unit group; they name the node by address, by
// `GROUP-web-1` and by `web-1`.

// %% id="10a725e1a89a"
!cat {ug.SSHConfig()}
!cat {ug.Inventory()}
!ssh -F {ug.SSHConfig()} web-1 'echo node reached over ssh: $(uname -sr)'

// %% id="e2d5d4fed776"
// Ansible reaches the node through the same inventory, when it is installed.
!if command -v ansible >/dev/null; then ansible -i {ug.Inventory()} {ugroup_name} -m ping -o; else echo "ansible is not installed here: skipped the ansible ping (ssh works, see above)"; fi

// %% [markdown] id="21ef4f34b912"
// ## The compose file and its .env on the node
//
// The compose file holds no secret; the passwords go to `~/moodle/.env`
// (mode 0600) on the node only.

// %% id="8247110ff6b9"
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
}, "\n") + "\n"
write := "mkdir -p ~/moodle && umask 077 && cat > ~/moodle/.env <<'OCS_EOF'\n" + env + "OCS_EOF\n" +
	"cat > ~/moodle/compose.yml <<'OCS_EOF'\n" + compose + "OCS_EOF\n"
fmt.Print(vcp.MustString(sdk.SSH(ugroup_name+"/web", write)))

// %% id="edb64a58c2b0"
%%ssh {ugroup_name}/web
ls -la ~/moodle
grep -v PASSWORD ~/moodle/.env

// %% [markdown] id="a751e542c6f3"
// ## Containers
//
// This step needs a container engine on the node. It checks for one and fails
// with what is missing rather than going on without it.

// %% id="81515e9a6a25"
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

// %% [markdown] id="470b34f90c3f"
// ## The site over HTTP
//
// Moodle installs itself on first start, which takes a few minutes; the check
// waits up to ten.

// %% id="7c8e8121508a"
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

// %% [markdown] id="2a9c84ee9fd5"
// ## Summary

// %% id="73e6511b555e"
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
