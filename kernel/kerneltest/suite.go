package kerneltest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"ocs/kernel"
)

// Cells are the snippets, in a kernel's own language, that the conformance
// suite runs.
type Cells struct {
	// Streams writes "a\n" to stdout, "b\n" to stderr, "c\n" to stdout.
	Streams string
	// Result is a trailing expression whose text/plain is ResultText.
	Result, ResultText string
	// Display shows a display_data whose text/html is DisplayHTML.
	Display, DisplayHTML string
	// Panic fails at run time with an error whose value contains PanicText.
	Panic, PanicText string
	// SetState stores state that GetState's result (GetStateText) shows.
	SetState, GetState, GetStateText string
	// Loop never ends unless interrupted.
	Loop string
	// ShellSleep starts a shell child that writes its PID to pidFile and
	// then sleeps for a long time.
	ShellSleep func(pidFile string) string
}

// GoCells are the conformance cells for the Go kernel.
var GoCells = Cells{
	Streams:      "import (\n\t\"fmt\"\n\t\"os\"\n)\nfmt.Println(\"a\")\nfmt.Fprintln(os.Stderr, \"b\")\nfmt.Fprint(os.Stdout, \"c\\n\")",
	Result:       "x := 6\nx * 7",
	ResultText:   "42",
	Display:      "import \"ocs/display\"\ndisplay.Show(display.HTML(\"<b>hi</b>\"))",
	DisplayHTML:  "<b>hi</b>",
	Panic:        "var m map[string]int\nif len(m) == 0 {\n\tpanic(\"boom\")\n}",
	PanicText:    "boom",
	SetState:     "counter := 40",
	GetState:     "counter += 2\ncounter",
	GetStateText: "42",
	Loop:         "n := 0\nfor {\n\tn++\n}",
	ShellSleep: func(pidFile string) string {
		return "!echo $$ > " + pidFile + "; exec sleep 1000"
	},
}

// PythonCells are the conformance cells for Jupyter's Python kernel.
var PythonCells = Cells{
	Streams:      "import sys\nprint('a', flush=True)\nprint('b', file=sys.stderr, flush=True)\nprint('c', flush=True)",
	Result:       "x = 6\nx * 7",
	ResultText:   "42",
	Display:      "from IPython.display import HTML, display\ndisplay(HTML('<b>hi</b>'))",
	DisplayHTML:  "<b>hi</b>",
	Panic:        "m = {}\nif len(m) == 0:\n    raise ValueError('boom')",
	PanicText:    "boom",
	SetState:     "counter = 40",
	GetState:     "counter += 2\ncounter",
	GetStateText: "42",
	Loop:         "n = 0\nwhile True:\n    n += 1",
	ShellSleep: func(pidFile string) string {
		return "!echo $$$$ > " + pidFile + "; exec sleep 1000"
	},
}

