package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"ocs/catalog"
	"ocs/kernel/display"
	"ocs/templates"
)

func newCatalogCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "catalog",
		Short: "List, search and manage the templates ocs can run",
		Long: `The catalog is every template ocs knows: the ones built into ocs, and those
of the configured sources (git repositories and local directories). A
template is a folder of notebooks run in the order of their numeric prefixes,
or a single notebook; name it as NAME, SOURCE:NAME or NAME/NOTEBOOK.

Sources are configured in catalog.yaml in $OCS_CONFIG_DIR (default: the
user's configuration folder, ~/.config/ocs). Git sources are cloned into
$OCS_CACHE_DIR (default ~/.cache/ocs) on first use and used offline from then
on; ` + "`ocs catalog update`" + ` fetches them again. See docs/catalog.md.`,
	}
	cmd.AddCommand(newCatalogListCmd(), newCatalogShowCmd(), newCatalogSearchCmd(),
		newCatalogSourcesCmd(), newCatalogAddCmd(), newCatalogRemoveCmd(), newCatalogUpdateCmd())
	return cmd
}

func openCatalog() (*catalog.Catalog, error) {
	c, err := catalog.Open()
	if err != nil {
		return nil, inputError{err}
	}
	return c, nil
}

// warn prints what kept part of the catalog from being read; it never fails
// the command.
func warn(w io.Writer, l *catalog.Listing) {
	for _, u := range l.Unavailable {
		fmt.Fprintf(w, "ocs: warning: %s\n", u.Err)
	}
	for _, source := range slices.Sorted(maps.Keys(l.Problems)) {
		for _, p := range l.Problems[source] {
			fmt.Fprintf(w, "ocs: warning: %s: %s: %s\n", source, p.Path, p.Err)
		}
	}
}

// findError gives a failed lookup its exit code and a hint.
func findError(err error) error {
	var amb *catalog.AmbiguousError
	switch {
	case errors.As(err, &amb):
		return hinted{inputError{err}, "name one of them, e.g. ocs catalog show " + amb.Candidates[0]}
	case errors.Is(err, catalog.ErrNotFound):
		return hinted{inputError{err}, "see `ocs catalog list` or `ocs catalog search WORDS`"}
	case errors.Is(err, catalog.ErrNoSource):
		return hinted{inputError{err}, "see `ocs catalog sources`"}
	}
	return err
}

func newCatalogListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the templates of every source",
		Long: `List the templates of every source: name, source, language, number of
notebooks and title. Sources that cannot be read (offline, missing) are
warnings on stderr; the others are still listed. Templates whose language
ocs cannot run yet (python) are listed with their language.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := openCatalog()
			if err != nil {
				return err
			}
			l := c.List(cmd.Context())
			warn(cmd.ErrOrStderr(), l)
			if asJSON {
				if l.Templates == nil {
					l.Templates = []*catalog.Template{}
				}
				return writeJSON(cmd.OutOrStdout(), l.Templates)
			}
			tw := display.NewColumns(cmd.OutOrStdout())
			fmt.Fprintln(tw, "NAME\tSOURCE\tLANGUAGE\tNOTEBOOKS\tTITLE")
			for _, t := range l.Templates {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", t.Name, t.Source, orDash(t.Language), len(t.Notebooks), t.Title)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the templates as JSON")
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newCatalogShowCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Describe a template: title, summary, outline, notebooks, parameters",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := openCatalog()
			if err != nil {
				return err
			}
			t, l, err := c.Find(cmd.Context(), args[0])
			if l != nil {
				warn(cmd.ErrOrStderr(), l)
			}
			if err != nil {
				return findError(err)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), t)
			}
			return showTemplate(cmd.OutOrStdout(), t)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the template as JSON")
	return cmd
}

// showTemplate renders a template for a terminal. The markdown was already
// reduced to plain text by the catalog; headings are indented by level.
func showTemplate(w io.Writer, t *catalog.Template) error {
	title := t.Title
	if title == "" {
		title = t.Name
	}
	fmt.Fprintf(w, "%s\n%s\n", title, strings.Repeat("=", max(display.Width(title), 3)))
	if t.Summary != "" {
		fmt.Fprintf(w, "\n%s\n", t.Summary)
	}
	fmt.Fprintf(w, "\nName:      %s\n", t.Ref())
	if t.TitleFrom != "" {
		fmt.Fprintf(w, "Title:     from %s\n", t.TitleFrom)
	}
	source := t.Source
	if t.Commit != "" {
		source += " at commit " + t.Commit
	}
	fmt.Fprintf(w, "Source:    %s\n", source)
	lang := orDash(t.Language)
	if t.Kernel != "" {
		lang += " (kernel " + t.Kernel + ")"
	}
	if t.Language != "go" {
		lang += "; ocs runs Go templates only"
	}
	fmt.Fprintf(w, "Language:  %s\n", lang)
	fmt.Fprintf(w, "\nNotebooks, in run order:\n")
	for i, nb := range t.Notebooks {
		fmt.Fprintf(w, "  %d. %s\n", i+1, nb.Path)
		for _, h := range nb.Headings {
			fmt.Fprintf(w, "     %s%s\n", strings.Repeat("  ", max(h.Level-1, 0)), h.Text)
		}
	}
	if len(t.Parameters) > 0 {
		fmt.Fprintf(w, "\nParameters:\n")
		tw := display.NewColumns(w)
		fmt.Fprintln(tw, "  NAME\tTYPE\tDEFAULT\tHELP")
		for _, p := range t.Parameters {
			def := fmt.Sprintf("%q", p.Default)
			if p.Kind == templates.KindRequired {
				def = "(required)"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", p.Name, p.Type, def, p.Help)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(t.Problems) > 0 {
		fmt.Fprintf(w, "\nProblems:\n")
		for _, p := range t.Problems {
			repaired := ""
			if p.Repaired {
				repaired = " (repaired on reading)"
			}
			fmt.Fprintf(w, "  %s: %s%s\n", p.Path, p.Err, repaired)
		}
	}
	return nil
}

func newCatalogSearchCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "search WORDS...",
		Short: "Find templates by words in their titles, summaries and headings",
		Long: `Find the templates in which every word appears in the name, title, summary
