package main

import (
	"fmt"
	"io"

	"ocs/notebook"
)

// openNotebook reads the notebook at path the way Jupyter does, printing
// what was repaired or tolerated as warnings that name the file and the
// place. Only ocs validate reads strictly.
func openNotebook(stderr io.Writer, path string) (*notebook.Notebook, error) {
	nb, warnings, err := notebook.Open(path)
	if err != nil {
		return nil, inputError{err}
	}
	printWarnings(stderr, path, warnings)
	return nb, nil
}

func printWarnings(stderr io.Writer, path string, warnings []notebook.Problem) {
	for _, w := range warnings {
		fmt.Fprintf(stderr, "ocs: warning: %s: %s\n", path, w)
	}
}
