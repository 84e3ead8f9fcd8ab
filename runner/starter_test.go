package runner

import (
	"context"
	"testing"
	"time"

	"ocs/kernel"
	"ocs/notebook"
)

// startingKernel is a kernel.Starter: a cell may only run after Ready.
type startingKernel struct {
	scriptKernel
	t       *testing.T
	readyAt time.Time
}

func (k *startingKernel) Ready(ctx context.Context) error {
	time.Sleep(20 * time.Millisecond) // a start the first cell must not count
	k.readyAt = time.Now()
	return nil
}

func (k *startingKernel) Execute(ctx context.Context, cell kernel.Cell, host kernel.Host) error {
	if k.readyAt.IsZero() {
		k.t.Errorf("cell %d executed before Ready", cell.Index)
	}
	return k.scriptKernel.Execute(ctx, cell, host)
}

func TestStarterIsReadyBeforeTheFirstCellStarts(t *testing.T) {
	k := &startingKernel{t: t}
	res, rec, _ := run(t, makeNotebook("print one", "print two"), Options{Version: "test"}, nil, k)
	if res.Status != Completed {
		t.Fatalf("result = %+v", res)
	}
	meta, _ := rec.Cells[0].Metadata[notebook.OCSKey].(map[string]any)
	start, err := time.Parse(time.RFC3339Nano, meta["start_time"].(string))
	if err != nil {
		t.Fatalf("cell 0 start_time: %v", err)
	}
	if start.Before(k.readyAt) {
		t.Errorf("cell 0 started at %s, before the kernel was ready at %s: its time includes the start", start, k.readyAt.UTC())
	}
}
