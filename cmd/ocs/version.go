package main

import (
	"fmt"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version and buildDate are set at build time with
// -ldflags "-X main.version=1.2.3 -X main.buildDate=2026-12-01T00:00:00Z";
// without them, the module's build information fills in what it knows.
var (
	version   = "dev"
	buildDate = ""
)

// pseudoVersion matches the end of a Go pseudo-version
// (v0.0.0-20261201200607-4746cccaeb5a, with an optional +dirty).
var pseudoVersion = regexp.MustCompile(`\d{14}-[0-9a-f]{12}(\+dirty)?$`)

// buildInfo is what `ocs version` prints and every record carries.
type buildInfo struct {
	Schema   int    `json:"schema"`
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Dirty    bool   `json:"dirty"`
	Date     string `json:"date,omitempty"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// readBuildInfo combines the -ldflags values with the VCS settings the Go
// toolchain stamps into a binary built from a checkout.
func readBuildInfo() buildInfo {
	b := buildInfo{Schema: 1, Version: version, Date: buildDate, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	// A tagged module version names a release; the pseudo-version the
	// toolchain derives from a commit says no more than the commit does.
	if b.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" && !pseudoVersion.MatchString(bi.Main.Version) {
		b.Version = strings.TrimPrefix(bi.Main.Version, "v")
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.modified":
			b.Dirty = s.Value == "true"
		case "vcs.time":
			if b.Date == "" {
				b.Date = s.Value
			}
		}
	}
	return b
}

// String is the one-line form, also what a record's metadata.ocs.version
// holds: "dev (commit 0123456789ab, dirty, 2026-12-01T19:58:12Z, go1.26.8 linux/amd64)".
func (b buildInfo) String() string {
	var parts []string
	if b.Commit != "" {
		c := b.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		parts = append(parts, "commit "+c)
		if b.Dirty {
			parts = append(parts, "dirty")
		}
	}
	if b.Date != "" {
		parts = append(parts, b.Date)
	}
	parts = append(parts, b.Go+" "+b.Platform)
	return fmt.Sprintf("%s (%s)", b.Version, strings.Join(parts, ", "))
}

func newVersionCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of ocs",
		Long: `Print the version of ocs, the commit it was built from (and whether the
checkout had uncommitted changes), the build date, the Go version and the
platform. Every build record carries the same line.`,
		Example: `  ocs version
  ocs --version
  ocs version --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			b := readBuildInfo()
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), b)
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "ocs %s\n", b)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the build information as JSON")
	return cmd
}
