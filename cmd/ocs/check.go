package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"ocs/kernel/gokernel"
	"ocs/kernel/vcpcell"
	"ocs/notebook"
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

Exit status: 0 when nothing was found, 2 otherwise.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			nb, err := notebook.ReadFile(args[0])
			if err != nil {
				return inputError{err}
			}
			vcpcell.RegisterMagic() // cells may use %%ssh, as in the worker
			problems := runner.Check(nb, gokernel.Check)
			for _, p := range problems {
				fmt.Fprintf(cmd.ErrOrStderr(), "ocs: error: %s: %s\n", args[0], p)
			}
			if len(problems) > 0 {
				return reported{inputError{fmt.Errorf("%d problems", len(problems))}}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", args[0])
			return nil
		},
	}
}
