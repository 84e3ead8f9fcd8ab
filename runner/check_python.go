package runner

import (
	"errors"

	"ocs/notebook"
	"ocs/templates"
)

// CheckPython finds what can be found wrong with a Python template without
// running it: a parameters cell (papermill's or a vcp:parameters one) that
// cannot be read, and every code cell that compile rejects (the caller's
// compile: IPython's transformations, then Python's). Placeholders of
// vcp:parameters cells are given None for the compile, as a run gives them
// values. Cells tagged skip-execution are not checked. The error is for a
// check that could not run.
func CheckPython(nb *notebook.Notebook, compile func(sources []string) ([]error, error)) ([]Problem, error) {
	var problems []Problem
	placeholders := map[int]map[string]string{}
	d, err := declare(nb)
	if err == nil {
		err = d.paramsErr
	}
	var pe *cellParseError
	if errors.As(err, &pe) {
		problems = append(problems, Problem{Cell: pe.index, ID: nb.Cells[pe.index].ID, Msg: err.Error()})
	}
	if d != nil {
		for _, v := range d.vcp {
			for _, p := range v.read.Params {
				if p.Kind == templates.KindRequired {
					if placeholders[v.index] == nil {
						placeholders[v.index] = map[string]string{}
					}
					placeholders[v.index][p.Name] = "None"
				}
			}
		}
	}
	var sources []string
	var cells []int
	for i, c := range nb.Cells {
		if c.Type != notebook.Code || c.HasTag(TagSkipExecution) {
			continue
		}
		src := c.Source.String()
		if values, ok := placeholders[i]; ok {
			if read, err := templates.ParseVCPParams(src); err == nil {
				src = read.Fill(values)
			}
		}
		sources, cells = append(sources, src), append(cells, i)
	}
	if len(sources) == 0 {
		return problems, nil
	}
	errs, err := compile(sources)
	if err != nil {
		return problems, err
	}
	for j, e := range errs {
		if e != nil {
			i := cells[j]
			problems = append(problems, Problem{Cell: i, ID: nb.Cells[i].ID, Msg: e.Error()})
		}
	}
	return problems, nil
}
