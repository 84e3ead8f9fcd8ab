package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// newManCmd writes a man page per verb, generated from the commands
// themselves so that they never drift from `ocs help`.
func newManCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "man DIR",
		Short: "Write the man pages of ocs into a folder",
		Long: `Write one man page per verb (ocs.1, ocs-run.1, ocs-vcp-rm.1, ...) into DIR,
made from the same text as ocs help. Nothing installs them; to read them:

  ocs man ~/.local/share/man/man1 && man ocs-run

or, system-wide, into /usr/local/share/man/man1.`,
		Example: `  ocs man ./man && man -l ./man/ocs-run.1
  sudo ocs man /usr/local/share/man/man1 && man ocs`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return inputError{fmt.Errorf("man page folder: %w", err)}
			}
			m := manWriter{source: "ocs " + readBuildInfo().Version, date: time.Now().Format("Jan 2006")}
			if err := m.tree(cmd.Root(), dir); err != nil {
				return fmt.Errorf("write man pages to %s: %w", dir, err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), dir)
			return nil
		},
	}
}

// manWriter writes man(7) pages of a command tree. It is ocs's own, not
// cobra/doc's, whose markdown converter (go-md2man, blackfriday) every ocs
// process initialised at start for a verb that is rarely run.
type manWriter struct {
	source, date string
}

// tree writes the page of cmd and of every visible command below it.
func (m manWriter) tree(cmd *cobra.Command, dir string) error {
	for _, c := range cmd.Commands() {
		if !c.IsAvailableCommand() || c.IsAdditionalHelpTopicCommand() {
			continue
		}
		if err := m.tree(c, dir); err != nil {
			return err
		}
	}
	name := strings.ReplaceAll(cmd.CommandPath(), " ", "-") + ".1"
	return os.WriteFile(filepath.Join(dir, name), m.page(cmd), 0o644)
}

func (m manWriter) page(cmd *cobra.Command) []byte {
	var b bytes.Buffer
	b.WriteString(".nh\n")
	fmt.Fprintf(&b, ".TH %s \"1\" %s %s \"ocs manual\"\n", manQuote("OCS"), manQuote(m.date), manQuote(m.source))
	b.WriteString(".SH NAME\n")
	fmt.Fprintf(&b, "%s \\- %s\n", manEscape(strings.ReplaceAll(cmd.CommandPath(), " ", "-")), manEscape(cmd.Short))
	b.WriteString(".SH SYNOPSIS\n")
	fmt.Fprintf(&b, "\\fB%s\\fP\n", manEscape(cmd.UseLine()))
	b.WriteString(".SH DESCRIPTION\n")
	long := cmd.Long
	if long == "" {
		long = cmd.Short
	}
	manText(&b, long)
	manFlags(&b, "OPTIONS", cmd.NonInheritedFlags())
	manFlags(&b, "OPTIONS INHERITED FROM PARENT COMMANDS", cmd.InheritedFlags())
	if cmd.Example != "" {
		b.WriteString(".SH EXAMPLE\n.PP\n.nf\n.RS\n")
		for _, line := range strings.Split(strings.TrimRight(cmd.Example, "\n"), "\n") {
			b.WriteString(manLine(line) + "\n")
		}
		b.WriteString(".RE\n.fi\n")
	}
	var see []string
	if cmd.HasParent() {
		see = append(see, cmd.Parent().CommandPath())
	}
	var children []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() && !c.IsAdditionalHelpTopicCommand() {
			children = append(children, c.CommandPath())
		}
	}
	sort.Strings(children)
	see = append(see, children...)
	if len(see) > 0 {
		b.WriteString(".SH SEE ALSO\n")
		for i, s := range see {
			sep := ","
			if i == len(see)-1 {
				sep = ""
			}
			fmt.Fprintf(&b, "\\fB%s\\fP(1)%s\n", manEscape(strings.ReplaceAll(s, " ", "-")), sep)
		}
	}
	return b.Bytes()
}

// manText writes help text: paragraphs at blank lines, and indented lines
// (examples, lists of values) kept as they are.
func manText(b *bytes.Buffer, text string) {
	inPre := false
	para := true
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		indented := strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")
		switch {
		case strings.TrimSpace(line) == "":
			if inPre {
				b.WriteString(".fi\n.RE\n")
				inPre = false
			}
			para = true
			continue
		case indented && !inPre:
			b.WriteString(".PP\n.RS\n.nf\n")
			inPre, para = true, false
		case !indented && inPre:
			b.WriteString(".fi\n.RE\n")
			inPre, para = false, true
		}
		if para {
			b.WriteString(".PP\n")
			para = false
		}
		b.WriteString(manLine(line) + "\n")
	}
	if inPre {
		b.WriteString(".fi\n.RE\n")
	}
}

// manFlags writes a section listing flags as ocs help shows them.
func manFlags(b *bytes.Buffer, title string, flags *pflag.FlagSet) {
	var entries []string
	flags.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		varname, usage := pflag.UnquoteUsage(f)
		head := "\\fB\\-\\-" + manEscape(f.Name) + "\\fP"
		if f.Shorthand != "" && f.ShorthandDeprecated == "" {
			head = "\\fB\\-" + manEscape(f.Shorthand) + "\\fP, " + head
		}
		if varname != "" {
			head += " " + manEscape(varname)
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "[]" && f.DefValue != "0" && f.DefValue != "0s" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		entries = append(entries, ".TP\n"+head+"\n"+manLine(usage)+"\n")
	})
	if len(entries) == 0 {
		return
	}
	b.WriteString(".SH " + title + "\n")
	for _, e := range entries {
		b.WriteString(e)
	}
}

// manLine escapes a line of text; one starting with a dot or a quote
// would otherwise be read as a request.
func manLine(s string) string {
	s = manEscape(s)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = "\\&" + s
	}
	return s
}

func manEscape(s string) string {
	return strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
}

func manQuote(s string) string {
	return `"` + strings.ReplaceAll(manEscape(s), `"`, `\(dq`) + `"`
}
