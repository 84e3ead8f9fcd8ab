package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"ocs/kernel/display"
	"ocs/notebook"
	"ocs/runner"
	"ocs/templates"
)

// declaredParams keeps the parameters nb declares: each notebook of a
// template gets the ones it knows.
func declaredParams(nb *notebook.Notebook, params map[string]string) map[string]string {
	decl, _, _ := runner.Params(nb)
	out := map[string]string{}
	for _, d := range decl {
		if v, ok := params[d.Name]; ok {
			out[d.Name] = v
		}
	}
	return out
}

// checkParamsDeclared rejects a parameter no notebook of the run declares,
// as the runner does for one notebook.
func checkParamsDeclared(nbs []*notebook.Notebook, params map[string]string) error {
	known := map[string]bool{}
	for _, nb := range nbs {
		decl, _, _ := runner.Params(nb)
		for _, d := range decl {
			known[d.Name] = true
		}
	}
	for name := range params {
		if !known[name] {
			return inputError{fmt.Errorf("parameter %q is not declared by any notebook of the template (see --help-params)", name)}
		}
	}
	return nil
}

// selection reads --cells or --from against nb.
func selection(nb *notebook.Notebook, f *runFlags) (cells []int, from int, err error) {
	switch {
	case f.cells != "":
		cells, err = runner.ParseCells(nb, f.cells)
	case f.from != "":
		var one []int
		if one, err = runner.ParseCells(nb, f.from); err == nil {
			if len(one) != 1 {
				return nil, 0, usageError{fmt.Errorf("--from takes one cell, got %q", f.from)}
			}
			from = one[0]
		}
	}
	if err != nil {
		return nil, 0, inputError{err}
	}
	return cells, from, nil
}

// collectParams merges -f (first) and -p (later wins).
func collectParams(f *runFlags) (map[string]string, error) {
	params := map[string]string{}
	sources, err := paramSources(f)
	if err != nil {
		return nil, err
	}
	for _, src := range sources {
		values, err := yamlParams(src.data, src.name)
		if err != nil {
			return nil, err
		}
		for name, v := range values {
			params[name] = v
		}
	}
	for _, p := range f.params {
		name, value, ok := strings.Cut(p, "=")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, usageError{fmt.Errorf("-p %q: want name=value", p)}
		}
		params[strings.TrimSpace(name)] = value
	}
	return params, nil
}

func printParams(cmd *cobra.Command, nbs []*notebook.Notebook) error {
	if hasPython(nbs) {
		return printPyParams(cmd, nbs)
	}
	var all []templates.Param
	seen := map[string]bool{}
	for _, nb := range nbs {
		params, _, err := runner.Params(nb)
		if err != nil {
			return inputError{err}
		}
		for _, p := range params {
			if !seen[p.Name] {
				seen[p.Name] = true
				all = append(all, p)
			}
		}
	}
	if len(all) == 0 {
		fmt.Fprintln(cmd.OutOrStdout(), "this template declares no parameters")
		return nil
	}
	w := display.NewColumns(cmd.OutOrStdout())
	fmt.Fprintln(w, "NAME\tTYPE\tDEFAULT\tHELP")
	for _, p := range all {
		def := p.Default
		if (runner.IsSecretName(p.Name) || p.Secret) && def != "" {
			def = runner.Mask
		}
		fmt.Fprintf(w, "%s\t%s\t%q\t%s\n", p.Name, p.Type, def, p.Help)
	}
	return w.Flush()
}

// yamlParams reads a parameters file: a mapping of names to scalars or
// lists of scalars. Values keep their literal text (1.10 stays "1.10",
// 0777 "0777", a date as written), as -p would give them; the parameter's
// type then checks them.
// paramSource is one YAML document of parameters: a -f file or a -y text.
type paramSource struct {
	name string // the file's path, or "-y #N"
	data []byte
}

// paramSources are the YAML documents of a run in papermill's order of
// precedence, lowest first: the -f files as given, then the -y texts as
// given (-p, applied after them, wins over both).
func paramSources(f *runFlags) ([]paramSource, error) {
	var out []paramSource
	for _, path := range f.paramsFiles {
		data, err := readRegular(path, "parameters file", maxParamsFile)
		if err != nil {
			return nil, err
		}
		out = append(out, paramSource{name: path, data: data})
	}
	for i, text := range f.paramsYAML {
		if len(text) > maxParamsFile {
			return nil, usageError{fmt.Errorf("-y #%d is longer than %d bytes", i+1, maxParamsFile)}
		}
		out = append(out, paramSource{name: fmt.Sprintf("-y #%d", i+1), data: []byte(text)})
	}
	return out, nil
}

func yamlParams(data []byte, path string) (map[string]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, inputError{fmt.Errorf("parameters file %s: %w", path, err)}
	}
	out := map[string]string{}
	if len(doc.Content) == 0 {
		return out, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, inputError{fmt.Errorf("parameters file %s:%d: want a mapping of parameter names to values", path, root.Line)}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		name := key.Value
		if val.Kind == yaml.AliasNode {
			val = val.Alias
		}
		switch {
		case val.Kind == yaml.ScalarNode && val.Tag != "!!null":
			out[name] = val.Value
		case val.Kind == yaml.SequenceNode:
			items := make([]string, 0, len(val.Content))
			for _, item := range val.Content {
				if item.Kind == yaml.AliasNode {
					item = item.Alias
				}
				if item.Kind != yaml.ScalarNode {
					return nil, inputError{fmt.Errorf("parameters file %s:%d: the list %q must hold plain values", path, item.Line, name)}
				}
				items = append(items, item.Value)
			}
			out[name] = strings.Join(items, ",")
		default:
			return nil, inputError{fmt.Errorf("parameters file %s:%d: %q must be a value or a list", path, val.Line, name)}
		}
	}
	return out, nil
}

// paramsReport is `ocs run SOURCE --help-params --json` (docs/json.md).
type paramsReport struct {
	Schema     int         `json:"schema"`
	Parameters []paramInfo `json:"parameters"`
	// Secrets are the names Python cells ask for with getpass().
	Secrets []string `json:"secrets"`
}

type paramInfo struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Default  string `json:"default"`
	Required bool   `json:"required"`
	Example  string `json:"example,omitempty"`
	Help     string `json:"help,omitempty"`
	// Secret says the value is masked in records: a secret-looking name
	// or the template's own marker. Its default and example show masked.
	Secret bool `json:"secret"`
}

func printParamsJSON(cmd *cobra.Command, nbs []*notebook.Notebook) error {
	all, secrets, err := templateParams(nbs)
	if err != nil {
		return err
	}
	rep := paramsReport{Schema: 1, Parameters: []paramInfo{}, Secrets: secrets}
	if rep.Secrets == nil {
		rep.Secrets = []string{}
	}
	for _, p := range all {
		info := paramInfo{Name: p.Name, Type: p.Type, Default: p.Default, Required: p.Required(), Example: p.Example, Help: p.Help, Secret: runner.IsSecretName(p.Name) || p.Secret}
		if info.Secret {
			for _, v := range []*string{&info.Default, &info.Example} {
				if *v != "" {
					*v = runner.Mask
				}
			}
		}
		rep.Parameters = append(rep.Parameters, info)
	}
	return writeJSON(cmd.OutOrStdout(), rep)
}
