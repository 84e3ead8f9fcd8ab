package report

import (
	"fmt"
	"os"
	"path/filepath"

	"ocs/notebook"
)

// WriteFile writes the report of nb to path atomically (a temporary file
// in the same folder, then a rename), so a reader never opens half a page.
func WriteFile(path string, nb *notebook.Notebook, opts Options) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := Render(tmp, nb, opts); err != nil {
		return fmt.Errorf("write report %q: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("write report %q: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write report %q: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write report %q: %w", path, err)
	}
	return nil
}

// PathFor is where the report of the record at path goes by default:
// beside it, with .html for .ipynb.
func PathFor(record string) string {
	return record[:len(record)-len(filepath.Ext(record))] + ".html"
}

// Beside returns Options for a report written at reportPath of the record
// at recordPath: side-log links that work from the report's folder.
func Beside(recordPath, reportPath string) Options {
	opts := Options{Record: recordPath}
	rd, err1 := filepath.Abs(filepath.Dir(reportPath))
	nd, err2 := filepath.Abs(filepath.Dir(recordPath))
	if err1 == nil && err2 == nil {
		if rel, err := filepath.Rel(rd, nd); err == nil && rel != "." {
			opts.SideLogDir = filepath.ToSlash(rel)
		}
	}
	return opts
}
