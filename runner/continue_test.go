package runner

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"ocs/kernel/kerneltest"
	"ocs/notebook"
)

// buildAndFail runs a notebook whose third code cell fails the first time,
// and returns the record.
func buildAndFail(t *testing.T) (*notebook.Notebook, string) {
	t.Helper()
	nb := makeNotebook("effect create-group\nprint group made", "# Files", "effect write-a\neffect write-b", "flaky\neffect after-fix", "effect last")
	k := &scriptKernel{flaky: true}
	res, rec, path := run(t, nb, Options{}, nil, k)
	if res.Status != Failed || res.FailedCell != 3 {
		t.Fatalf("first run: %+v", res)
	}
	if got := strings.Join(k.live, ","); got != "create-group,write-a,write-b" {
		t.Fatalf("first run effects %s", got)
	}
	return rec, path
}

func continueRun(t *testing.T, rec *notebook.Notebook, path string, k *scriptKernel, cont Continuation, opts Options) (Result, *notebook.Notebook) {
	t.Helper()
	opts.Record = path
	r, err := Continue(rec, opts, cont)
	if err != nil {
		t.Fatalf("Continue: %v", err)
	}
	res, err := r.Execute(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	requireFresh(t, r, path)
	again, err := notebook.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	kerneltest.RequireValid(t, path)
	return res, again
}

func TestResumeReplaysWithoutRedoingEffects(t *testing.T) {
	rec, path := buildAndFail(t)
	firstOutputs := outputText(rec.Cells[0])
	k := &scriptKernel{}
	res, again := continueRun(t, rec, path, k, Continuation{Resume: true}, Options{})
	if res.Status != Completed {
		t.Fatalf("resume: %+v", res)
	}
	if got := strings.Join(k.live, ","); got != "after-fix,last" {
		t.Fatalf("effects run for real on resume: %s (earlier ones must be replayed)", got)
	}
	if got := statuses(again); got != "completed,completed,completed,completed" {
		t.Fatalf("statuses %s", got)
	}
	if outputText(again.Cells[0]) != firstOutputs {
		t.Error("a replayed cell's outputs changed")
	}
	if *again.Cells[3].ExecutionCount <= *again.Cells[2].ExecutionCount {
		t.Error("execution counts do not continue after the record's")
	}
	meta := again.Metadata[notebook.OCSKey].(map[string]any)
	runs := meta["runs"].([]any)
	if len(runs) != 2 || runs[0].(map[string]any)["status"] != "failed" || runs[1].(map[string]any)["kind"] != "resume from cell 3" {
		t.Fatalf("run history %v", runs)
	}
	if meta["status"] != "completed" {
		t.Errorf("record status %v", meta["status"])
	}
}

func TestReplayDivergesWhenTheTemplateChanged(t *testing.T) {
	rec, path := buildAndFail(t)
	rec.Cells[2].Source.Set("effect write-a\neffect write-c")
	res, again := continueRun(t, rec, path, &scriptKernel{}, Continuation{Resume: true}, Options{})
	if res.Status != Failed || res.FailedCell != 2 {
		t.Fatalf("result %+v", res)
	}
	for _, want := range []string{"diverged", "write-c", "--from 2"} {
		if !strings.Contains(res.Err.Error(), want) {
			t.Errorf("error %q lacks %q", res.Err, want)
		}
	}
	if got := statuses(again); got != "completed,completed,pending,pending" {
		t.Fatalf("statuses %s", got)
	}
}

func TestCellsAndFromOnARecord(t *testing.T) {
	rec, path := buildAndFail(t)
	// Only cell 2 again: cell 0 replays, cell 2 runs live, nothing after.
	k := &scriptKernel{}
	res, again := continueRun(t, rec, path, k, Continuation{Cells: []int{2}}, Options{})
	if res.Status != Completed || strings.Join(k.live, ",") != "write-a,write-b" {
		t.Fatalf("--cells 2: %+v, live %v", res, k.live)
	}
	if got := statuses(again); got != "completed,completed,failed,pending" {
		t.Fatalf("statuses after --cells 2: %s", got)
	}
	// A cell that did not complete cannot be replayed.
	_, err := Continue(again, Options{Record: path}, Continuation{Cells: []int{4}})
	if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "cell 3 is failed in the record") || !strings.Contains(err.Error(), "--from 3") {
		t.Fatalf("replaying a failed cell: %v", err)
	}
	// --from 3 replays 0 and 2, runs 3 and 4.
	k = &scriptKernel{}
	res, again = continueRun(t, again, path, k, Continuation{From: 3}, Options{})
	if res.Status != Completed || strings.Join(k.live, ",") != "after-fix,last" {
		t.Fatalf("--from 3: %+v, live %v", res, k.live)
	}
	if got := len(again.Metadata[notebook.OCSKey].(map[string]any)["runs"].([]any)); got != 3 {
		t.Fatalf("%d runs in the history", got)
	}
}

func TestCellsOnATemplateRunEarlierCellsLive(t *testing.T) {
	k := &scriptKernel{}
	res, rec, _ := run(t, makeNotebook("effect one", "effect two", "effect three"), Options{Cells: []int{1}}, nil, k)
	if res.Status != Completed || strings.Join(k.live, ",") != "one,two" {
		t.Fatalf("%+v live %v", res, k.live)
	}
	if got := statuses(rec); got != "completed,completed,pending" {
		t.Fatalf("statuses %s", got)
	}
}

