package effects

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"ocs/kernel"
)

func maskHunter(s string) string { return strings.ReplaceAll(s, "hunter2", "********") }

func TestJournalLive(t *testing.T) {
	boom := errors.New("boom hunter2")
	tests := []struct {
		name       string
		args       map[string]any
		result     map[string]any
		liveErr    error
		reportErr  error
		cancel     bool
		wantErr    string
		wantReport []kernel.Effect
		wantResult map[string]any
	}{
		{
			name:       "reports masked, returns real",
			args:       map[string]any{"command": "echo hunter2"},
			result:     map[string]any{"lines": []string{"hunter2"}, "exit": 0},
			wantResult: map[string]any{"lines": []string{"hunter2"}, "exit": 0},
			wantReport: []kernel.Effect{{Op: "shell", Args: map[string]any{"command": "echo ********"}, Result: map[string]any{"lines": []string{"********"}, "exit": 0}}},
		},
		{
			name:       "failed call is journaled with its masked error",
			args:       map[string]any{"name": "g"},
			liveErr:    boom,
			wantErr:    "boom hunter2",
			wantReport: []kernel.Effect{{Op: "shell", Args: map[string]any{"name": "g"}, Err: "boom ********"}},
		},
		{
			name:       "report failure fails the call",
			args:       map[string]any{"name": "g"},
			result:     map[string]any{},
			reportErr:  errors.New("pipe closed"),
			wantErr:    "report effect: pipe closed",
			wantReport: []kernel.Effect{{Op: "shell", Args: map[string]any{"name": "g"}, Result: map[string]any{}}},
		},
		{
			name:       "cancelled call is reported interrupted",
			args:       map[string]any{"name": "g"},
			result:     map[string]any{},
			cancel:     true,
			wantErr:    context.Canceled.Error(),
			wantReport: []kernel.Effect{{Op: "shell", Args: map[string]any{"name": "g"}, Err: kernel.ErrEffectInterrupted}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reported []kernel.Effect
			j := NewJournal(kernel.Live, nil, 3, maskHunter, func(e kernel.Effect) error {
				reported = append(reported, e)
				return tt.reportErr
			})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			res, err := j.Do(ctx, "shell", tt.args, func(context.Context) (map[string]any, error) {
				if tt.cancel {
					cancel()
				}
				return tt.result, tt.liveErr
			})
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if tt.wantResult != nil && !reflect.DeepEqual(res, tt.wantResult) {
				t.Errorf("result = %v, want %v", res, tt.wantResult)
			}
			if !reflect.DeepEqual(reported, tt.wantReport) {
				t.Errorf("reported %#v, want %#v", reported, tt.wantReport)
			}
			if j.Finish() != nil || j.Diverged() != nil {
				t.Errorf("a live run diverged: %v %v", j.Finish(), j.Diverged())
			}
		})
	}
}

type call struct {
	op   string
	args map[string]any
}

