package runner

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"ocs/kernel"
	"ocs/notebook"
)

// startObserver calls onStart when a cell starts, before the kernel runs
// it: what the record on disk holds then is what a kill -9 would leave.
type startObserver struct{ onStart func(CellInfo) }

func (o startObserver) CellStarted(c CellInfo)                                        { o.onStart(c) }
func (o startObserver) CellOutput(CellInfo, kernel.Output)                            {}
func (o startObserver) CellFinished(c CellInfo, s Status, d time.Duration, err error) {}

// A run of quick cells followed by a long silent cell: the record on disk
// lists the quick cells completed, with their outputs, within the save
// delay of the long cell's start (a kill -9 from then on keeps them), not
// only when the long cell ends or streams.
func TestQuickCellsAreSavedWithinTheSaveDelay(t *testing.T) {
	const quick = 30
	cells := make([]string, quick+1)
	for i := range quick {
		cells[i] = fmt.Sprintf("print q%d", i)
	}
	cells[quick] = "sleep"
	record := filepath.Join(t.TempDir(), "r.ipynb")
	started := make(chan time.Time, 1)
	obs := startObserver{func(c CellInfo) {
		if c.Index == quick {
			started <- time.Now()
		}
	}}
	r, err := New(makeNotebook(cells...), Options{Record: record, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	done := make(chan Result, 1)
	go func() {
		res, _ := r.Execute(ctx, &scriptKernel{})
		done <- res
	}()
	var start time.Time
	select {
	case start = <-started:
	case <-time.After(20 * time.Second):
		t.Fatal("the long cell never started")
	}
	// The delay is 100 ms; the rest of the second is for a loaded machine.
	// It stays under the two seconds after which a streaming cell's timer
	// would have saved the record anyway.
	deadline := start.Add(time.Second)
	var got []string
	for time.Now().Before(deadline) {
		got = got[:0]
		if nb, err := notebook.ReadFile(record); err == nil {
			for i, c := range nb.Cells {
				s := status(c)
				if i < quick && s == "completed" && outputText(c) != fmt.Sprintf("q%d\n", i) {
					s = "completed without its output"
				}
				got = append(got, s)
			}
		}
		if savedQuickCells(got, quick) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel(ErrInterrupted)
	<-done
	if !savedQuickCells(got, quick) {
		t.Fatalf("1 s after the long cell started, the record on disk shows %v; want %d completed cells, then running", got, quick)
	}
}

func savedQuickCells(statuses []string, quick int) bool {
	if len(statuses) != quick+1 || statuses[quick] != "running" {
		return false
	}
	for _, s := range statuses[:quick] {
		if s != "completed" {
			return false
		}
	}
	return true
}

// The ends a kill -9 must never lose are saved before the next cell
// starts: a cell that made an effect, failed, raised an expected error,
// or took longer than the save delay.
func TestCellEndsSavedAtOnce(t *testing.T) {
	cases := []struct {
		name string
		cell string
		opts Options
		want string
	}{
		{"effect", "effect touch x", Options{}, "completed"},
		{"failed", "fail boom", Options{AllowErrors: true}, "failed"},
		{"expected error", "[raises-exception]fail boom", Options{}, "completed"},
		{"longer than the delay", "pause 60ms", Options{SaveDelay: 20 * time.Millisecond}, "completed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			record := filepath.Join(t.TempDir(), "r.ipynb")
			var onDisk string
			var effects int
			tc.opts.Record = record
			tc.opts.Observer = startObserver{func(c CellInfo) {
				if c.Index != 1 {
					return
				}
				nb, err := notebook.ReadFile(record)
				if err != nil {
					onDisk = err.Error()
					return
				}
				onDisk = status(nb.Cells[0])
				meta, _ := nb.Cells[0].Metadata[notebook.OCSKey].(map[string]any)
				list, _ := meta["effects"].([]any)
				effects = len(list)
			}}
			r, err := New(makeNotebook(tc.cell, "print next"), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if res, err := r.Execute(context.Background(), &scriptKernel{}); err != nil || res.FailedCell > 0 {
				t.Fatalf("run: %+v, %v", res, err)
			}
			if onDisk != tc.want {
				t.Fatalf("when the next cell started, the record on disk showed the cell %q, want %q", onDisk, tc.want)
			}
			if tc.name == "effect" && effects != 1 {
				t.Fatalf("the record on disk had %d effects journaled, want 1", effects)
			}
		})
	}
}
