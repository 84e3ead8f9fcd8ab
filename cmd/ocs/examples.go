package main

import "github.com/spf13/cobra"

// examples are the Examples sections of the verbs' help (and so of their
// man pages), by command path. A verb that sets its own Example keeps it.
var examples = map[string]string{
	"ocs run": `  # A built-in template on the local provider; the record's path is printed.
  ocs run 101-vc-nodes
  ocs run 101-vc-nodes -p nodes=3 -o build.ipynb
  # A Python OCS template from a git catalog, clouds mapped onto local nodes.
  ocs catalog add ocs-templates https://github.com/nii-gakunin-cloud/ocs-templates
  ocs run ocs-templates:Moodle-Simple/011 --provider local --secret vcc_access_token
  # Parameters from YAML files (merged in order), then -p.
  ocs run moodle -f site.yaml -f secrets-free.yaml -p moodle_version=4.5
  # Continue a failed build, or run cells 12-15 again.
  ocs run builds/moodle-20261201T101500Z.ipynb --resume
  ocs run builds/moodle-20261201T101500Z.ipynb --cells 12-15
  # Papermill's habits: timeouts in seconds, go on after a timed-out cell.
  ocs run slow.ipynb --cell-timeout 600 --allow-errors --interrupt-on-timeout
  # The record with parameters injected, nothing run.
  ocs run hello -p name=you --prepare-only -o prepared.ipynb`,
	"ocs status": `  ocs status builds/101-vc-nodes-20261201T101500Z.ipynb
  ocs status build.ipynb && echo "the build completed"`,
	"ocs check": `  ocs check moodle.ipynb
  ocs check 101-vc-nodes
  ocs check --json template.ipynb | jq '.problems[].message'`,
	"ocs validate": `  ocs validate build.ipynb
  ocs validate --json builds/*.ipynb`,
	"ocs strip": `  ocs strip builds/hello-20261201T101500Z.ipynb -o hello.ipynb
  ocs strip --in-place templates/*.ipynb`,
	"ocs catalog": `  ocs catalog list
  ocs catalog show moodle
  ocs catalog search ムードル`,
	"ocs catalog list": `  ocs catalog list
  ocs catalog list --json`,
	"ocs catalog show": `  ocs catalog show 101-vc-nodes
  ocs catalog show ocs-templates:OpenHPC-v2`,
	"ocs catalog search": `  ocs catalog search moodle
  ocs catalog search GPU`,
	"ocs catalog sources": `  ocs catalog sources`,
	"ocs catalog add": `  ocs catalog add ocs-templates https://github.com/nii-gakunin-cloud/ocs-templates
  ocs catalog add mine ~/templates`,
	"ocs catalog remove": `  ocs catalog remove mine`,
	"ocs catalog update": `  ocs catalog update
  ocs catalog update ocs-templates`,
	"ocs vcp": `  ocs vcp ls
  ocs vcp ssh moodle -- uptime
  ocs vcp rm --yes moodle`,
	"ocs vcp ls": `  ocs vcp ls
  ocs vcp ls --json`,
	"ocs vcp nodes": `  ocs vcp nodes moodle`,
	"ocs vcp ssh": `  ocs vcp ssh moodle/web/1
  ocs vcp ssh moodle -- systemctl is-active docker`,
	"ocs vcp ssh-config": `  ocs vcp ssh-config moodle >> ~/.ssh/config.d/ocs`,
	"ocs vcp inventory":  `  ocs vcp inventory moodle > inventory.yml && ansible -i inventory.yml all -m ping`,
	"ocs vcp power-off":  `  ocs vcp power-off moodle/web`,
	"ocs vcp power-on":   `  ocs vcp power-on moodle/web`,
	"ocs completion":     `  source <(ocs completion bash)`,
	"ocs convert": `  # A notebook as a reviewable text template, and back.
  ocs convert moodle.ipynb -o moodle.py
  ocs convert hello.go -o hello.ipynb`,
	"ocs report": `  ocs report builds/moodle-20261201T101500Z.ipynb
  ocs report builds/*.ipynb -o reports/
  ocs run 101-vc-nodes --report`,
}

// addExamples fills the Examples sections of cmd and its subcommands.
func addExamples(cmd *cobra.Command) {
	if ex, ok := examples[cmd.CommandPath()]; ok && cmd.Example == "" {
		cmd.Example = ex
	}
	for _, c := range cmd.Commands() {
		addExamples(c)
	}
}
