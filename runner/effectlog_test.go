package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ocs/kernel"
	"ocs/notebook"
)

const (
	logRunStart = "2026-12-02T03:00:00.000000001Z"
	logStart1   = "2026-12-02T03:00:01Z"
	logStart2   = "2026-12-02T03:00:02Z"
	logStart3   = "2026-12-02T03:00:03Z"
)

// loggedRecord is a record as a run killed while cell c01 ran leaves it
// on disk: c00 completed with one effect, c01 running with one effect
// done, c02 pending, and a code cell without an id (c03's id cleared).
func loggedRecord() *notebook.Notebook {
	nb := makeNotebook("!echo a", "!echo b", "!echo c", "!echo d", "# notes")
	nb.Metadata[notebook.OCSKey] = map[string]any{"status": "running", "start_time": logRunStart}
	done := func(cmd string) map[string]any {
		return map[string]any{"op": "shell", "args": map[string]any{"command": cmd}, "result": map[string]any{"exit": json.Number("0")}}
	}
	count := 1
	nb.Cells[0].ExecutionCount = &count
	nb.Cells[0].Outputs = []*notebook.Output{notebook.NewStream("stdout", "a\n")}
	nb.Cells[0].Metadata[notebook.OCSKey] = map[string]any{"status": "completed", "start_time": logStart1, "end_time": logStart2, "effects": []any{done("echo a")}}
	nb.Cells[1].Metadata[notebook.OCSKey] = map[string]any{"status": "running", "start_time": logStart2, "effects": []any{done("echo b")}}
	nb.Cells[2].Metadata[notebook.OCSKey] = map[string]any{"status": "pending"}
	nb.Cells[3].ID = ""
	nb.Cells[3].Metadata[notebook.OCSKey] = map[string]any{"status": "pending"}
	return nb
}

func logHeader(runStart string) string {
	return fmt.Sprintf(`{"ocs_effects":1,"run_start":%q}`+"\n", runStart)
}

// logLine is the line a run writes for the start of `!cmd` as effect
// index of the cell's execution that started at start.
func logLine(cell string, index int, start string, effect int, cmd string) string {
	data, err := json.Marshal(effectLine{Cell: cell, CellIndex: index, StartTime: start, Effect: effect,
		Entry: map[string]any{"op": "shell", "args": map[string]any{"command": cmd}, unfinishedKey: true}})
	if err != nil {
		panic(err)
	}
	return string(data) + "\n"
}

// describeCells says, per code cell: status, start, outputs and journal
// (a command, "?" after it when unfinished).
func describeCells(nb *notebook.Notebook) string {
	var rows []string
	for _, c := range nb.Cells {
		if c.Type != notebook.Code {
			continue
		}
		meta, _ := c.Metadata[notebook.OCSKey].(map[string]any)
		var effects []string
		list, _ := meta["effects"].([]any)
		for _, x := range list {
			m := x.(map[string]any)
			e := fmt.Sprint(m["args"].(map[string]any)["command"])
			if m[unfinishedKey] == true {
				e += "?"
			}
			effects = append(effects, e)
		}
		start := str(meta["start_time"])
		if start != "" {
			start = start[len(start)-3:]
		}
		rows = append(rows, fmt.Sprintf("%s %s%s out=%d [%s]", c.ID, status(c), start, len(c.Outputs), strings.Join(effects, " ")))
	}
	return strings.Join(rows, "; ")
}

