package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"ocs/notebook"
)

// heldDisk is a recordWriter's write that the test holds back: each write
// announces itself on entered and waits for a token on release before it
// writes the real file. It keeps the order in which snapshots reached the
// disk, and fails the snapshots named in failing.
type heldDisk struct {
	entered chan uint64
	release chan struct{}
	failing map[uint64]bool

	mu      sync.Mutex
	written []uint64
}

func newHeldDisk() *heldDisk {
	return &heldDisk{entered: make(chan uint64, 16), release: make(chan struct{}, 16), failing: map[uint64]bool{}}
}

func (d *heldDisk) write(path string, data []byte) error {
	seq, _ := strconv.ParseUint(string(data), 10, 64)
	d.entered <- seq
	<-d.release
	if d.failing[seq] {
		return errors.New("disk on fire")
	}
	d.mu.Lock()
	d.written = append(d.written, seq)
	d.mu.Unlock()
	return notebook.WriteCheckpoint(path, data)
}

// inFlight waits until snapshot seq is being written.
func (d *heldDisk) inFlight(t *testing.T, seq uint64) {
	t.Helper()
	select {
	case got := <-d.entered:
		if got != seq {
			t.Fatalf("snapshot %d reached the disk, want %d", got, seq)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("snapshot %d never reached the disk", seq)
	}
}

func snap(seq uint64) *snapshot {
	return &snapshot{seq: seq, data: bytes.NewBufferString(strconv.FormatUint(seq, 10))}
}

// waitNow runs w.now(s) in the background; the channel gets its error.
func waitNow(w *recordWriter, s *snapshot) chan error {
	done := make(chan error, 1)
	go func() { done <- w.now(s) }()
	return done
}

func pending(w *recordWriter) *snapshot {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pending
}

func requireWaiting(t *testing.T, done chan error) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("a save that waits returned (%v) before its snapshot was on disk", err)
	case <-time.After(50 * time.Millisecond):
	}
}

func requireReturned(t *testing.T, done chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("a save that waits never returned")
		return nil
	}
}

