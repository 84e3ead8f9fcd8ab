package runner

import (
	"fmt"

	"ocs/notebook"
)

// Problem is something `ocs check` found wrong with a template, at a cell.
type Problem struct {
	Cell int    // index; -1 for the notebook as a whole
	ID   string // cell id
	Msg  string
}

func (p Problem) String() string {
	if p.Cell < 0 {
		return p.Msg
	}
	if p.ID != "" {
		return fmt.Sprintf("cells[%d] (id %s): %s", p.Cell, p.ID, p.Msg)
	}
	return fmt.Sprintf("cells[%d]: %s", p.Cell, p.Msg)
}

// Check finds what can be found wrong with a template without running it:
// a language this build cannot run, a parameters cell that cannot be read,
// and every code cell that checkCell (the kernel's own check: magics, shell
// lines, syntax) rejects.
func Check(nb *notebook.Notebook, checkCell func(src string) error) []Problem {
	var problems []Problem
	if err := checkLanguage(nb); err != nil {
		return []Problem{{Cell: -1, Msg: err.Error()}}
	}
	if _, at, err := Params(nb); err != nil {
		problems = append(problems, Problem{Cell: at, ID: nb.Cells[at].ID, Msg: err.Error()})
	}
	for i, c := range nb.Cells {
		if c.Type != notebook.Code || c.HasTag(TagSkipExecution) {
			continue
		}
		if err := checkCell(c.Source.String()); err != nil {
			problems = append(problems, Problem{Cell: i, ID: c.ID, Msg: err.Error()})
		}
	}
	return problems
}
