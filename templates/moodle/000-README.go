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

// %% [markdown] id="ed0c53185ebb"
// # Moodle on a VCP node
//
// This template builds a Moodle site: one node from the VCP SDK, reached over
// SSH, running Moodle and a MariaDB database as containers (Docker Compose).
// Its notebooks run in this order; `ocs run moodle` runs the build, and the
// lifecycle notebooks run when named:
//
// | notebook | what it does | run with |
// |---|---|---|
// | `010-build` | creates the unit group and node, writes SSH config and Ansible inventory, puts the compose file and its `.env` on the node, starts the containers, checks the site over HTTP, prints a summary | `ocs run moodle` |
// | `910-stop` | stops the containers and powers the node off (disk and address kept) | `ocs run moodle/910` |
// | `920-restart` | powers the node on, starts the containers, checks the site | `ocs run moodle/920` |
// | `990-delete` | removes the containers and their volumes, then the node and the unit group | `ocs run moodle/990` |
//
// **Prerequisites**: a node with a container engine (Docker with the compose
// plugin). With `provider = "onpremises"`, that is the server at
// `node_address`, reachable over SSH as `node_user` with the unit group's key
// (the build prints the public key to authorize). The default provider `local`
// runs nodes as processes on this machine: they have **no container engine**,
// so the build runs for real up to the container step and stops there with a
// message saying what is missing; `990-delete` then removes what it made.
//
// **Parameters** (each notebook's cell tagged `parameters`; `ocs run moodle
// --help-params`): `ugroup_name`, `provider`, `flavor`, `node_address`,
// `node_user`, `moodle_image`, `db_image`, `site_url`.
//
// **Secrets** (never written to the record): `moodle_admin_password` and
// `moodle_db_password`, and `vcc_access_token` for providers that need a
// token. Give them with `--secret NAME` (read from the environment variable
// NAME), `--secrets FILE`, or type them at the prompt.
//
// ```
// export moodle_admin_password=... moodle_db_password=...
// ocs run moodle --secret moodle_admin_password --secret moodle_db_password
// ocs run moodle/990
// ```
