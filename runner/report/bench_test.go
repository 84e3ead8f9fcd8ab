package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"ocs/notebook"
)

// bigRecord is a record of 1,000 code cells (and a heading every ten)
// holding about 50 MB of outputs, mixed the way builds produce them: plain
// and coloured logs, HTML tables, images.
func bigRecord(b testing.TB) (*notebook.Notebook, int) {
	r := newRecord("go", "completed")
	line := "2026-12-01 10:00:00 node-1 | apt-get install -y nginx: Setting up nginx-core (1.22.1-9) ...\n"
	// An Ansible log: a plain task line, then one coloured line per host.
	colour := "TASK [nginx : install the package] *********************************\n" +
		"\x1b[0;33mchanged: [node-1]\x1b[0m\n\x1b[0;32mok: [node-2]\x1b[0m\n"
	var table strings.Builder
	table.WriteString("<table><thead><tr>")
	for c := 0; c < 13; c++ {
		fmt.Fprintf(&table, "<th>column %d</th>", c)
	}
	table.WriteString("</tr></thead><tbody>")
	for row := 0; row < 60; row++ {
		table.WriteString("<tr>")
		for c := 0; c < 13; c++ {
			fmt.Fprintf(&table, "<td>value %d.%d</td>", row, c)
		}
		table.WriteString("</tr>")
	}
	table.WriteString("</tbody></table>")
	img := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x89, 'P', 'N', 'G', 1, 2, 3, 4}, 4000))
	for i := 0; i < 1000; i++ {
		if i%10 == 0 {
			r.markdown(fmt.Sprintf("## Step %d\n\nWhat this step does, with a `command` and a [link](https://example.org).", i/10))
		}
		var outs []*notebook.Output
		switch i % 4 {
		case 0, 1: // a plain log
			outs = append(outs, notebook.NewStream("stdout", strings.Repeat(line, 50_000/len(line))))
		case 2: // a coloured log
			outs = append(outs, notebook.NewStream("stdout", strings.Repeat(colour, 50_000/len(colour))))
		case 3: // a table and an image
			outs = append(outs, notebook.NewDisplay(map[string]any{"text/html": table.String(), "text/plain": "table"}, nil),
				notebook.NewDisplay(map[string]any{"image/png": img[:50_000-table.Len()-20]}, nil))
		}
		r.code(fmt.Sprintf("import \"fmt\"\nfor i := 0; i < %d; i++ {\n\tfmt.Println(\"step\", i)\n}\n!ansible-playbook site.yml", i), "completed", 200*time.Millisecond, outs...)
	}
	data, err := r.nb.Bytes()
	if err != nil {
		b.Fatal(err)
	}
	return r.nb, len(data)
}

// BenchmarkRender renders the report of bigRecord. Besides time and
// allocations it reports peak-heap/record: the most live heap seen while
// rendering (the record itself included) over the record's size on disk.
func BenchmarkRender(b *testing.B) {
	nb, size := bigRecord(b)
	b.SetBytes(int64(size))
	b.ReportMetric(float64(size)/1e6, "record-MB")
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
		}
	}()
	runtime.GC()
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		if err := Render(io.Discard, nb, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	// CPU time as well as wall time: on a shared machine the wall time
	// says more about the neighbours.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(peak.Load())/float64(size), "peak-heap/record")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
