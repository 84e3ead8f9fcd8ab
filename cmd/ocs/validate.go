package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"ocs/notebook"
)

// validateReport is `ocs validate --json` (docs/json.md).
type validateReport struct {
	Schema int            `json:"schema"`
	Files  []validateFile `json:"files"`
}

type validateFile struct {
	Path     string            `json:"path"`
	Valid    bool              `json:"valid"`
	Problems []validateProblem `json:"problems"`
}

type validateProblem struct {
	// Place is a JSON path (cells[12].outputs[0].output_type) or a
	// line:column; "" is the file as a whole.
	Place   string `json:"place"`
	Message string `json:"message"`
}

func newValidateCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
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
			rep := validateReport{Schema: 1, Files: []validateFile{}}
			for _, path := range args {
				_, err := notebook.ReadFile(path)
				if asJSON {
					rep.Files = append(rep.Files, validateResult(path, err))
					if err != nil {
						failed++
					}
					continue
				}
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
			if asJSON {
				if err := writeJSON(cmd.OutOrStdout(), rep); err != nil {
					return err
				}
			}
			if failed > 0 {
				return reported{inputError{fmt.Errorf("%d of %d notebooks invalid", failed, len(args))}}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the verdicts as JSON (docs/json.md)")
	return cmd
}

// validateResult is one file's verdict for --json.
func validateResult(path string, err error) validateFile {
	v := validateFile{Path: path, Valid: err == nil, Problems: []validateProblem{}}
	if err == nil {
		return v
	}
	var ve *notebook.ValidationError
	var se *notebook.SyntaxError
	switch {
	case errors.As(err, &ve):
		for _, p := range ve.Problems {
			v.Problems = append(v.Problems, validateProblem{Place: p.Path, Message: p.Msg})
		}
	case errors.As(err, &se):
		v.Problems = append(v.Problems, validateProblem{Place: fmt.Sprintf("%d:%d", se.Line, se.Col), Message: se.Msg})
	default:
		v.Problems = append(v.Problems, validateProblem{Message: err.Error()})
	}
	return v
}
