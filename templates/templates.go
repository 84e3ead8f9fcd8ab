// Package templates holds the templates built into ocs, embedded in the
// binary so that ocs has something to run with no network and no
// configuration, and what reads a template's declared parameters.
package templates

import (
	"embed"
	"io/fs"
)

// The templates are written in the text (percent) format, NNN-name.go; the
// notebooks beside them are generated from the text by ocs's own converter,
// and TestGeneratedNotebooksAreCurrent fails when one is out of date.
//
//go:generate go run ../cmd/ocs convert --force hello/hello.go 101-vc-nodes/101-vc-nodes.go moodle/000-README.go moodle/010-build.go moodle/910-stop.go moodle/920-restart.go moodle/990-delete.go

// builtin holds one folder per template. The "all:" prefix is deliberately
// absent: files starting with "." or "_" (editor and checkpoint litter) stay
// out of the binary.
//
//go:embed hello 101-vc-nodes moodle
var builtin embed.FS

// FS returns the built-in templates: one folder per template at the root.
func FS() fs.FS { return builtin }

// ParametersTag marks the cell of a Go template that declares its
// parameters, the tag papermill made the convention.
const ParametersTag = "parameters"