func TestJournalReplay(t *testing.T) {
	journal := []kernel.Effect{
		// Read back from a record: numbers are float64.
		{Op: "shell", Args: map[string]any{"command": "echo ********", "n": 2.0}, Result: map[string]any{"exit": 0.0}},
		{Op: "vcp.create_unit", Args: map[string]any{"name": "u"}, Err: "unit exists"},
	}
	tests := []struct {
		name         string
		calls        []call
		wantErrs     []string // one per call, "" for none
		wantDiverged string
		wantFinish   string
	}{
		{
			name: "matching calls, secrets masked before comparing",
			calls: []call{
				{"shell", map[string]any{"command": "echo hunter2", "n": 2}},
				{"vcp.create_unit", map[string]any{"name": "u"}},
			},
			wantErrs: []string{"", "unit exists"},
		},
		{
			name:         "different arguments diverge, and every later call too",
			calls:        []call{{"shell", map[string]any{"command": "echo other", "n": 2}}, {"vcp.create_unit", map[string]any{"name": "u"}}},
			wantErrs:     []string{"the code called shell", "the code called shell"},
			wantDiverged: `replay of cell 5 diverged: the code called shell {"command":"echo other","n":2}, the journal holds shell {"command":"echo ********","n":2}`,
			wantFinish:   "the code called no further call, the journal holds shell",
		},
		{
			name: "a call past the journal's end diverges",
			calls: []call{
				{"shell", map[string]any{"command": "echo hunter2", "n": 2}},
				{"vcp.create_unit", map[string]any{"name": "u"}},
				{"shell", map[string]any{"command": "ls"}},
			},
			wantErrs:     []string{"", "unit exists", "journal holds no further call"},
			wantDiverged: `replay of cell 5 diverged: the code called shell "ls", the journal holds no further call`,
		},
		{
			name:       "a journal entry the code never called",
			calls:      []call{{"shell", map[string]any{"command": "echo ********", "n": 2}}},
			wantErrs:   []string{""},
			wantFinish: `replay of cell 5 diverged: the code called no further call, the journal holds vcp.create_unit {"name":"u"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := NewJournal(kernel.Replay, journal, 5, maskHunter, func(kernel.Effect) error {
				t.Error("replay reported an effect")
				return nil
			})
			for i, c := range tt.calls {
				res, err := j.Do(context.Background(), c.op, c.args, func(context.Context) (map[string]any, error) {
					t.Fatal("replay ran a call")
					return nil, nil
				})
				want := tt.wantErrs[i]
				if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
					t.Fatalf("call %d: err = %v, want %q", i, err, want)
				}
				if i == 0 && err == nil && res["exit"] != 0.0 {
					t.Errorf("call 0: result = %v, want the journal's", res)
				}
			}
			got := ""
			if d := j.Diverged(); d != nil {
				got = d.Error()
			}
			if got != tt.wantDiverged {
				t.Errorf("Diverged() = %q, want %q", got, tt.wantDiverged)
			}
			finish := j.Finish()
			var d *kernel.DivergenceError
			if tt.wantFinish == "" && finish != nil || tt.wantFinish != "" && (!errors.As(finish, &d) || !strings.Contains(d.Error(), tt.wantFinish)) {
				t.Errorf("Finish() = %v, want %q", finish, tt.wantFinish)
			}
		})
	}
}

func TestMaskValueCopies(t *testing.T) {
	in := map[string]any{"env": map[string]any{"PW": "hunter2"}, "list": []any{"a hunter2"}, "n": 1}
	out := MaskValue(in, maskHunter).(map[string]any)
	want := map[string]any{"env": map[string]any{"PW": "********"}, "list": []any{"a ********"}, "n": 1}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("MaskValue = %v, want %v", out, want)
	}
	if in["env"].(map[string]any)["PW"] != "hunter2" || in["list"].([]any)[0] != "a hunter2" {
		t.Errorf("MaskValue changed its input: %v", in)
	}
}

func TestJournalReportsTheStartFirst(t *testing.T) {
	var events []string
	j := NewJournal(kernel.Live, nil, 0, maskHunter, func(e kernel.Effect) error {
		events = append(events, "end "+e.Op)
		return nil
	}).OnStart(func(e kernel.Effect) error {
		events = append(events, "start "+e.Op+" "+e.Args["command"].(string))
		return nil
	})
	_, err := j.Do(context.Background(), "shell", map[string]any{"command": "echo hunter2"}, func(context.Context) (map[string]any, error) {
		events = append(events, "run")
		return map[string]any{"exit": 0}, nil
	})
	if err != nil || strings.Join(events, ",") != "start shell echo ********,run,end shell" {
		t.Fatalf("events %v, err %v", events, err)
	}

	// A start that cannot be journaled does not run.
	j = NewJournal(kernel.Live, nil, 0, nil, nil).OnStart(func(kernel.Effect) error { return errors.New("disk full") })
	_, err = j.Do(context.Background(), "shell", map[string]any{"command": "rm -rf x"}, func(context.Context) (map[string]any, error) {
		t.Fatal("the call ran although its start was not journaled")
		return nil, nil
	})
	if err == nil || !strings.Contains(err.Error(), "journal the start of shell: disk full") {
		t.Fatalf("err = %v", err)
	}
}