or a heading, best first. Words match anywhere inside the text, ignoring
case, so Japanese needs no spaces: ` + "`ocs catalog search 構築`" + ` finds
"Moodle環境の構築".`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := openCatalog()
			if err != nil {
				return err
			}
			matches, l := c.Search(cmd.Context(), strings.Join(args, " "))
			warn(cmd.ErrOrStderr(), l)
			if asJSON {
				type hit struct {
					Score int `json:"score"`
					*catalog.Template
				}
				hits := []hit{}
				for _, m := range matches {
					hits = append(hits, hit{m.Score, m.Template})
				}
				return writeJSON(cmd.OutOrStdout(), hits)
			}
			if len(matches) == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "ocs: no template matches %q\n", strings.Join(args, " "))
				return nil
			}
			tw := display.NewColumns(cmd.OutOrStdout())
			fmt.Fprintln(tw, "NAME\tSOURCE\tLANGUAGE\tTITLE")
			for _, m := range matches {
				t := m.Template
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.Source, orDash(t.Language), t.Title)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the matches as JSON")
	return cmd
}

func newCatalogSourcesCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sources",
		Short: "List the configured sources of templates",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := openCatalog()
			if err != nil {
				return err
			}
			type row struct {
				Name     string `json:"name"`
				Kind     string `json:"kind"`
				Location string `json:"location"`
			}
			rows := []row{}
			for _, s := range c.Sources() {
				rows = append(rows, row{s.Name(), s.Kind(), s.Location()})
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), rows)
			}
			tw := display.NewColumns(cmd.OutOrStdout())
			fmt.Fprintln(tw, "NAME\tKIND\tLOCATION")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Name, r.Kind, r.Location)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "configuration: %s\n", c.Paths.ConfigFile)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the sources as JSON")
	return cmd
}

func newCatalogAddCmd() *cobra.Command {
	var forceGit bool
	var branch string
	cmd := &cobra.Command{
		Use:   "add NAME URL_OR_PATH",
		Short: "Add a source: a git repository or a local directory of templates",
		Long: `Add a source of templates. A URL (https://, http://, file://, user@host:path)
is a git repository; a path is a local directory read as it is, unless it is
a bare git repository or --git is given. Nothing is fetched until the
catalog is next used.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := openCatalog()
			if err != nil {
				return err
			}
			s, err := catalog.NewSourceConfig(args[0], args[1], forceGit || branch != "")
			if err != nil {
				return inputError{err}
			}
			s.Branch = branch
			if err := c.Config.Add(s); err != nil {
				return inputError{err}
			}
			if err := catalog.SaveConfig(c.Paths.ConfigFile, c.Config); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "added %s source %q: %s\n", s.Kind(), s.Name, s.Shown())
			return nil
		},
	}
	cmd.Flags().BoolVar(&forceGit, "git", false, "treat a local path as a git repository to clone")
	cmd.Flags().StringVar(&branch, "branch", "", "git branch to follow (default: the repository's default branch)")
	return cmd
}

func newCatalogRemoveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a source from the configuration",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := openCatalog()
			if err != nil {
				return err
			}
			if err := c.Config.Remove(args[0]); err != nil {
				return findError(inputError{err})
			}
			if err := catalog.SaveConfig(c.Paths.ConfigFile, c.Config); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed source %q\n", args[0])
			return nil
		},
	}
}

func newCatalogUpdateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "update [SOURCE...]",
		Short: "Fetch the git sources again",
		Long: `Fetch every git source (or the named ones) and reset its cached clone to the
newest commit of its branch. Local edits in the cache are discarded; a cache
that git cannot read is cloned again. A source that cannot be reached keeps
its cache and makes ocs exit 4 after the others are updated.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := openCatalog()
			if err != nil {
				return err
			}
			results, failed, err := c.Update(cmd.Context(), args...)
			if err != nil {
				return findError(inputError{err})
			}
			for _, r := range results {
				switch r.Action {
				case "none":
				case "unchanged":
					fmt.Fprintf(cmd.OutOrStdout(), "%s: up to date at %s\n", r.Source, short(r.To))
				case "updated":
					fmt.Fprintf(cmd.OutOrStdout(), "%s: updated %s..%s\n", r.Source, short(r.From), short(r.To))
				default:
					fmt.Fprintf(cmd.OutOrStdout(), "%s: %s at %s\n", r.Source, r.Action, short(r.To))
				}
			}
			for _, f := range failed {
				fmt.Fprintf(cmd.ErrOrStderr(), "ocs: error: %s\n", f.Err)
			}
			if len(failed) > 0 {
				return reported{fmt.Errorf("%d of %d sources not updated", len(failed), len(failed)+len(results))}
			}
			return nil
		},
	}
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}
