package gokernel_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"ocs/kernel"
	"ocs/kernel/gokernel"
	"ocs/kernel/kerneltest"
)

// Start returns before the worker is ready; Ready and the first Execute
// wait for it.
func TestStartThenReady(t *testing.T) {
	cases := []struct {
		name  string
		ready bool // call Ready before the first cell
	}{
		{"ready first", true},
		{"execute waits", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k, err := gokernel.Start(context.Background(), gokernel.Options{Dir: t.TempDir(), WorkerCommand: []string{os.Args[0]}})
			if err != nil {
				t.Fatalf("start: %v", err)
			}
			t.Cleanup(func() { _ = k.Close() })
			if tc.ready {
				if err := k.Ready(context.Background()); err != nil {
					t.Fatalf("ready: %v", err)
				}
			}
			rec := &kerneltest.Recorder{}
			if err := k.Execute(context.Background(), kernel.Cell{Source: "x := 20\nx + 22"}, rec); err != nil {
				t.Fatalf("execute: %v", err)
			}
			if out, ok := rec.Find(kernel.Result); !ok || !strings.Contains(out.Data["text/plain"].(string), "42") {
				t.Fatalf("outputs %+v, want the result 42", rec.Outputs())
			}
		})
	}
}

// A worker that does not start makes Ready and every Execute fail with
// ErrDead; the first cell carries the reason as its error output.
func TestStartOfABrokenWorker(t *testing.T) {
	k, err := gokernel.Start(context.Background(), gokernel.Options{WorkerCommand: []string{"/bin/sh", "-c", "echo no protocol here >&2; exit 9"}})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { _ = k.Close() })
	if err := k.Ready(context.Background()); !errors.Is(err, kernel.ErrDead) || !strings.Contains(err.Error(), "no protocol here") {
		t.Fatalf("ready: %v, want kernel.ErrDead with the worker's message", err)
	}
	for i, wantOutput := range []bool{true, false} {
		rec := &kerneltest.Recorder{}
		err := k.Execute(context.Background(), kernel.Cell{Index: i, Source: "1"}, rec)
		if !errors.Is(err, kernel.ErrDead) {
			t.Fatalf("execute %d: %v, want kernel.ErrDead", i, err)
		}
		out, ok := rec.Find(kernel.Error)
		if ok != wantOutput || ok && (out.EName != "KernelDied" || !strings.Contains(out.EValue, "no protocol here")) {
			t.Fatalf("execute %d: outputs %+v; want a KernelDied output: %v", i, rec.Outputs(), wantOutput)
		}
	}
}

// A cancelled wait leaves the worker starting; a later one still gets it.
func TestReadyCancelledThenReady(t *testing.T) {
	k, err := gokernel.Start(context.Background(), gokernel.Options{Dir: t.TempDir(), WorkerCommand: []string{os.Args[0]}})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { _ = k.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := k.Ready(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("ready with a cancelled context: %v", err)
	}
	if err := k.Execute(context.Background(), kernel.Cell{Source: "1"}, &kerneltest.Recorder{}); err != nil {
		t.Fatalf("execute after the cancelled wait: %v", err)
	}
}

// Close right after Start ends the worker that never ran a cell.
func TestCloseWhileStarting(t *testing.T) {
	k, err := gokernel.Start(context.Background(), gokernel.Options{Dir: t.TempDir(), WorkerCommand: []string{os.Args[0]}})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	pid := k.WorkerPID()
	if err := k.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	kerneltest.WaitGone(t, pid, 5*time.Second, "the worker closed")
	if err := k.Execute(context.Background(), kernel.Cell{Source: "1"}, &kerneltest.Recorder{}); !errors.Is(err, kernel.ErrDead) {
		t.Fatalf("execute after close: %v, want kernel.ErrDead", err)
	}
}

// TestWorkerGOMAXPROCS checks that the worker runs on one P unless the
// environment asks for more.
func TestWorkerGOMAXPROCS(t *testing.T) {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOMAXPROCS=") {
			env = append(env, kv)
		}
	}
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"default", env, "1"},
		{"explicit", append(append([]string(nil), env...), "GOMAXPROCS=2"), "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := gokernel.New(context.Background(), gokernel.Options{Dir: t.TempDir(), Env: tt.env, WorkerCommand: []string{os.Args[0]}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = k.Close() })
			rec := &kerneltest.Recorder{}
			if err := k.Execute(context.Background(), kernel.Cell{Source: "import \"runtime\"\nruntime.GOMAXPROCS(0)", Count: 1}, rec); err != nil {
				t.Fatal(err)
			}
			if out, ok := rec.Find(kernel.Result); !ok || out.Data["text/plain"] != tt.want {
				t.Errorf("GOMAXPROCS in the worker = %v, want %s", out.Data["text/plain"], tt.want)
			}
		})
	}
}

// Finish ends the worker by itself, before Close: the runner calls it so
// that the worker's exit overlaps the record's final save.
func TestFinishEndsTheWorker(t *testing.T) {
	k, err := gokernel.New(context.Background(), gokernel.Options{Dir: t.TempDir(), WorkerCommand: []string{os.Args[0]}})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	defer k.Close()
	if err := k.Execute(context.Background(), kernel.Cell{Source: "x := 1"}, &kerneltest.Recorder{}); err != nil {
		t.Fatal(err)
	}
	pid := k.WorkerPID()
	k.Finish()
	k.Finish() // a second one changes nothing
	kerneltest.WaitGone(t, pid, 5*time.Second, "the worker told to finish")
	if err := k.Close(); err != nil {
		t.Fatalf("close after finish: %v", err)
	}
}
