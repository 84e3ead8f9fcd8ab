package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"ocs/kernel/gokernel"
	"ocs/kernel/pycheck"
	"ocs/kernel/vcpcell"
	"ocs/runner"
)

// checkReport is `ocs check --json` (docs/json.md).
type checkReport struct {
	Schema   int            `json:"schema"`
	Source   string         `json:"source"`
	OK       bool           `json:"ok"`
	Problems []checkProblem `json:"problems"`
	// Secrets are the names a Python template asks for with getpass().
	Secrets []string `json:"secrets"`
}

type checkProblem struct {
	Cell    int    `json:"cell"` // -1: the notebook as a whole
	ID      string `json:"id,omitempty"`
	Message string `json:"message"`
}

func newCheckCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check SOURCE",
		Short: "Check a template without running it",
		Long: `Check a template without running it: the notebook against the nbformat
schema, its language, its parameters cell, and every code cell's magics,
shell lines and Go syntax, each reported by cell and line. Type errors need
the session that earlier cells build, so only ocs run finds those.

Python notebooks: the parameters cells (papermill's parameters tag, OCS's
vcp:parameters placeholders), and every code cell compiled by
/usr/bin/python3 after IPython's own transformations of !, x = !cmd and
%magic lines; names, imports and types are not checked. The secrets the
template asks for with getpass() are listed.

Exit status: 0 when nothing was found, 2 otherwise.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			nb, err := openNotebook(cmd.ErrOrStderr(), args[0])
			if err != nil {
				return err
			}
			var problems []runner.Problem
			if runner.IsPython(nb) {
				problems, err = runner.CheckPython(nb, func(sources []string) ([]error, error) {
					return pycheck.Compile(cmd.Context(), pycheck.DefaultPython, sources)
				})
				if err != nil {
					return err
				}
			} else {
				vcpcell.RegisterMagic() // cells may use %%ssh, as in the worker
				problems = runner.Check(nb, gokernel.Check)
			}
			names := []string{}
			for _, a := range runner.AskedSecrets(nb) {
				names = append(names, a.Name)
			}
			if asJSON {
				rep := checkReport{Schema: 1, Source: args[0], OK: len(problems) == 0, Problems: []checkProblem{}, Secrets: names}
				for _, p := range problems {
					rep.Problems = append(rep.Problems, checkProblem{Cell: p.Cell, ID: p.ID, Message: p.Msg})
				}
				if err := writeJSON(cmd.OutOrStdout(), rep); err != nil {
					return err
				}
			} else {
				for _, p := range problems {
					fmt.Fprintf(cmd.ErrOrStderr(), "ocs: error: %s: %s\n", args[0], p)
				}
			}
			if len(problems) > 0 {
				return reported{inputError{fmt.Errorf("%d problems", len(problems))}}
			}
			if asJSON {
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", args[0])
			if len(names) > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: secrets asked for with getpass(): %s\n", args[0], strings.Join(names, ", "))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the findings as JSON (docs/json.md)")
	return cmd
}
