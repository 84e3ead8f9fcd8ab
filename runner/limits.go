package runner

import "ocs/notebook"

// MaxCellSource is the largest source a code cell may have (1 MiB): a
// template's cell is code a person wrote, and a bigger one is a mistake
// or an attack on the kernel's memory. docs/security.md lists the limits.
const MaxCellSource = 1 << 20

// checkSourceSizes refuses a notebook with a code cell over MaxCellSource.
func checkSourceSizes(nb *notebook.Notebook) error {
	for i, c := range nb.Cells {
		if c.Type != notebook.Code {
			continue
		}
		if n := len(c.Source.String()); n > MaxCellSource {
			return invalid("cell %d (id %q): its source is %d bytes, over the limit of %d", i, c.ID, n, MaxCellSource)
		}
	}
	return nil
}