func TestApplyEffectLog(t *testing.T) {
	const asOnDisk = "c00 completed01Z out=1 [echo a]; c01 running02Z out=0 [echo b]; c02 pending out=0 []; " +
		" pending out=0 []"
	h := logHeader(logRunStart)
	cases := []struct {
		name  string
		log   string
		added int
		want  string // "" means asOnDisk
		err   string
	}{
		{"empty", "", 0, "", ""},
		{"header only", h, 0, "", ""},
		{"same execution, a later effect", h + logLine("c01", 1, logStart2, 1, "echo b2"), 1,
			"c00 completed01Z out=1 [echo a]; c01 running02Z out=0 [echo b echo b2?]; c02 pending out=0 []; " + " pending out=0 []", ""},
		{"same execution, an effect the record holds", h + logLine("c01", 1, logStart2, 0, "echo b") + logLine("c00", 0, logStart1, 0, "echo a"), 0, "", ""},
		{"stale record: a later execution of a cell", h + logLine("c00", 0, logStart3, 0, "echo a"), 1,
			"c00 running03Z out=0 [echo a?]; c01 running02Z out=0 [echo b]; c02 pending out=0 []; " + " pending out=0 []", ""},
		{"a cell the record has pending", h + logLine("c02", 2, logStart3, 0, "echo c") + logLine("c02", 2, logStart3, 1, "echo c2"), 2,
			"c00 completed01Z out=1 [echo a]; c01 running02Z out=0 [echo b]; c02 running03Z out=0 [echo c? echo c2?]; " + " pending out=0 []", ""},
		{"a cell without an id, by its index", h + logLine("", 3, logStart3, 0, "echo d"), 1,
			"c00 completed01Z out=1 [echo a]; c01 running02Z out=0 [echo b]; c02 pending out=0 []; " + " running03Z out=0 [echo d?]", ""},
		{"torn last line", h + logLine("c01", 1, logStart2, 1, "echo b2") + strings.TrimSuffix(logLine("c02", 2, logStart3, 0, "echo c"), "}\n"), 1,
			"c00 completed01Z out=1 [echo a]; c01 running02Z out=0 [echo b echo b2?]; c02 pending out=0 []; " + " pending out=0 []", ""},
		{"torn header", strings.TrimSuffix(h, "\n"), 0, "", ""},
		{"a cell gone from the record", h + logLine("gone", 1, logStart2, 0, "echo x") + logLine("", 9, logStart2, 0, "echo y"), 0, "", ""},
		{"a markdown cell's id", h + logLine("c04", 4, logStart2, 0, "echo x"), 0, "", ""},
		{"a stale log: the record's run is another", logHeader("2026-12-02T04:00:00Z") + logLine("c00", 0, logStart3, 0, "echo a"), 0, "", ""},
		{"garbage line", h + logLine("c01", 1, logStart2, 1, "echo b2") + "{oops\n", 0, "", "line 3: not an effect start"},
		{"an effect that ended without a start", h + `{"cell":"c02","cell_index":2,"start_time":"` + logStart3 + `","effect":0,"entry":{"op":"shell","args":{"command":"echo c"},"result":{"exit":0}}}` + "\n" + logLine("c02", 2, logStart3, 1, "echo c2"), 2,
			"c00 completed01Z out=1 [echo a]; c01 running02Z out=0 [echo b]; c02 running03Z out=0 [echo c echo c2?]; " + " pending out=0 []", ""},
		{"a gap in a cell's lines", h + logLine("c02", 2, logStart3, 1, "echo c2"), 0, "", `line 2: effect 1 of cell "c02", but the journal holds 0`},
		{"an entry without op", h + `{"cell":"c01","cell_index":1,"start_time":"` + logStart2 + `","effect":1,"entry":{"unfinished":true}}` + "\n", 0, "", "line 2: the entry has no op"},
		{"a bad start time", h + `{"cell":"c01","start_time":"yesterday","effect":1,"entry":{"op":"shell","unfinished":true}}` + "\n", 0, "", `line 2: start_time "yesterday"`},
		{"a negative effect index", h + `{"cell":"c01","start_time":"` + logStart2 + `","effect":-1,"entry":{"op":"shell","unfinished":true}}` + "\n", 0, "", "line 2: effect index -1"},
		{"two values on a line", h + `{"cell":"c01","start_time":"` + logStart2 + `","effect":1,"entry":{"op":"shell","unfinished":true}} {}` + "\n", 0, "", "line 2: not an effect start"},
		{"not a log", "hello\n", 0, "", "line 1: not an effect log header"},
		{"another format", `{"ocs_effects":2,"run_start":"` + logRunStart + `"}` + "\n", 0, "", "line 1: effect log format 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nb := loggedRecord()
			added, err := applyEffectLog(nb, "/r/.rec.ipynb.effects", []byte(tc.log))
			if tc.err != "" {
				if err == nil || !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "/r/.rec.ipynb.effects") || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v; want an input error naming the log and %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if want == "" {
				want = asOnDisk
			}
			if got := describeCells(nb); got != want || added != tc.added {
				t.Fatalf("added %d:\n%s\nwant %d:\n%s", added, got, tc.added, want)
			}
			// Applying it again changes nothing.
			before, _ := nb.Bytes()
			if again, err := applyEffectLog(nb, "log", []byte(tc.log)); err != nil || again != 0 {
				t.Fatalf("applied again: %d added, %v", again, err)
			}
			if after, _ := nb.Bytes(); string(after) != string(before) {
				t.Fatalf("applying the log twice changed the record:\n%s", describeCells(nb))
			}
		})
	}
}

// blockKernel journals one effect's start in its first cell, then waits
// until released: a run killed there leaves its start only in the log.
type blockKernel struct {
	started, release chan struct{}
	fail             bool // the cell fails once released
}