// Run runs the conformance suite against kernels made by newKernel; the
// kernel is closed by the suite.
func Run(t *testing.T, newKernel func(t *testing.T) kernel.Kernel, cells Cells) {
	count := 0
	exec := func(t *testing.T, k kernel.Kernel, ctx context.Context, src string) (*Recorder, error) {
		t.Helper()
		count++
		rec := &Recorder{}
		err := k.Execute(ctx, kernel.Cell{ID: "c" + strconv.Itoa(count), Index: count, Source: src, Count: count}, rec)
		return rec, err
	}
	mustRun := func(t *testing.T, k kernel.Kernel, src string) *Recorder {
		t.Helper()
		rec, err := exec(t, k, context.Background(), src)
		if err != nil {
			t.Fatalf("cell %q: %v (outputs %+v)", src, err, rec.Outputs())
		}
		return rec
	}
	start := func(t *testing.T) kernel.Kernel {
		k := newKernel(t)
		t.Cleanup(func() { _ = k.Close() })
		return k
	}

	t.Run("stream order", func(t *testing.T) {
		k := start(t)
		rec := mustRun(t, k, cells.Streams)
		if got, want := rec.Streams(), "stdout:a\n|stderr:b\n|stdout:c\n"; got != want {
			t.Errorf("streams = %q, want %q", got, want)
		}
	})
	t.Run("execute_result", func(t *testing.T) {
		k := start(t)
		rec := mustRun(t, k, cells.Result)
		out, ok := rec.Find(kernel.Result)
		if !ok {
			t.Fatalf("no execute_result in %+v", rec.Outputs())
		}
		if out.Data["text/plain"] != cells.ResultText {
			t.Errorf("text/plain = %q, want %q", out.Data["text/plain"], cells.ResultText)
		}
		if out.ExecutionCount != count {
			t.Errorf("execution count = %d, want %d", out.ExecutionCount, count)
		}
	})
	t.Run("display_data", func(t *testing.T) {
		k := start(t)
		rec := mustRun(t, k, cells.Display)
		out, ok := rec.Find(kernel.Display)
		if !ok {
			t.Fatalf("no display_data in %+v", rec.Outputs())
		}
		if out.Data["text/html"] != cells.DisplayHTML {
			t.Errorf("text/html = %q, want %q", out.Data["text/html"], cells.DisplayHTML)
		}
	})
	t.Run("error", func(t *testing.T) {
		k := start(t)
		rec, err := exec(t, k, context.Background(), cells.Panic)
		var ce *kernel.CellError
		if !errors.As(err, &ce) {
			t.Fatalf("err = %v, want a *kernel.CellError", err)
		}
		out, ok := rec.Find(kernel.Error)
		if !ok || !strings.Contains(out.EValue, cells.PanicText) || out.EName == "" {
			t.Errorf("error output = %+v, want one containing %q", out, cells.PanicText)
		}
		mustRun(t, k, cells.Result) // still usable
	})
	t.Run("state across cells", func(t *testing.T) {
		k := start(t)
		mustRun(t, k, cells.SetState)
		rec := mustRun(t, k, cells.GetState)
		if out, _ := rec.Find(kernel.Result); out.Data["text/plain"] != cells.GetStateText {
			t.Errorf("result = %v, want %q", out.Data, cells.GetStateText)
		}
	})
	t.Run("cancellation", func(t *testing.T) {
		k := start(t)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		began := time.Now()
		_, err := exec(t, k, ctx, cells.Loop)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want one wrapping context.DeadlineExceeded", err)
		}
		if took := time.Since(began); took > 300*time.Millisecond+2*time.Second {
			t.Errorf("cancelled cell returned after %s", took)
		}
		mustRun(t, k, cells.Result)
	})
	t.Run("interrupt shell child", func(t *testing.T) {
		NeedTool(t, "bash")
		NeedTool(t, "sleep")
		k := start(t)
		pidFile := filepath.Join(t.TempDir(), "pid")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		errc := make(chan error, 1)
		go func() {
			_, err := exec(t, k, ctx, cells.ShellSleep(pidFile))
			errc <- err
		}()
		pid := waitForPID(t, pidFile, errc)
		began := time.Now()
		cancel()
		var err error
		select {
		case err = <-errc:
		case <-time.After(5 * time.Second):
			t.Fatal("cell did not return within 5s of cancellation")
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want one wrapping context.Canceled", err)
		}
		if took := time.Since(began); took > 2*time.Second {
			t.Errorf("cancelled cell returned after %s", took)
		}
		WaitGone(t, pid, 2*time.Second, "the shell child of the interrupted cell")
		mustRun(t, k, cells.Result)
	})
}

// waitForPID waits (bounded) for a child to write its PID.
func waitForPID(t *testing.T, pidFile string, errc <-chan error) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if data, err := os.ReadFile(pidFile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && pid > 0 {
				return pid
			}
		}
		select {
		case err := <-errc:
			t.Fatalf("cell ended before its child started: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("no PID in %s after 10s", pidFile)
	return 0
}

// WaitGone waits until process pid is gone (reaped), at most within, and
// fails t if it is not; what names the process in the failure.
func WaitGone(t testing.TB, pid int, within time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Errorf("%s %d still runs %s later", what, pid, within)
}