// The writer's order: a newer snapshot supersedes a pending older one, an
// older one is never written over a newer one, and a save that waits
// returns only once its snapshot or a newer one is on disk.
func TestRecordWriterOrder(t *testing.T) {
	cases := []struct {
		name string
		// script drives w and d; release lets one held write go on.
		script func(t *testing.T, w *recordWriter, d *heldDisk, release func())
		want   []uint64 // the snapshots written, in order
	}{
		{"a newer snapshot supersedes the pending one", func(t *testing.T, w *recordWriter, d *heldDisk, release func()) {
			w.later(snap(1))
			d.inFlight(t, 1)
			w.later(snap(2))
			w.later(snap(3))
			release()
			d.inFlight(t, 3)
			release()
		}, []uint64{1, 3}},
		{"a save that waits waits for the write in flight, then writes its own", func(t *testing.T, w *recordWriter, d *heldDisk, release func()) {
			w.later(snap(1))
			d.inFlight(t, 1)
			done := waitNow(w, snap(2))
			requireWaiting(t, done)
			release()
			d.inFlight(t, 2)
			requireWaiting(t, done)
			release()
			if err := requireReturned(t, done); err != nil {
				t.Fatal(err)
			}
		}, []uint64{1, 2}},
		{"a save that waits drops the older pending snapshot", func(t *testing.T, w *recordWriter, d *heldDisk, release func()) {
			w.later(snap(1))
			d.inFlight(t, 1)
			w.later(snap(2))
			done := waitNow(w, snap(3))
			for i := 0; i < 1000 && pending(w) != nil; i++ {
				time.Sleep(time.Millisecond)
			}
			if p := pending(w); p != nil {
				t.Fatalf("snapshot %d still pending", p.seq)
			}
			release()
			d.inFlight(t, 3)
			release()
			if err := requireReturned(t, done); err != nil {
				t.Fatal(err)
			}
		}, []uint64{1, 3}},
		{"an older snapshot is not written over a newer one", func(t *testing.T, w *recordWriter, d *heldDisk, release func()) {
			done := waitNow(w, snap(5))
			d.inFlight(t, 5)
			release()
			if err := requireReturned(t, done); err != nil {
				t.Fatal(err)
			}
			w.later(snap(4))
			w.drain()
			if err := w.now(snap(3)); err != nil {
				t.Fatal(err)
			}
		}, []uint64{5}},
		{"a save straight into the file waits for the write in flight, and drops the pending one", func(t *testing.T, w *recordWriter, d *heldDisk, release func()) {
			w.later(snap(1))
			d.inFlight(t, 1)
			w.later(snap(2))
			done := make(chan error, 1)
			go func() {
				_, err := w.direct(3, false, func(path string) error {
					d.mu.Lock()
					d.written = append(d.written, 3)
					d.mu.Unlock()
					return os.WriteFile(path, []byte("3"), 0o644)
				})
				done <- err
			}()
			for i := 0; i < 1000 && pending(w) != nil; i++ {
				time.Sleep(time.Millisecond)
			}
			requireWaiting(t, done)
			release()
			if err := requireReturned(t, done); err != nil {
				t.Fatal(err)
			}
		}, []uint64{1, 3}},
		{"an older snapshot handed over after a newer pending one is dropped", func(t *testing.T, w *recordWriter, d *heldDisk, release func()) {
			w.later(snap(1))
			d.inFlight(t, 1)
			w.later(snap(3))
			w.later(snap(2))
			release()
			d.inFlight(t, 3)
			release()
		}, []uint64{1, 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			record := filepath.Join(t.TempDir(), "r.ipynb")
			d := newHeldDisk()
			w := newRecordWriter(record, &reserve{}, 0)
			w.write = d.write
			w.stop = func(error) {}
			w.start()
			tc.script(t, w, d, func() { d.release <- struct{}{} })
			w.close()
			if fmt.Sprint(d.written) != fmt.Sprint(tc.want) {
				t.Fatalf("snapshots written %v, want %v", d.written, tc.want)
			}
			data, err := os.ReadFile(record)
			if err != nil {
				t.Fatal(err)
			}
			if last := strconv.FormatUint(tc.want[len(tc.want)-1], 10); string(data) != last {
				t.Fatalf("the record on disk is snapshot %s, want %s", data, last)
			}
		})
	}
}

// A save written behind the run that fails stops the run with its cause;
// the next save that waits returns it and writes nothing, and only the
// final save is still written.
func TestRecordWriterFailure(t *testing.T) {
	record := filepath.Join(t.TempDir(), "r.ipynb")
	d := newHeldDisk()
	d.failing[1] = true
	w := newRecordWriter(record, &reserve{}, 0)
	w.write = d.write
	var stopped error
	w.stop = func(err error) { stopped = err }
	w.start()
	defer w.close()
	w.later(snap(1))
	d.inFlight(t, 1)
	d.release <- struct{}{}
	w.drain()
	if !errors.Is(stopped, errSaveFailed) || !strings.Contains(fmt.Sprint(stopped), "disk on fire") {
		t.Fatalf("the run was stopped with %v; want the failed save and its cause", stopped)
	}
	if err := w.now(snap(2)); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("the save after the failed one returned %v; want its cause", err)
	}
	final := snap(3)
	final.final = true
	done := waitNow(w, final)
	d.inFlight(t, 3)
	d.release <- struct{}{}
	requireReturned(t, done)
	if fmt.Sprint(d.written) != "[3]" {
		t.Fatalf("snapshots written %v, want only the final one", d.written)
	}
}