func TestResumeNeedsMaskedParametersAgain(t *testing.T) {
	nb := makeNotebook("[parameters]api_token := \"\"\nregion := \"a\"", "flaky")
	_, rec, path := run(t, nb, Options{Params: map[string]string{"api_token": "tok-999", "region": "b"}}, nil, &scriptKernel{flaky: true})
	_, err := Continue(rec, Options{Record: path}, Continuation{Resume: true})
	if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), `parameter "api_token" was masked in the record; give it again with -p api_token=VALUE`) {
		t.Fatalf("err = %v", err)
	}
	rec, _ = notebook.ReadFile(path)
	k := &scriptKernel{}
	res, _ := continueRun(t, rec, path, k, Continuation{Resume: true}, Options{Params: map[string]string{"api_token": "tok-999"}})
	if res.Status != Completed {
		t.Fatalf("%+v", res)
	}
	injected := k.sources[1] // after the parameters cell, replayed too
	if !strings.Contains(injected, `api_token = "tok-999"`) || !strings.Contains(injected, `region = "b"`) {
		t.Fatalf("the replayed parameters cell got %q", injected)
	}
}

func TestParseCells(t *testing.T) {
	nb := makeNotebook("a", "b", "c", "d", "e")
	tests := []struct {
		spec string
		want []int
		err  string
	}{
		{"1-3,0", []int{0, 1, 2, 3}, ""},
		{"c04", []int{4}, ""},
		{"2, 4", []int{2, 4}, ""},
		{"3-1", nil, "runs backwards"},
		{"nope", nil, `no cell "nope"`},
		{",", nil, "no cells selected"},
		// Finding 24: bounds are checked before a range is expanded.
		{"0-200000000", nil, "outside the notebook (cells 0 to 4)"},
		{"3-5", nil, "outside the notebook"},
		{"-1-2", nil, `no cell "-1-2"`},
	}
	for _, tt := range tests {
		got, err := ParseCells(nb, tt.spec)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err %v, want %q", tt.spec, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: %v %v", tt.spec, got, err)
		}
	}
	if got := formatCells([]int{5, 1, 2, 3, 7}); got != "1-3,5,7" {
		t.Errorf("formatCells = %q", got)
	}
}

// A cell inserted into a failed record runs live on --resume; the completed
// cells after it are replayed from their journal, not run again.
func TestResumeAfterAnInsertedCellReplaysTheCompletedOnes(t *testing.T) {
	rec, path := buildAndFail(t)
	inserted := notebook.NewCell(notebook.Code, "effect inserted")
	inserted.ID = "inserted"
	rec.Cells = append(rec.Cells[:1], append([]*notebook.Cell{inserted}, rec.Cells[1:]...)...)
	k := &scriptKernel{}
	res, again := continueRun(t, rec, path, k, Continuation{Resume: true}, Options{})
	if res.Status != Completed {
		t.Fatalf("resume: %+v", res)
	}
	if got := strings.Join(k.live, ","); got != "inserted,after-fix,last" {
		t.Fatalf("effects run for real on resume: %s; want the inserted cell's and those from the failed cell on", got)
	}
	if got := statuses(again); got != "completed,completed,completed,completed,completed" {
		t.Fatalf("statuses %s", got)
	}
}

// --resume does not run again by itself an effect whose end the record
// lacks (a kill -9), nor a VCP operation an interrupt cut short; --from
// reruns it deliberately.
func TestResumeRefusesUnfinishedEffects(t *testing.T) {
	for _, tc := range []struct {
		name   string
		entry  map[string]any
		refuse string
	}{
		{"killed command", map[string]any{"op": "shell", "args": map[string]any{"command": "make install"}, "unfinished": true}, `cell 3's earlier run was killed during the command "make install"`},
		{"interrupted vcp", map[string]any{"op": "vcp.create_unit", "args": map[string]any{"ugroup": "g", "name": "u"}, "error": "interrupted"}, "was interrupted during vcp.create_unit"},
		{"interrupted command", map[string]any{"op": "shell", "args": map[string]any{"command": "sleep 9"}, "error": "interrupted"}, ""},
		{"unfinished read", map[string]any{"op": "vcp.find_nodes", "args": map[string]any{"ugroup": "g"}, "unfinished": true}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, path := buildAndFail(t)
			rec.Cells[3].Metadata[notebook.OCSKey].(map[string]any)["effects"] = []any{tc.entry}
			_, err := Continue(rec, Options{Record: path}, Continuation{Resume: true})
			if tc.refuse == "" {
				if err != nil {
					t.Fatalf("Continue: %v", err)
				}
				return
			}
			var u *UnfinishedError
			if !errors.As(err, &u) || !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tc.refuse) || !strings.Contains(err.Error(), "--from 3") {
				t.Fatalf("err = %v, want an UnfinishedError saying %q and --from 3", err, tc.refuse)
			}
			if _, err := Continue(rec, Options{Record: path}, Continuation{From: 3}); err != nil {
				t.Fatalf("--from 3: %v", err)
			}
		})
	}
}