func (*blockKernel) Close() error { return nil }

func (k *blockKernel) Execute(ctx context.Context, cell kernel.Cell, host kernel.Host) error {
	if cell.Index != 1 {
		// An effect reported once it ended: the cell's end is saved at
		// once, and the log has its line too.
		host.Effect(kernel.Effect{Op: "shell", Args: map[string]any{"command": "echo first"}, Result: map[string]any{"exit": 0}})
		return nil
	}
	e := kernel.Effect{Op: "shell", Args: map[string]any{"command": "deploy --token hunter2"}}
	if err := host.(kernel.EffectStarter).EffectStarted(e); err != nil {
		return err
	}
	close(k.started)
	select {
	case <-k.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	e.Result = map[string]any{"exit": 0}
	host.Effect(e)
	if k.fail {
		return &kernel.CellError{EName: "RuntimeError", EValue: "Unexpected exit code: 1"}
	}
	return nil
}

// runEnd is what Execute returned.
type runEnd struct {
	res Result
	err error
}

// startBlocked starts a run of a quick cell then a `!deploy` cell on a
// blockKernel, and returns once the effect's start is journaled: the run
// is then blocked in the effect until k.release is closed or ctx ends.
func startBlocked(t *testing.T, ctx context.Context, opts Options, fail bool) (*Run, *blockKernel, <-chan runEnd) {
	t.Helper()
	k := &blockKernel{started: make(chan struct{}), release: make(chan struct{}), fail: fail}
	r, err := New(makeNotebook("quick", "!deploy"), opts)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan runEnd, 1)
	go func() {
		res, err := r.Execute(ctx, k)
		done <- runEnd{res, err}
	}()
	select {
	case <-k.started:
	case <-time.After(20 * time.Second):
		t.Fatal("the effect never started")
	}
	return r, k, done
}

type fixedSecrets map[string]string

func (s fixedSecrets) Secret(name string) (string, error) { return s[name], nil }
func (s fixedSecrets) Known() []string {
	var v []string
	for _, x := range s {
		v = append(v, x)
	}
	return v
}

