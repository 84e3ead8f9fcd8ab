package main

import (
	"errors"

	"ocs/notebook"
	"ocs/runner"
)

// recordLocks are the build records one run holds: the record it writes,
// and the record it continues when that is another file.
type recordLocks []*runner.RecordLock

// lock takes the exclusive lock on record, unless this run holds it
// already; a record another run holds is exit 2 naming that run.
func (l *recordLocks) lock(record string) error {
	for _, held := range *l {
		if held.Holds(record) {
			return nil
		}
	}
	lk, err := runner.LockRecord(record)
	if err != nil {
		var locked *runner.LockedError
		if errors.As(err, &locked) {
			return inputError{err}
		}
		return err
	}
	*l = append(*l, lk)
	return nil
}

func (l *recordLocks) unlock() {
	for _, lk := range *l {
		_ = lk.Unlock()
	}
	*l = nil
}

// lockContinued locks a record that a run continues and reads it again,
// with the effect starts its log holds: what another run wrote into it
// before the lock was taken counts.
func (l *recordLocks) lockContinued(path string) (*notebook.Notebook, error) {
	if err := l.lock(path); err != nil {
		return nil, err
	}
	nb, err := notebook.ReadFile(path)
	if err != nil {
		return nil, inputError{err}
	}
	if err := applyEffectLog(nb, path); err != nil {
		return nil, err
	}
	return nb, nil
}

// applyEffectLog puts into nb, the record read from path, the effect
// starts that a killed run logged beside it and did not save into it
// (docs/record.md, "Saving").
func applyEffectLog(nb *notebook.Notebook, path string) error {
	if _, err := runner.ApplyEffectLog(nb, path); err != nil {
		if errors.Is(err, runner.ErrInput) {
			return inputError{err}
		}
		return err
	}
	return nil
}
