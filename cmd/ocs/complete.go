package main

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"ocs/catalog"
	"ocs/kernel/jupyter"
)

// completionBudget bounds what a TAB may cost: completion reads the
// catalog as it is cached and gives up rather than make the shell wait.
const completionBudget = 2 * time.Second

// addCompletions teaches the shell completion what ocs's arguments are:
// template names and notebook files for run and check, build records for
// --resume and status, group names for the vcp verbs, and the values of
// enum flags.
func addCompletions(root *cobra.Command) {
	enum := map[string][]string{
		"log-format": {"auto", "console", "json"},
		"log-level":  {"debug", "info", "warn", "error"},
	}
	for flag, values := range enum {
		values := values
		_ = root.RegisterFlagCompletionFunc(flag, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return values, cobra.ShellCompDirectiveNoFileComp
		})
	}
	for _, c := range root.Commands() {
		switch c.Name() {
		case "run":
			c.ValidArgsFunction = completeRunSource
			runEnums := map[string]func() []string{
				"vcp":      func() []string { return []string{"ocs", "native"} },
				"provider": func() []string { return []string{"local", "onpremises", "aws=local", "azure=local"} },
				"kernel":   jupyter.Installed,
			}
			for flag, values := range runEnums {
				values := values
				_ = c.RegisterFlagCompletionFunc(flag, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
					return values(), cobra.ShellCompDirectiveNoFileComp
				})
			}
		case "check":
			c.ValidArgsFunction = completeSource
		case "status", "report":
			c.ValidArgsFunction = completeRecords
		case "vcp":
			for _, v := range c.Commands() {
				if strings.Contains(v.Use, "GROUP") || strings.Contains(v.Use, "TARGET") {
					v.ValidArgsFunction = completeGroups
				}
			}
		}
	}
}

// completeRunSource offers build records after --resume, templates and
// notebooks otherwise.
func completeRunSource(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	if resume, _ := cmd.Flags().GetBool("resume"); resume {
		return completeRecords(cmd, args, toComplete)
	}
	return completeSource(cmd, args, toComplete)
}

// completeSource offers catalog names (NAME, SOURCE:NAME, NAME/NOTEBOOK)
// and, through the shell's own file completion, notebook files.
func completeSource(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), completionBudget)
	defer cancel()
	c, err := catalog.Open()
	if err != nil {
		return nil, cobra.ShellCompDirectiveDefault
	}
	names := map[string]bool{}
	for _, t := range c.List(ctx).Templates {
		names[t.Name] = true
		names[t.Source+":"+t.Name] = true
		if len(t.Notebooks) > 1 {
			for _, nb := range t.Notebooks {
				names[t.Name+"/"+strings.TrimSuffix(filepath.Base(nb.Path), filepath.Ext(nb.Path))] = true
			}
		}
	}
	out := matching(names, toComplete)
	out = append(out, files(toComplete, ".ipynb", ".go", ".py")...)
	return out, cobra.ShellCompDirectiveNoSpace
}

// completeRecords offers the build records under ./builds and files.
func completeRecords(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	prefix := toComplete
	if prefix == "" {
		prefix = "builds" + string(filepath.Separator)
	}
	return files(prefix, ".ipynb"), cobra.ShellCompDirectiveNoSpace
}

// completeGroups offers the unit groups of the state directory.
func completeGroups(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	dir, _ := cmd.Flags().GetString("state-dir")
	o := &vcpOpts{stateDir: dir}
	m, err := o.manager()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), completionBudget)
	defer cancel()
	gs, err := m.List(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names := map[string]bool{}
	for _, g := range gs {
		names[g.Name] = true
	}
	return matching(names, toComplete), cobra.ShellCompDirectiveNoFileComp
}

func matching(names map[string]bool, prefix string) []string {
	var out []string
	for n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// files lists the folders and the files with one of exts that start with
// prefix (a path typed so far).
func files(prefix string, exts ...string) []string {
	dir, base := filepath.Split(prefix)
	entries, err := os.ReadDir(filepath.Clean(dir + "."))
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, base) || strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".") {
			continue
		}
		switch {
		case e.IsDir():
			out = append(out, dir+name+string(filepath.Separator))
		case hasExt(name, exts):
			out = append(out, dir+name)
		}
	}
	return out
}

func hasExt(name string, exts []string) bool {
	for _, x := range exts {
		if strings.HasSuffix(name, x) {
			return true
		}
	}
	return false
}
