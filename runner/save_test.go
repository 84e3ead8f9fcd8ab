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

// The ends a kill -9 must never lose are saved at once, not with the
// delayed save: a cell that made an effect, failed, raised an expected
// error, or took longer than the save delay. They are written behind the
// run: the next cell starts without waiting for the disk, the record shows
// the end soon after, and in any case before the next cell's first effect
// runs (that effect's start waits for the save, most often written by
// then, and goes to the effect log: the record read with its log shows
// it).
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
		// A quick end waits for the delayed save, but not past the next
		// effect's start: that saves it.
		{"quick", "print q", Options{SaveDelay: time.Hour}, "completed"},
	}
	// onDisk describes cell i of the record on disk: its status, and its
	// effects as "done" or "unfinished".
	onDisk := func(record string, i int) string {
		nb, err := notebook.ReadFile(record)
		if err != nil {
			return err.Error()
		}
		if _, err := ApplyEffectLog(nb, record); err != nil {
			return err.Error()
		}
		meta, _ := nb.Cells[i].Metadata[notebook.OCSKey].(map[string]any)
		got := status(nb.Cells[i])
		list, _ := meta["effects"].([]any)
		for _, e := range list {
			if e.(map[string]any)[unfinishedKey] == true {
				got += " unfinished"
			} else {
				got += " done"
			}
		}
		return got
	}
	for _, tc := range cases {
		want := tc.want
		if tc.name == "effect" {
			want += " done"
		}
		t.Run(tc.name+"/before the next effect", func(t *testing.T) {
			record := filepath.Join(t.TempDir(), "r.ipynb")
			var first, second string
			opts := tc.opts
			opts.Record = record
			opts.SaveInterval = time.Hour // no save of the next cell's own
			opts.Observer = funcObserver{output: func(c CellInfo) {
				// The next cell prints once its effect started.
				if c.Index == 1 && first == "" {
					first, second = onDisk(record, 0), onDisk(record, 1)
				}
			}}
			r, err := New(makeNotebook(tc.cell, "journal true\nprint next"), opts)
			if err != nil {
				t.Fatal(err)
			}
			if res, err := r.Execute(context.Background(), &scriptKernel{}); err != nil || res.FailedCell > 0 {
				t.Fatalf("run: %+v, %v", res, err)
			}
			if first != want || second != "running unfinished" {
				t.Fatalf("once the next cell's effect started, the record on disk with its log showed the cell %q and the next %q; want %q and %q", first, second, want, "running unfinished")
			}
		})
		if tc.name == "quick" {
			continue // not saved at once: TestQuickCellsAreSavedWithinTheSaveDelay
		}
		t.Run(tc.name+"/behind the run", func(t *testing.T) {
			record := filepath.Join(t.TempDir(), "r.ipynb")
			opts := tc.opts
			opts.Record = record
			// Only the save of the cell's end can write the record while
			// the next, silent cell runs.
			opts.SaveInterval = time.Hour
			started := make(chan struct{})
			opts.Observer = funcObserver{started: func(c CellInfo) {
				if c.Index == 1 {
					close(started)
				}
			}}
			r, err := New(makeNotebook(tc.cell, "sleep"), opts)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			done := make(chan error, 1)
			go func() {
				_, err := r.Execute(ctx, &scriptKernel{})
				done <- err
			}()
			select {
			case <-started:
			case <-time.After(20 * time.Second):
				t.Fatal("the next cell never started")
			}
			got := ""
			for i := 0; i < 1000 && got != want; i++ {
				got = onDisk(record, 0)
				time.Sleep(5 * time.Millisecond)
			}
			cancel(ErrInterrupted)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("while the next cell ran, the record on disk showed the cell %q; want %q", got, want)
			}
		})
	}
}

// funcObserver calls its functions, when set, as cells start and print.
type funcObserver struct{ started, output func(CellInfo) }

func (o funcObserver) CellStarted(c CellInfo) {
	if o.started != nil {
		o.started(c)
	}
}

func (o funcObserver) CellOutput(c CellInfo, _ kernel.Output) {
	if o.output != nil {
		o.output(c)
	}
}

func (o funcObserver) CellFinished(CellInfo, Status, time.Duration, error) {}
