package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"ocs/notebook"
)

func newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check notebooks against the nbformat v4 schema",
		Long: `Check notebooks against the nbformat v4 schema (the schema of each
notebook's own minor version, 4.0 to 4.5). Every problem is reported with the
file and the place: a line and column for malformed JSON, a path such as
cells[12].outputs[0].output_type for schema problems.

Exit status: 0 when every file is valid, 2 when any is not.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			failed := 0
			for _, path := range args {
				_, err := notebook.ReadFile(path)
				if err == nil {
					fmt.Fprintf(cmd.OutOrStdout(), "%s: valid\n", path)
					continue
				}
				failed++
				var ve *notebook.ValidationError
				if errors.As(err, &ve) && len(ve.Problems) > 1 {
					for _, p := range ve.Problems {
						fmt.Fprintf(cmd.ErrOrStderr(), "ocs: error: %s: %s\n", path, p)
					}
					continue
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "ocs: error: %s\n", err)
			}
			if failed > 0 {
				return reported{inputError{fmt.Errorf("%d of %d notebooks invalid", failed, len(args))}}
			}
			return nil
		},
	}
}
