package main

import (
	"fmt"
	"path/filepath"

	"ocs/notebook"
	"ocs/runner"
)

// workFolder lays out and returns the work folder the notebook's cells run
// in, or "" when they run in the notebook's folder as before: a Python
// notebook of a template folder (one with scripts/, playbooks/,
// group_vars/, ...) runs in ./builds/NAME/ or --workdir DIR; any notebook
// runs in --workdir DIR when it is given; --cwd turns all of it off. A
// record runs again in the work folder it ran in.
func workFolder(nb *notebook.Notebook, s step, f *runFlags) (string, error) {
	if f.cwd != "" {
		return "", nil
	}
	path, template := s.path, s.source.Template
	if runner.IsRecord(nb) {
		src := runner.RecordSource(nb)
		if f.workdir == "" && src.Workdir != "" {
			f = &runFlags{workdir: src.Workdir}
		}
		if src.Path != "" {
			path, template = src.Path, src.Template
		}
	}
	root, isTemplate := runner.TemplateRoot(path)
	if f.workdir == "" && (!isTemplate || !runner.IsPython(nb)) {
		return "", nil
	}
	if !isTemplate {
		root = filepath.Dir(path)
	}
	wd := f.workdir
	if wd == "" {
		wd = filepath.Join("builds", runner.WorkdirName(template, root))
	}
	wd, err := filepath.Abs(wd)
	if err != nil {
		return "", inputError{fmt.Errorf("work folder: %w", err)}
	}
	if err := runner.LayoutWorkdir(root, wd); err != nil {
		return "", err
	}
	return wd, nil
}
