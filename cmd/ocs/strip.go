package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"ocs/notebook"
)

func newStripCmd() *cobra.Command {
	var out string
	var inPlace bool
	cmd := &cobra.Command{
		Use:   "strip FILE... [-o OUT | --in-place]",
		Short: "Turn build records back into clean templates",
		Long: `Clear outputs, execution counts and ocs's own run metadata (metadata.ocs,
the execution timestamps, the injected parameter cell), keeping everything
else, the way templates are committed. A notebook with nothing to strip comes
out byte for byte the same.

With one FILE and neither -o nor --in-place, the result goes to stdout.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case out != "" && inPlace:
				return usageError{fmt.Errorf("-o and --in-place cannot be used together")}
			case out != "" && len(args) > 1:
				return usageError{fmt.Errorf("-o takes one input file, got %d", len(args))}
			case out == "" && !inPlace && len(args) > 1:
				return usageError{fmt.Errorf("several files need --in-place")}
			}
			for _, path := range args {
				data, err := os.ReadFile(path)
				if err != nil {
					return inputError{fmt.Errorf("strip: %w", err)}
				}
				nb, warnings, err := notebook.Decode(data, path)
				if err != nil {
					return err
				}
				printWarnings(cmd.ErrOrStderr(), path, warnings)
				stripped := data
				if nb.Strip() {
					encode := nb.Bytes
					if notebook.IsTextFile(path) {
						encode = nb.TextBytes
					}
					if stripped, err = encode(); err != nil {
						return fmt.Errorf("strip %q: %w", path, err)
					}
				}
				switch {
				case inPlace:
					if bytes.Equal(stripped, data) {
						continue
					}
					err = notebook.WriteBytes(path, stripped)
				case out != "":
					err = notebook.WriteBytes(out, stripped)
				default:
					_, err = cmd.OutOrStdout().Write(stripped)
				}
				if err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the stripped notebook to `OUT`")
	cmd.Flags().BoolVar(&inPlace, "in-place", false, "rewrite each FILE")
	return cmd
}
