package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"ocs/notebook"
)

func newConvertCmd() *cobra.Command {
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:   "convert IN... [-o OUT]",
		Short: "Convert a notebook to the text (percent) format and back",
		Long: `Convert between a notebook (.ipynb) and its text form in jupytext's percent
format (.go for Go notebooks, .py for Python ones): cells start at "// %%"
or "# %%" lines, markdown cells are comments, the notebook metadata is a
header comment. The direction follows the extensions. Outputs and execution
counts are left out of the text; cell ids, tags and metadata are kept, so a
notebook without outputs converts to text and back unchanged. See
docs/percent.md.

OUT defaults to IN with the other extension; an existing file is replaced
only when named with -o or with --force. -o - writes to stdout. Several INs
each go to their default OUT (go generate ./templates does this).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 && out != "" {
				return usageError{fmt.Errorf("-o takes one input file, got %d", len(args))}
			}
			for _, in := range args {
				if err := convertFile(cmd, in, out, force || out != ""); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to `OUT` (- for stdout)")
	cmd.Flags().BoolVar(&force, "force", false, "replace OUT if it exists")
	return cmd
}

// convertFile converts one notebook; out "" is IN with the other extension.
func convertFile(cmd *cobra.Command, in, out string, replace bool) error {
	toText := !notebook.IsTextFile(in)
	if toText && !strings.EqualFold(filepath.Ext(in), ".ipynb") {
		return usageError{fmt.Errorf("%s: convert reads .ipynb notebooks and .go or .py text notebooks", in)}
	}
	nb, err := openNotebook(cmd.ErrOrStderr(), in)
	if err != nil {
		return err
	}
	var data []byte
	if toText {
		lang, err := notebook.TextLanguageOf(nb)
		if err != nil {
			return inputError{fmt.Errorf("%s: %w", in, err)}
		}
		if out == "" {
			out = strings.TrimSuffix(in, filepath.Ext(in)) + lang.Extension
		} else if out != "-" && !strings.EqualFold(filepath.Ext(out), lang.Extension) {
			return usageError{fmt.Errorf("%s is a %s notebook: its text form is a %s file, not %s", in, lang.Name, lang.Extension, out)}
		}
		if data, err = nb.TextBytes(); err != nil {
			return inputError{fmt.Errorf("%s: %w", in, err)}
		}
	} else {
		if out == "" {
			out = strings.TrimSuffix(in, filepath.Ext(in)) + ".ipynb"
		} else if out != "-" && !strings.EqualFold(filepath.Ext(out), ".ipynb") {
			return usageError{fmt.Errorf("a text notebook converts to a .ipynb file, not %s", out)}
		}
		if data, err = nb.Bytes(); err != nil {
			return fmt.Errorf("convert %s: %w", in, err)
		}
	}
	if out == "-" {
		_, err = cmd.OutOrStdout().Write(data)
		return err
	}
	if !replace {
		if _, err := os.Stat(out); err == nil {
			return hinted{usageError{fmt.Errorf("%s exists", out)}, "name it with -o to replace it, or use --force"}
		}
	}
	if sameFile(in, out) {
		return usageError{fmt.Errorf("%s would overwrite the notebook it converts", out)}
	}
	if err := notebook.WriteBytes(out, data); err != nil {
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout(), out)
	return nil
}