// A save written behind the run that fails stops the run promptly,
// whichever save it was: the end of a long cell, a quick cell's delayed
// save, a streaming cell's own. The final save says why. (cmd/ocs's
// TestFaultFullDisk fills a real disk; here the writer's disk fails once
// the first cell has started.)
func TestFailedSaveBehindTheRunStopsIt(t *testing.T) {
	cases := []struct {
		name  string
		cells []string
		opts  Options
		// failed are the cells the run's failure may name: the one
		// whose save failed, or the next one when it had started, and the
		// stop ended it.
		failed []int
	}{
		{"the end of a long cell", []string{"print a\npause 150ms", "sleep", "print never"}, Options{}, []int{0, 1}},
		{"the delayed save of a quick cell", []string{"print a", "sleep", "print never"}, Options{SaveDelay: 300 * time.Millisecond}, []int{0, 1}},
		{"the save of a streaming cell", []string{"print a\nsleep", "print never", "print never"}, Options{SaveInterval: time.Millisecond}, []int{0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			record := filepath.Join(dir, "r.ipynb")
			var full atomic.Bool
			opts := tc.opts
			opts.Record = record
			opts.Observer = funcObserver{started: func(c CellInfo) {
				if c.Index == 0 {
					full.Store(true)
				}
			}}
			r, err := New(makeNotebook(tc.cells...), opts)
			if err != nil {
				t.Fatal(err)
			}
			r.writer.write = func(path string, data []byte) error {
				if full.Load() {
					return fmt.Errorf("write %s: %w", path, syscall.ENOSPC)
				}
				return notebook.WriteCheckpoint(path, data)
			}
			type outcome struct {
				res Result
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				res, err := r.Execute(context.Background(), &scriptKernel{})
				done <- outcome{res, err}
			}()
			var got outcome
			select {
			case got = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("the run went on after its save failed")
			}
			const cause = "no space left on device"
			if got.err == nil || !strings.Contains(got.err.Error(), cause) {
				t.Fatalf("Execute returned %v; want the failed save", got.err)
			}
			if got.res.Status != Failed || !slices.Contains(tc.failed, got.res.FailedCell) {
				t.Fatalf("result %+v; want failed at one of the cells %v", got.res, tc.failed)
			}
			rec, err := notebook.ReadFile(record)
			if err != nil {
				t.Fatal(err)
			}
			meta := rec.Metadata[notebook.OCSKey].(map[string]any)
			fc, _ := meta["failed_cell"].(map[string]any)
			if msg, _ := fc["error"].(string); meta["status"] != "failed" || !strings.Contains(msg, cause) {
				t.Fatalf("the final record says %v, failed_cell %v; want failed with the cause", meta["status"], fc)
			}
			if out := outputText(rec.Cells[0]); !strings.HasPrefix(out, "a\n") {
				t.Errorf("the final record has the first cell's output %q, want it kept", out)
			}
			if s := status(rec.Cells[2]); s != "pending" {
				t.Errorf("the last cell is %q; the run must stop at the failed save", s)
			}
			if _, err := os.Stat(reservePath(record)); !os.IsNotExist(err) {
				t.Errorf("the reserve is left behind: %v", err)
			}
		})
	}
}

// A cell that prints more than maxBehind between two saves gets them
// written as the run waits, encoded straight into the file: the writer is
// never handed a copy of such a record (with a 64 MiB output cap, those
// copies took the run's peak memory from 62 to 107 MB).
func TestLargeRecordNotCopied(t *testing.T) {
	record := filepath.Join(t.TempDir(), "r.ipynb")
	r, err := New(makeNotebook("spew 3000000", "pause 300ms"), Options{Record: record, OutputCap: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var largest atomic.Int64
	r.writer.write = func(path string, data []byte) error {
		if n := int64(len(data)); n > largest.Load() {
			largest.Store(n)
		}
		return notebook.WriteCheckpoint(path, data)
	}
	res, err := r.Execute(context.Background(), &scriptKernel{})
	if err != nil || res.Status != Completed {
		t.Fatalf("run: %+v, %v", res, err)
	}
	if n := largest.Load(); n > 2*maxBehind {
		t.Fatalf("the writer was handed a record of %d bytes; records past %d must be written straight into the file", n, maxBehind)
	}
	rec, err := notebook.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	if out := outputText(rec.Cells[0]); len(out) != 3000000 {
		t.Fatalf("the record holds %d bytes of the cell's output, want all 3000000", len(out))
	}
}
