package runner

import (
	"context"
	"path/filepath"
	"testing"

	"ocs/notebook"
)

// BenchmarkRun200Cells runs a notebook of 200 code cells, each with a small
// result, against the script kernel: the runner's own cost per cell (output
// capture, masking, metadata and the record saved before and after every
// cell), without an interpreter.
func BenchmarkRun200Cells(b *testing.B) {
	dir := b.TempDir()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		nb := &notebook.Notebook{Format: 4, FormatMinor: 5, Metadata: map[string]any{
			"kernelspec": map[string]any{"name": "ocs-go", "display_name": "Go (ocs)", "language": "go"}}}
		for j := 0; j < 200; j++ {
			nb.Cells = append(nb.Cells, notebook.NewCell(notebook.Code, "result 1"))
		}
		nb.EnsureIDs()
		r, err := New(nb, Options{Record: filepath.Join(dir, "record.ipynb")})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := r.Execute(context.Background(), &scriptKernel{})
		if err != nil || res.Status != Completed {
			b.Fatalf("run: %v, %+v", err, res)
		}
	}
}
