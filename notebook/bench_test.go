package notebook

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// bigNotebook returns the encoding of a notebook of about size bytes, most
// of it stream output, as long builds produce.
func bigNotebook(tb testing.TB, size int) []byte {
	tb.Helper()
	nb := &Notebook{Format: 4, FormatMinor: 5, Metadata: map[string]any{"kernelspec": map[string]any{"name": "ocs-go", "display_name": "Go (ocs)"}}}
	line := "2026-11-25T10:00:00Z TASK [deploy moodle] ok: [127.0.0.2] ノード " + strings.Repeat("x", 40) + "\n"
	var out strings.Builder
	for out.Len() < 500<<10 {
		out.WriteString(line)
	}
	for i := 0; i*out.Len() < size; i++ {
		c := NewCell(Code, fmt.Sprintf("!ansible-playbook -l group playbooks/step%d.yml\n", i))
		c.ID = fmt.Sprintf("cell-%d", i)
		n := i + 1
		c.ExecutionCount = &n
		c.Outputs = []*Output{NewStream("stdout", out.String()), NewResult(n, map[string]any{"text/plain": "ok"}, nil)}
		nb.Cells = append(nb.Cells, NewCell(Markdown, fmt.Sprintf("## Step %d\n", i)), c)
	}
	nb.EnsureIDs()
	data, err := nb.Bytes()
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// BenchmarkReadWrite50MB reads and writes a 50 MB notebook. Targets: under
// 1 s per op, and heap under 4x the file size (reported as heap/file: the
// live heap with the notebook loaded, relative to the file size).
func BenchmarkReadWrite50MB(b *testing.B) {
	data := bigNotebook(b, 50<<20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	var live uint64
	for i := 0; i < b.N; i++ {
		nb, err := Parse(data, "big.ipynb")
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			runtime.GC()
			runtime.ReadMemStats(&after)
			live = after.HeapAlloc - before.HeapAlloc
		}
		if err := nb.Encode(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(data))/(1<<20), "file-MB")
	b.ReportMetric(float64(live)/float64(len(data)), "heap/file")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(len(data)), "alloc/file(first)")
}
