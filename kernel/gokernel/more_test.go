package gokernel_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"ocs/kernel"
	"ocs/kernel/gokernel"
	"ocs/kernel/kerneltest"
)

func TestRegisteredPackageUsesGateway(t *testing.T) {
	src := "import \"ocs/testsdk\"\nid, err := testsdk.CreateUnit(\"web\")\nif err != nil {\n\tpanic(err)\n}\nid"
	live := newKernel(t)
	rec := &kerneltest.Recorder{}
	if err := live.Execute(context.Background(), kernel.Cell{Source: src}, rec); err != nil {
		t.Fatalf("live: %v", err)
	}
	effs := rec.Effects()
	if len(effs) != 1 || effs[0].Op != "testsdk.create_unit" || effs[0].Args["name"] != "web" {
		t.Fatalf("effects = %+v", effs)
	}
	if out, _ := rec.Find(kernel.Result); out.Data["text/plain"] != `"unit-web-live"` {
		t.Errorf("live result = %v", out.Data)
	}

	journal := []kernel.Effect{{Op: "testsdk.create_unit", Args: map[string]any{"name": "web"}, Result: map[string]any{"id": "unit-web-journal"}}}
	replay := newKernel(t)
	rec = &kerneltest.Recorder{}
	if err := replay.Execute(context.Background(), kernel.Cell{Source: src, Mode: kernel.Replay, Journal: journal}, rec); err != nil {
		t.Fatalf("replay: %v", err)
	}
	if out, _ := rec.Find(kernel.Result); out.Data["text/plain"] != `"unit-web-journal"` {
		t.Errorf("replay result = %v, want the journal's", out.Data)
	}
	err := replay.Execute(context.Background(), kernel.Cell{Source: strings.Replace(src, "web", "db", 1), Mode: kernel.Replay, Journal: journal}, &kerneltest.Recorder{})
	// The SDK returns the gateway's error to cell code, which may handle
	// it any way it likes: the cell is a divergence all the same.
	var d *kernel.DivergenceError
	if !errors.As(err, &d) || !strings.Contains(d.Call, "db") {
		t.Errorf("mismatched replay: err = %v, want a *kernel.DivergenceError", err)
	}
}

func TestWritefileReplayDoesNotWrite(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "out.txt")
	src := "%%writefile " + target + "\nhello"
	live := newKernel(t)
	rec := &kerneltest.Recorder{}
	if err := live.Execute(context.Background(), kernel.Cell{Source: src}, rec); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(target); err != nil {
		t.Fatalf("live run did not write: %v", err)
	}
	replay := newKernel(t)
	if err := replay.Execute(context.Background(), kernel.Cell{Source: src, Mode: kernel.Replay, Journal: rec.Effects()}, &kerneltest.Recorder{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("replay wrote the file (stat err %v)", err)
	}
	changed := "%%writefile " + target + "\nchanged"
	err := replay.Execute(context.Background(), kernel.Cell{Source: changed, Mode: kernel.Replay, Journal: rec.Effects()}, &kerneltest.Recorder{})
	var d *kernel.DivergenceError
	if !errors.As(err, &d) {
		t.Errorf("changed content: err = %v, want a divergence", err)
	}
}

// TestShellOutputStreamsLive checks that a command's output reaches the
// host while the command still runs: the command blocks on a FIFO that the
// test opens only after it has seen the first line.
func TestShellOutputStreamsLive(t *testing.T) {
	kerneltest.NeedTool(t, "bash")
	kerneltest.NeedTool(t, "mkfifo")
	fifo := filepath.Join(t.TempDir(), "gate")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	k := newKernel(t)
	rec := &kerneltest.Recorder{}
	errc := make(chan error, 1)
	go func() {
		errc <- k.Execute(context.Background(), kernel.Cell{Source: "!echo first; read line < " + fifo + "; echo second $line"}, rec)
	}()
	deadline := time.After(10 * time.Second)
	for rec.Stream("stdout") != "first\n" {
		select {
		case err := <-errc:
			t.Fatalf("cell ended early: %v", err)
		case <-deadline:
			t.Fatal("first line not streamed within 10s")
		case <-time.After(5 * time.Millisecond):
		}
	}
	if err := os.WriteFile(fifo, []byte("go\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if got := rec.Stream("stdout"); got != "first\nsecond go\n" {
		t.Errorf("stdout = %q", got)
	}
}

// TestStuckWorkerIsRestarted stops the worker process so that it cannot
// answer an interrupt: the kernel must kill it, start a new one and say so.
func TestStuckWorkerIsRestarted(t *testing.T) {
	k := newKernel(t)
	if err := syscall.Kill(k.WorkerPID(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	began := time.Now()
	rec := &kerneltest.Recorder{}
	err := k.Execute(ctx, kernel.Cell{Source: "1"}, rec)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "restarted") {
		t.Fatalf("err = %v, want a deadline error saying the kernel restarted", err)
	}
	if took := time.Since(began); took > 200*time.Millisecond+2*time.Second {
		t.Errorf("took %s", took)
	}
	if !strings.Contains(rec.Stream("stderr"), "restarted") {
		t.Errorf("no restart notice in outputs %+v", rec.Outputs())
	}
	rec = &kerneltest.Recorder{}
	if err := k.Execute(context.Background(), kernel.Cell{Source: "5"}, rec); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

func TestWorkerThatNeverStartsIsDead(t *testing.T) {
	_, err := gokernel.New(context.Background(), gokernel.Options{WorkerCommand: []string{"/bin/sh", "-c", "echo no protocol here >&2; exit 9"}})
	if !errors.Is(err, kernel.ErrDead) || !strings.Contains(err.Error(), "no protocol here") {
		t.Fatalf("err = %v, want kernel.ErrDead with the worker's message", err)
	}
}

func TestCloseDuringExecute(t *testing.T) {
	k := newKernel(t)
	errc := make(chan error, 1)
	started := make(chan struct{})
	rec := &kerneltest.Recorder{}
	go func() {
		close(started)
		errc <- k.Execute(context.Background(), kernel.Cell{Source: "import \"fmt\"\nfmt.Println(\"looping\")\nfor {}"}, rec)
	}()
	<-started
	deadline := time.After(10 * time.Second)
	for rec.Stream("stdout") == "" {
		select {
		case <-deadline:
			t.Fatal("cell did not start")
		case <-time.After(5 * time.Millisecond):
		}
	}
	closed := make(chan error, 1)
	go func() { closed <- k.Close() }()
	select {
	case err := <-errc:
		if !errors.Is(err, kernel.ErrDead) {
			t.Errorf("execute err = %v, want kernel.ErrDead", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Execute did not return after Close")
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
}
