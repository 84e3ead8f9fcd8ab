package jupyter

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"ocs/kernel"
	"ocs/kernel/kerneltest"
)

// ownStart starts the kernelspec's command as the kernelspec says (its
// argv and env, added to this process's environment and extraEnv; nothing
// of ocs's set-up, command-line options or handshake), and returns how
// long the kernel took from the spawn of its process to the arrival of its
// kernel_info_reply: "the kernel's own start", which ocs's start-up is
// measured against. The kernel is killed before it returns.
func ownStart(tb testing.TB, spec *Spec, extraEnv ...string) time.Duration {
	tb.Helper()
	conn, err := newConnection(spec.Name)
	if err != nil {
		tb.Fatal(err)
	}
	folder, connFile, err := writeConnectionFile(tb.TempDir(), conn)
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(folder)
	argv := spec.Argv
	argv = (&Spec{Argv: argv, Dir: spec.Dir}).command(connFile)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = os.Environ()
	cmd.Env = append(cmd.Env, extraEnv...)
	for name, value := range spec.Env {
		cmd.Env = append(cmd.Env, name+"="+value)
	}
	cmd.SysProcAttr = kernelProcAttr()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	began := time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	defer func() {
		killGroup(cmd)
		_ = cmd.Wait()
	}()
	ch, err := dial(ctx, conn, newID())
	if err != nil {
		tb.Fatal(err)
	}
	defer ch.close()
	h, err := ch.send(ch.shell, "kernel_info_request", map[string]any{}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for {
		select {
		case m := <-ch.shellIn:
			if m.Parent.MsgID == h.MsgID && m.Header.MsgType == "kernel_info_reply" {
				return time.Since(began)
			}
		case <-ctx.Done():
			tb.Fatal("no kernel_info_reply within 30s")
		}
	}
}

// BenchmarkStart is the kernel's own start: the kernelspec's command, from
// the spawn of its process to its kernel_info_reply (see ownStart). ocs's
// start-up (BenchmarkNew, and bench/run's start-up case) is held to this
// plus 100 ms. ocs-env is the environment ocs gives a kernel
// (PYDEVD_DISABLE_FILE_VALIDATION=1, which quiets ipykernel 6's debugger
// warning and skips its frozen-module check: the stricter baseline);
// jupyter-env is the kernelspec alone, as jupyter_client starts it.
func BenchmarkStart(b *testing.B) {
	kerneltest.NeedKernel(b)
	spec, err := Find("python3")
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		env  []string
	}{
		{"ocs-env", []string{"PYDEVD_DISABLE_FILE_VALIDATION=1"}},
		{"jupyter-env", nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				total += ownStart(b, spec, bc.env...)
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/start")
		})
	}
}

// BenchmarkNew is ocs's start of the same kernel: New until the kernel is
// ready for the first cell (process, handshake, OCS set-up code).
func BenchmarkNew(b *testing.B) {
	kerneltest.NeedKernel(b)
	spec, err := Find("python3")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		k, err := New(context.Background(), Options{Spec: spec, RuntimeDir: b.TempDir(), CacheDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = k.Close()
		b.StartTimer()
	}
}

// BenchmarkClose is Close of a kernel that ran a cell, until its process
// is gone.
func BenchmarkClose(b *testing.B) {
	kerneltest.NeedKernel(b)
	spec, err := Find("python3")
	if err != nil {
		b.Fatal(err)
	}
	cache := b.TempDir()
	for b.Loop() {
		b.StopTimer()
		k, err := New(context.Background(), Options{Spec: spec, RuntimeDir: b.TempDir(), CacheDir: cache})
		if err != nil {
			b.Fatal(err)
		}
		if err := k.Execute(context.Background(), kernel.Cell{Source: "x = 1"}, &kerneltest.Recorder{}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		_ = k.Close()
	}
}

// benchKernel starts the python3 kernel a benchmark runs its cells in,
// closed when the benchmark ends.
func benchKernel(b *testing.B) *Kernel {
	kerneltest.NeedKernel(b)
	spec, err := Find("python3")
	if err != nil {
		b.Fatal(err)
	}
	k, err := New(context.Background(), Options{Spec: spec, RuntimeDir: b.TempDir(), CacheDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = k.Close() })
	return k
}

func benchCell(b *testing.B, src string) {
	k := benchKernel(b)
	rec := &kerneltest.Recorder{}
	for b.Loop() {
		rec.Reset()
		if err := k.Execute(context.Background(), kernel.Cell{Source: src}, rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrivialCell is one execute request of `x = 1`, to reply and idle.
func BenchmarkTrivialCell(b *testing.B) { benchCell(b, "x = 1") }

// BenchmarkShellTrue is a cell of `!true`: through the bridge, journaled.
func BenchmarkShellTrue(b *testing.B) { benchCell(b, "!true") }

// countingHost keeps nothing but the number of stream bytes, as a runner
// past its output cap keeps little.
type countingHost struct{ bytes int }

func (h *countingHost) Output(o kernel.Output) { h.bytes += len(o.Text) }
func (h *countingHost) Effect(kernel.Effect)   {}
func (h *countingHost) Secret(name string) (string, error) {
	return "", fmt.Errorf("no secret %q", name)
}

// BenchmarkOutput20MB is the client's memory for a cell that prints 20 MB
// in 100-byte lines (bench/gen's output20mb): ipykernel sends it in
// stream messages of a few MB, each read, verified and decoded.
// peak-heap-MB is the client's, above the heap before the cell.
func BenchmarkOutput20MB(b *testing.B) {
	k := benchKernel(b)
	src := fmt.Sprintf("line = %q\nfor i in range(200000):\n    print(line)", strings.Repeat("0123456789", 10)[:99])
	var peak kerneltest.Peak
	for b.Loop() {
		h := &countingHost{}
		p := kerneltest.MeasurePeak(b, func() {
			if err := k.Execute(context.Background(), kernel.Cell{Source: src}, h); err != nil {
				b.Fatal(err)
			}
		})
		if h.bytes != 200000*100 {
			b.Fatalf("the cell printed %d bytes, want %d", h.bytes, 200000*100)
		}
		peak.Heap, peak.RSS = max(peak.Heap, p.Heap), max(peak.RSS, p.RSS)
	}
	peak.Report(b)
}