// While an effect runs, its start is in the log (masked, mode 0600) and
// the record read through the log shows it unfinished, though the record
// file itself was not saved since the cell started: it holds the end of
// the cell before, which the effect's start waited for. The run's end
// removes the log.
func TestEffectLogDuringARun(t *testing.T) {
	record := filepath.Join(t.TempDir(), "rec.ipynb")
	_, k, done := startBlocked(t, context.Background(), Options{Record: record, SaveInterval: time.Hour, SaveDelay: time.Hour, Secrets: fixedSecrets{"token": "hunter2"}}, false)
	logPath := effectLogPath(record)
	fi, err := os.Stat(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("the log's mode is %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(logPath)
	if strings.Contains(string(data), "hunter2") || !strings.Contains(string(data), "deploy --token ********") || !strings.Contains(string(data), "echo first") {
		t.Errorf("the log does not hold the masked command:\n%s", data)
	}
	nb, err := notebook.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(nb); got != "completed,pending" {
		t.Fatalf("the record file shows %s; this test wants the effect's start in the log only", got)
	}
	if n, err := ApplyEffectLog(nb, record); err != nil || n != 1 {
		t.Fatalf("applied %d, %v", n, err)
	}
	if got := describeCells(nb); !strings.HasPrefix(got, "c00 completed") || !strings.Contains(got, "[echo first]; c01 running") || !strings.HasSuffix(got, "[deploy --token ********?]") {
		t.Fatalf("the record with its log: %s", got)
	}
	close(k.release)
	if err := (<-done).err; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(logPath); !os.IsNotExist(err) {
		t.Fatalf("the run's end left its log: %v", err)
	}
}

// A log that is not a regular file is refused, not read (a FIFO would
// block the reader).
func TestApplyEffectLogNotRegular(t *testing.T) {
	record := filepath.Join(t.TempDir(), "rec.ipynb")
	if err := os.Mkdir(effectLogPath(record), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := ApplyEffectLog(loggedRecord(), record); !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("err %v", err)
	}
}

func FuzzEffectLogLine(f *testing.F) {
	f.Add([]byte(logLine("c01", 1, logStart2, 1, "echo b2")))
	f.Add([]byte(logLine("", 3, logStart3, 0, "echo d")))
	f.Add([]byte(`{"cell":"c00","start_time":"` + logStart3 + `","effect":7,"entry":{"op":"vcp.create_unit","args":{"n":1e400},"unfinished":true}}`))
	f.Add([]byte("{oops"))
	f.Fuzz(func(t *testing.T, line []byte) {
		l, err := parseEffectLine(line)
		if err != nil {
			return
		}
		// A line that parses applies to any record without harm, once.
		nb := loggedRecord()
		data := []byte(logHeader(logRunStart) + string(line) + "\n")
		first, err := applyEffectLog(nb, "log", data)
		if err != nil {
			if !errors.Is(err, ErrInput) {
				t.Fatalf("a line that does not apply is not an input error: %v", err)
			}
			return
		}
		if again, _ := applyEffectLog(nb, "log", data); again != 0 {
			t.Fatalf("applied %d then %d more", first, again)
		}
		if _, err := nb.Bytes(); err != nil {
			t.Fatalf("the record no longer encodes: %v (line %+v)", err, l)
		}
	})
}

// A run that cannot make its effect log (here a folder is in its place)
// still runs: each effect's start then waits for a save of the record.
func TestNoEffectLogSavesTheRecord(t *testing.T) {
	record := filepath.Join(t.TempDir(), "rec.ipynb")
	if err := os.Mkdir(effectLogPath(record), 0o755); err != nil {
		t.Fatal(err)
	}
	var onDisk string
	opts := Options{Record: record, SaveInterval: time.Hour, Observer: funcObserver{output: func(c CellInfo) {
		if onDisk == "" {
			nb, err := notebook.ReadFile(record)
			if err != nil {
				t.Error(err)
				return
			}
			onDisk = describeCells(nb)
		}
	}}}
	r, err := New(makeNotebook("journal make\nprint made"), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := r.Execute(context.Background(), &scriptKernel{}); err != nil || res.Status != Completed {
		t.Fatalf("run: %+v, %v", res, err)
	}
	if !strings.HasSuffix(onDisk, "[make?]") {
		t.Fatalf("once the effect started, the record file showed %s; want its start", onDisk)
	}
}

// A new run over the path of a killed one: the old run's log is stale as
// soon as the new run's first save is on disk, and is replaced by the new
// run's own.
func TestEffectLogOfAnEarlierRunIsDiscarded(t *testing.T) {
	record := filepath.Join(t.TempDir(), "rec.ipynb")
	old := logHeader(logRunStart) + logLine("c01", 1, logStart2, 0, "rm -rf old")
	if err := os.WriteFile(effectLogPath(record), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	_, k, done := startBlocked(t, context.Background(), Options{Record: record, SaveInterval: time.Hour}, false)
	fi, statErr := os.Stat(effectLogPath(record))
	nb, err := notebook.ReadFile(record)
	if err == nil {
		_, err = ApplyEffectLog(nb, record)
	}
	close(k.release)
	if err != nil || statErr != nil {
		t.Fatal(err, statErr)
	}
	if got := describeCells(nb); strings.Contains(got, "rm -rf old") || !strings.HasSuffix(got, "[deploy --token hunter2?]") {
		t.Fatalf("the record with its log: %s; want the new run's effect only", got)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("the new log kept the old file's mode %v", fi.Mode().Perm())
	}
	if err := (<-done).err; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(effectLogPath(record)); !os.IsNotExist(err) {
		t.Fatalf("the run's end left a log: %v", err)
	}
}

// Every end of a run but a kill removes the log: the final save holds all
// it held.
func TestEffectLogRemovedAtEveryEnd(t *testing.T) {
	for _, end := range []string{"failed", "interrupted", "abort"} {
		t.Run(end, func(t *testing.T) {
			record := filepath.Join(t.TempDir(), "rec.ipynb")
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			r, k, done := startBlocked(t, ctx, Options{Record: record}, end == "failed")
			if _, err := os.Stat(effectLogPath(record)); err != nil {
				t.Fatal(err)
			}
			switch end {
			case "failed":
				close(k.release)
			case "interrupted":
				cancel(ErrInterrupted)
			case "abort":
				if err := r.Abort(); err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(effectLogPath(record)); !os.IsNotExist(err) {
					t.Errorf("Abort left the log: %v", err)
				}
				cancel(ErrInterrupted)
			}
			res := (<-done).res
			if want := map[string]Status{"failed": Failed, "interrupted": Interrupted, "abort": Interrupted}[end]; res.Status != want {
				t.Fatalf("run %s, want %s", res.Status, want)
			}
			if _, err := os.Stat(effectLogPath(record)); !os.IsNotExist(err) {
				t.Fatalf("the run's end left its log: %v", err)
			}
		})
	}
}
