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

func newCheckCmd() *cobra.Command {
	return &cobra.Command{
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
			for _, p := range problems {
				fmt.Fprintf(cmd.ErrOrStderr(), "ocs: error: %s: %s\n", args[0], p)
			}
			if len(problems) > 0 {
				return reported{inputError{fmt.Errorf("%d problems", len(problems))}}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", args[0])
			if asked := runner.AskedSecrets(nb); len(asked) > 0 {
				names := make([]string, len(asked))
				for i, a := range asked {
					names[i] = a.Name
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: secrets asked for with getpass(): %s\n", args[0], strings.Join(names, ", "))
			}
			return nil
		},
	}
}
