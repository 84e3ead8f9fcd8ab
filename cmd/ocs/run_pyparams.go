package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"ocs/kernel/display"
	"ocs/notebook"
	"ocs/runner"
	"ocs/templates"
)

// typedParams reads the parameters file again keeping each value's YAML
// type (Python notebooks get `5` as an int and `"5"` as a str, lists as
// lists), for the names of params that -p did not override.
func typedParams(f *runFlags, params map[string]string) (map[string]any, error) {
	sources, err := paramSources(f)
	if err != nil || len(sources) == 0 {
		return nil, err
	}
	given := map[string]bool{}
	for _, p := range f.params {
		name, _, _ := strings.Cut(p, "=")
		given[strings.TrimSpace(name)] = true
	}
	out := map[string]any{}
	for _, src := range sources {
		var doc yaml.Node
		if err := yaml.Unmarshal(src.data, &doc); err != nil {
			return nil, inputError{fmt.Errorf("parameters file %s: %w", src.name, err)}
		}
		if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		m := doc.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			name := m.Content[i].Value
			if _, ok := params[name]; !ok || given[name] {
				continue
			}
			v, err := templates.YAMLValue(m.Content[i+1])
			if err != nil {
				return nil, inputError{fmt.Errorf("parameters file %s: %q: %w", src.name, name, err)}
			}
			out[name] = v // a later document wins
		}
	}
	return out, nil
}

// checkRequired stops the run before any notebook starts when a required
// parameter of any of them has no value, naming every one.
func checkRequired(run []step, nbs []*notebook.Notebook, params map[string]string) error {
	if len(run) == 1 {
		if runner.IsRecord(nbs[0]) {
			return nil // a record's own values count; the runner merges them
		}
		if err := runner.CheckParams(nbs[0], params, displayPath(run[0].path)); err != nil {
			return inputError{err}
		}
		return nil
	}
	var missing []runner.Missing
	for i, s := range run {
		if runner.IsRecord(nbs[i]) {
			continue
		}
		m, err := runner.MissingParams(nbs[i], params)
		if err != nil {
			return inputError{fmt.Errorf("%s: %w", displayPath(s.path), err)}
		}
		for _, x := range m {
			x.Path = displayPath(s.path)
			missing = append(missing, x)
		}
	}
	if len(missing) > 0 {
		return inputError{&runner.MissingError{Missing: missing}}
	}
	return nil
}

// displayPath is path relative to the working directory when it lies below.
func displayPath(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	rel, err := filepath.Rel(wd, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return path
	}
	return rel
}

func hasPython(nbs []*notebook.Notebook) bool {
	for _, nb := range nbs {
		if runner.IsPython(nb) {
			return true
		}
	}
	return false
}

// printPyParams lists what Python notebooks declare: papermill's defaults
// and OCS's parameters, whether each is required, its examples, then the
// secrets the notebooks ask for with getpass().
// templateParams lists the parameters of every notebook a source runs,
// each name once (required if any notebook leaves it a placeholder), and
// the names their cells ask for with getpass().
func templateParams(nbs []*notebook.Notebook) ([]runner.Declared, []string, error) {
	var all []runner.Declared
	var secrets []string
	seen, seenSecret := map[string]int{}, map[string]bool{}
	for _, nb := range nbs {
		decl, err := runner.DeclaredParams(nb)
		if err != nil {
			return nil, nil, inputError{err}
		}
		for _, p := range decl {
			if i, ok := seen[p.Name]; ok {
				if p.Required() {
					all[i].Kind = p.Kind
				}
				continue
			}
			seen[p.Name] = len(all)
			all = append(all, p)
		}
		for _, s := range runner.AskedSecrets(nb) {
			if !seenSecret[s.Name] {
				seenSecret[s.Name] = true
				secrets = append(secrets, s.Name)
			}
		}
	}
	return all, secrets, nil
}

func printPyParams(cmd *cobra.Command, nbs []*notebook.Notebook) error {
	all, secrets, err := templateParams(nbs)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if len(all) == 0 && len(secrets) == 0 {
		fmt.Fprintln(out, "this template declares no parameters")
		return nil
	}
	if len(all) > 0 {
		w := display.NewColumns(out)
		fmt.Fprintln(w, "NAME\tTYPE\tDEFAULT\tREQUIRED\tEXAMPLE\tHELP")
		for _, p := range all {
			def, typ, ex := orDash(p.Default), orDash(p.Type), orDash(p.Example)
			if runner.IsSecretName(p.Name) && p.Default != "" {
				def = runner.Mask
			}
			if runner.IsSecretName(p.Name) && p.Example != "" {
				ex = runner.Mask
			}
			req := "no"
			if p.Required() {
				req = "yes"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, typ, oneLine(def), req, oneLine(ex), p.Help)
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	if len(secrets) > 0 {
		fmt.Fprintf(out, "secrets asked for with getpass() (give them with --secret NAME or --secrets FILE): %s\n", strings.Join(secrets, ", "))
	}
	return nil
}

// oneLine keeps a table row on one line whatever a default spans.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
