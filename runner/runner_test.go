package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"ocs/kernel"
	"ocs/kernel/kerneltest"
	"ocs/notebook"
)

// scriptKernel is a test double of kernel.Kernel that interprets one
// command per line, so runner behaviour can be tested without an
// interpreter. The real Go kernel is exercised end to end in cmd/ocs.
type scriptKernel struct {
	sources []string // every source executed, in order
	secret  string   // the last secret a cell asked for; $S in arguments
	live    []string // every effect performed for real, in order
	flaky   bool     // "flaky" fails while this is set
}

func (k *scriptKernel) Close() error { return nil }

func (k *scriptKernel) Execute(ctx context.Context, cell kernel.Cell, host kernel.Host) error {
	k.sources = append(k.sources, cell.Source)
	next := 0 // the journal entry a replayed effect must match
	for _, line := range strings.Split(cell.Source, "\n") {
		cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
		arg = strings.ReplaceAll(arg, "$S", k.secret)
		switch cmd {
		case "print":
			host.Output(kernel.Output{Kind: kernel.Stream, Name: "stdout", Text: arg + "\n"})
		case "chunks": // print arg one byte per output
			for _, b := range []byte(arg) {
				host.Output(kernel.Output{Kind: kernel.Stream, Name: "stdout", Text: string(b)})
			}
		case "spew": // arg bytes of output in 4 KiB chunks
			n, _ := strconv.Atoi(arg)
			chunk := strings.Repeat("0123456789abcde\n", 256)
			for n > 0 {
				m := min(n, len(chunk))
				host.Output(kernel.Output{Kind: kernel.Stream, Name: "stdout", Text: chunk[:m]})
				n -= m
			}
		case "result":
			host.Output(kernel.Output{Kind: kernel.Result, Data: map[string]any{"text/plain": arg}})
		case "secret":
			v, err := host.Secret(arg)
			if err != nil {
				host.Output(kernel.Output{Kind: kernel.Error, EName: "SecretError", EValue: err.Error()})
				return &kernel.CellError{EName: "SecretError", EValue: err.Error()}
			}
			k.secret = v
			host.Output(kernel.Output{Kind: kernel.Stream, Name: "stdout", Text: "got " + v + "\n"})
		case "fail":
			host.Output(kernel.Output{Kind: kernel.Error, EName: "Boom", EValue: arg, Traceback: []string{"boom: " + arg}})
			return &kernel.CellError{EName: "Boom", EValue: arg}
		case "effect":
			if cell.Mode == kernel.Replay {
				if next >= len(cell.Journal) || cell.Journal[next].Args["command"] != arg {
					return &kernel.DivergenceError{CellIndex: cell.Index, Call: "shell " + arg}
				}
				next++
				continue
			}
			k.live = append(k.live, arg)
			host.Effect(kernel.Effect{Op: "shell", Args: map[string]any{"command": arg}, Result: map[string]any{"exit": 0}})
		case "journal": // an effect journaled at its start, then at its end
			e := kernel.Effect{Op: "shell", Args: map[string]any{"command": arg}}
			if s, ok := host.(kernel.EffectStarter); ok {
				if err := s.EffectStarted(e); err != nil {
					return err
				}
			}
			k.live = append(k.live, arg)
			e.Result = map[string]any{"exit": 0}
			host.Effect(e)
		case "flaky":
			if k.flaky {
				host.Output(kernel.Output{Kind: kernel.Error, EName: "Flaky", EValue: "not yet"})
				return &kernel.CellError{EName: "Flaky", EValue: "not yet"}
			}
		case "block": // print, then wait to be cancelled
			host.Output(kernel.Output{Kind: kernel.Stream, Name: "stdout", Text: arg + "\n"})
			<-ctx.Done()
			return fmt.Errorf("execute: %w", ctx.Err())
		case "sleep": // wait to be cancelled, silent
			<-ctx.Done()
			return fmt.Errorf("execute: %w", ctx.Err())
		case "pause": // a silent cell that takes arg (a duration)
			d, _ := time.ParseDuration(arg)
			time.Sleep(d)
		case "die":
			return fmt.Errorf("worker exited: %w", kernel.ErrDead)
		}
	}
	return nil
}

type mapSecrets map[string]string

func (m mapSecrets) Secret(name string) (string, error) {
	if v, ok := m[name]; ok {
		return v, nil
	}
	return "", fmt.Errorf("secret %q is not set", name)
}

// makeNotebook builds a 4.5 Go notebook from cells: "# ..." is markdown,
// anything else code; a "[tag]" prefix tags a code cell.
func makeNotebook(cells ...string) *notebook.Notebook {
	nb := &notebook.Notebook{Format: 4, FormatMinor: 5, Metadata: map[string]any{
		"kernelspec":       map[string]any{"name": "ocs-go", "display_name": "Go (ocs)", "language": "go"},
		"lc_notebook_meme": map[string]any{"current": "keep-me"},
	}}
	for i, src := range cells {
		var c *notebook.Cell
		if strings.HasPrefix(src, "#") {
			c = notebook.NewCell(notebook.Markdown, src)
		} else {
			var tag string
			if strings.HasPrefix(src, "[") {
				tag, src, _ = strings.Cut(src[1:], "]")
			}
			c = notebook.NewCell(notebook.Code, src)
			if tag != "" {
				c.Metadata["tags"] = []any{tag}
			}
			c.Metadata["lc_cell_meme"] = map[string]any{"current": fmt.Sprint("meme-", i)}
		}
		c.ID = fmt.Sprintf("c%02d", i)
		nb.Cells = append(nb.Cells, c)
	}
	return nb
}

func run(t *testing.T, nb *notebook.Notebook, opts Options, ctx context.Context, k ...kernel.Kernel) (Result, *notebook.Notebook, string) {
	t.Helper()
	if len(k) == 0 {
		k = append(k, &scriptKernel{})
	}
	if opts.Record == "" {
		opts.Record = filepath.Join(t.TempDir(), "builds", "record.ipynb")
	}
	r, err := New(nb, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	res, err := r.Execute(ctx, k[0])
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	requireFresh(t, r, opts.Record)
	rec, err := notebook.ReadFile(opts.Record)
	if err != nil {
		t.Fatalf("record unreadable: %v", err)
	}
	kerneltest.RequireValid(t, opts.Record)
	return res, rec, opts.Record
}

// requireFresh checks that the record on disk, written through the cell
// cache, is what the notebook in memory encodes to without one: no stale
// cell was written.
func requireFresh(t *testing.T, r *Run, record string) {
	t.Helper()
	want, err := r.Notebook().Bytes()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the record on disk differs from the notebook in memory (a stale cached cell?)")
	}
}

func status(c *notebook.Cell) string {
	m, _ := c.Metadata[notebook.OCSKey].(map[string]any)
	s, _ := m["status"].(string)
	return s
}

func statuses(nb *notebook.Notebook) string {
	var s []string
	for _, c := range nb.Cells {
		if c.Type == notebook.Code {
			s = append(s, status(c))
		}
	}
	return strings.Join(s, ",")
}

func outputText(c *notebook.Cell) string {
	var b strings.Builder
	for _, o := range c.Outputs {
		switch o.Type {
		case notebook.StreamOutput:
			b.WriteString(o.Text.String())
		case notebook.ErrorOutput:
			b.WriteString(o.EName + ": " + o.EValue + "\n")
		case notebook.ResultOutput, notebook.DisplayOutput:
			s, _ := notebook.BundleText(o.Data["text/plain"])
			b.WriteString(s + "\n")
		}
	}
	return b.String()
}

func TestRunSuccess(t *testing.T) {
	nb := makeNotebook("# Setup", "print one\nresult 42", "# Nodes\n## Boot", "print two", "")
	res, rec, _ := run(t, nb, Options{Version: "test"}, nil)
	if res.Status != Completed || res.FailedCell != -1 {
		t.Fatalf("result = %+v", res)
	}
	if got := statuses(rec); got != "completed,completed,skipped" {
		t.Fatalf("statuses = %s", got)
	}
	c1, c3 := rec.Cells[1], rec.Cells[3]
	if *c1.ExecutionCount != 1 || *c3.ExecutionCount != 2 {
		t.Errorf("execution counts %d %d", *c1.ExecutionCount, *c3.ExecutionCount)
	}
	if got := outputText(c1); got != "one\n42\n" {
		t.Errorf("outputs = %q", got)
	}
	if *c1.Outputs[1].ExecutionCount != 1 {
		t.Error("execute_result lacks the execution count")
	}
	exec, _ := c1.Metadata[notebook.ExecutionKey].(map[string]any)
	for _, k := range []string{"iopub.status.busy", "iopub.execute_input", "shell.execute_reply", "iopub.status.idle"} {
		if _, err := time.Parse("2006-01-02T15:04:05.000000Z", fmt.Sprint(exec[k])); err != nil {
			t.Errorf("execution[%s] = %v", k, exec[k])
		}
	}
	meta := rec.Metadata[notebook.OCSKey].(map[string]any)
	for _, k := range []string{"version", "status", "start_time", "end_time", "duration", "host", "user", "source"} {
		if _, ok := meta[k]; !ok {
			t.Errorf("metadata.ocs.%s missing", k)
		}
	}
	if meta["status"] != "completed" {
		t.Errorf("run status %v", meta["status"])
	}
	if _, ok := rec.Metadata["lc_notebook_meme"]; !ok {
		t.Error("foreign notebook metadata dropped")
	}
	if _, ok := c1.Metadata["lc_cell_meme"]; !ok {
		t.Error("foreign cell metadata dropped")
	}
}

func TestFailingCellStopsTheRun(t *testing.T) {
	nb := makeNotebook("print a", "# Step two", "print b\nfail nope\nprint never", "print c")
	res, rec, _ := run(t, nb, Options{}, nil)
	if res.Status != Failed || res.FailedCell != 2 {
		t.Fatalf("result = %+v", res)
	}
	var ce *kernel.CellError
	if !errors.As(res.Err, &ce) {
		t.Fatalf("err = %v, want a CellError", res.Err)
	}
	if got := statuses(rec); got != "completed,failed,pending" {
		t.Fatalf("statuses = %s", got)
	}
	if got := outputText(rec.Cells[2]); got != "b\nBoom: nope\n" {
		t.Errorf("failed cell outputs = %q", got)
	}
	fc := rec.Metadata[notebook.OCSKey].(map[string]any)["failed_cell"].(map[string]any)
	if fmt.Sprint(fc["index"]) != "2" || fc["id"] != "c02" {
		t.Errorf("failed_cell = %v", fc)
	}
}

func TestAllowErrorsAndTags(t *testing.T) {
	nb := makeNotebook("fail first", "[raises-exception]fail expected", "[skip-execution]print skipped", "print last")
	res, rec, _ := run(t, nb, Options{AllowErrors: true}, nil)
	if res.Status != Failed || res.FailedCell != 0 {
		t.Fatalf("result = %+v", res)
	}
	if got := statuses(rec); got != "failed,completed,skipped,completed" {
		t.Fatalf("statuses = %s", got)
	}
	if m := rec.Cells[1].Metadata[notebook.OCSKey].(map[string]any); m["expected_error"] != true {
		t.Errorf("raises-exception cell metadata = %v", m)
	}
	if len(rec.Cells[2].Outputs) != 0 || rec.Cells[2].ExecutionCount != nil {
		t.Error("skipped cell was run")
	}
	// Without --allow-errors, an expected error still lets the run go on.
	res, rec, _ = run(t, makeNotebook("[raises-exception]fail expected", "print after"), Options{}, nil)
	if res.Status != Completed || statuses(rec) != "completed,completed" {
		t.Fatalf("raises-exception stopped the run: %+v %s", res, statuses(rec))
	}
}

func TestParameters(t *testing.T) {
	params := "[parameters]name := \"world\" // who\ncount := 2\ndb_password := \"default\"\n"
	k := &scriptKernel{}
	_, rec, path := run(t, makeNotebook(params, "print hi"), Options{
		Params: map[string]string{"count": "5", "name": "ocs", "db_password": "hunter2!"}}, nil, k)
	if len(rec.Cells) != 3 || !rec.Cells[1].HasTag(notebook.InjectedTag) {
		t.Fatalf("no injected cell after the parameters cell")
	}
	shown := rec.Cells[1].Source.String()
	if !strings.Contains(shown, `name = "ocs"`) || !strings.Contains(shown, "count = 5") || strings.Contains(shown, "hunter2") {
		t.Errorf("injected cell in the record = %q", shown)
	}
	if real := k.sources[1]; !strings.Contains(real, `db_password = "hunter2!"`) {
		t.Errorf("kernel got %q", real)
	}
	meta := rec.Metadata[notebook.OCSKey].(map[string]any)["parameters"].(map[string]any)
	if meta["db_password"] != Mask || meta["count"] != "5" {
		t.Errorf("metadata.ocs.parameters = %v", meta)
	}
	// Rerunning the record replaces the injected cell.
	again, err := notebook.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, rec2, _ := run(t, again, Options{Params: map[string]string{"count": "7"}}, nil)
	injected := 0
	for _, c := range rec2.Cells {
		if c.HasTag(notebook.InjectedTag) {
			injected++
			if !strings.Contains(c.Source.String(), "count = 7") {
				t.Errorf("rerun injected %q", c.Source.String())
			}
		}
	}
	if injected != 1 {
		t.Fatalf("%d injected cells after a rerun", injected)
	}

	bad := []struct {
		params map[string]string
		want   string
	}{
		{map[string]string{"nope": "1"}, `unknown parameter "nope" (the template declares: name, count, db_password)`},
		{map[string]string{"count": "many"}, `parameter "count" wants an int, got "many"`},
	}
	for _, b := range bad {
		_, err := New(makeNotebook(params), Options{Params: b.params})
		if err == nil || !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("params %v: err = %v, want %q", b.params, err, b.want)
		}
	}
	if _, err := New(makeNotebook("print x"), Options{Params: map[string]string{"a": "1"}}); !errors.Is(err, ErrInput) {
		t.Errorf("params without a parameters cell: %v", err)
	}
}

func TestSecretsNeverReachTheRecord(t *testing.T) {
	const secret = "s3cr3t-Valu3"
	nb := makeNotebook("[parameters]api_token := \"\"", "secret db\nchunks xx$Syy\neffect echo $S", "print $S\nfail leaked $S", "secret missing")
	res, rec, path := run(t, nb, Options{
		Params:  map[string]string{"api_token": "tok-123456"},
		Secrets: mapSecrets{"db": secret},
	}, nil)
	if res.Status != Failed {
		t.Fatalf("status %s", res.Status)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{secret, "tok-123456"} {
		if strings.Contains(string(data), s) {
			t.Errorf("record contains secret %q", s)
		}
		if strings.Contains(res.Err.Error(), s) {
			t.Errorf("error contains secret %q", s)
		}
	}
	if got := outputText(rec.Cells[2]); got != "got "+Mask+"\nxx"+Mask+"yy" {
		t.Errorf("masked output = %q", got)
	}
	if !strings.Contains(string(data), "leaked "+Mask) {
		t.Error("masked error message missing")
	}
	effects := rec.Cells[2].Metadata[notebook.OCSKey].(map[string]any)["effects"].([]any)
	if args := effects[0].(map[string]any)["args"].(map[string]any); args["command"] != "echo "+Mask {
		t.Errorf("effect args = %v", args)
	}
}

func TestStreamMaskAcrossChunks(t *testing.T) {
	m := &masker{}
	m.add("abcd")
	m.add("cdef")
	m.add("password")
	tests := [][]string{
		{"xab", "cd", "!"},
		{"pass", "wo", "rd and abc", "def"},
		{"a", "b", "c", "d"},
		{"no secrets here"},
		{"pas", "ta"},
	}
	for _, chunks := range tests {
		sm := &streamMask{m: m}
		var out strings.Builder
		whole := strings.Join(chunks, "")
		for _, c := range chunks {
			out.WriteString(sm.write(c))
		}
		out.WriteString(sm.flush())
		if want := m.mask(whole); out.String() != want {
			t.Errorf("chunks %q: got %q, want %q", chunks, out.String(), want)
		}
	}
}

func TestOutputCap(t *testing.T) {
	const limit = 64 << 10
	nb := makeNotebook("print start\nspew 3000000\nprint the end")
	_, rec, path := run(t, nb, Options{OutputCap: limit}, nil)
	c := rec.Cells[0]
	total := 0
	for _, o := range c.Outputs {
		total += o.Text.Len()
	}
	if total > limit+200 {
		t.Errorf("record keeps %d bytes of output, cap %d", total, limit)
	}
	text := outputText(c)
	if !strings.HasPrefix(text, "start\n") || !strings.HasSuffix(text, "the end\n") {
		t.Errorf("head or tail lost: %q ... %q", text[:20], text[len(text)-20:])
	}
	if !strings.Contains(text, "bytes of output omitted here; the whole output is in "+path+".d/cell-c00.log") {
		t.Errorf("no truncation note in %q", text[limit/2-100:limit/2+200])
	}
	full, err := os.ReadFile(path + ".d/cell-c00.log")
	if err != nil {
		t.Fatal(err)
	}
	if len(full) != len("start\n")+3000000+len("the end\n") {
		t.Errorf("side log holds %d bytes", len(full))
	}
}

func TestTimeoutsAndInterrupt(t *testing.T) {
	res, rec, _ := run(t, makeNotebook("print a", "block waiting", "print c"), Options{CellTimeout: 200 * time.Millisecond}, nil)
	if res.Status != TimedOut || statuses(rec) != "completed,timed-out,pending" {
		t.Fatalf("cell timeout: %+v %s", res, statuses(rec))
	}
	if !strings.Contains(outputText(rec.Cells[1]), "waiting\ntimed-out: the cell ran longer than its limit of 200ms (--cell-timeout)") {
		t.Errorf("timed-out cell outputs %q", outputText(rec.Cells[1]))
	}
	res, rec, _ = run(t, makeNotebook("print a", "block waiting"), Options{Timeout: 200 * time.Millisecond}, nil)
	if res.Status != TimedOut || statuses(rec) != "completed,timed-out" {
		t.Fatalf("run timeout: %+v %s", res, statuses(rec))
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(200*time.Millisecond, func() { cancel(ErrInterrupted) })
	res, rec, _ = run(t, makeNotebook("print a", "block waiting", "print c"), Options{}, ctx)
	if res.Status != Interrupted || statuses(rec) != "completed,interrupted,pending" {
		t.Fatalf("interrupt: %+v %s", res, statuses(rec))
	}
	if rec.Metadata[notebook.OCSKey].(map[string]any)["status"] != "interrupted" {
		t.Error("run not marked interrupted")
	}
}

func TestKernelDeath(t *testing.T) {
	res, rec, _ := run(t, makeNotebook("print a", "die", "print c"), Options{AllowErrors: true}, nil)
	if !res.KernelDied || !errors.Is(res.Err, kernel.ErrDead) || statuses(rec) != "completed,failed,pending" {
		t.Fatalf("kernel death: %+v %s", res, statuses(rec))
	}
	if !strings.Contains(outputText(rec.Cells[1]), "KernelError: worker exited: kernel died") {
		t.Errorf("outputs %q", outputText(rec.Cells[1]))
	}
}

// TestSavesWhileACellStreams reads the record from disk while a cell is
// still running: its output so far is there.
func TestSavesWhileACellStreams(t *testing.T) {
	dir := t.TempDir()
	record := filepath.Join(dir, "r.ipynb")
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	r, err := New(makeNotebook("print first", "print streaming\nprint more\nblock x"), Options{Record: record, SaveInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan Result)
	go func() {
		res, _ := r.Execute(ctx, &scriptKernel{})
		done <- res
	}()
	var seen string
	for i := 0; i < 200 && !strings.Contains(seen, "more"); i++ {
		time.Sleep(10 * time.Millisecond)
		if nb, err := notebook.ReadFile(record); err == nil && len(nb.Cells) > 1 {
			if status(nb.Cells[1]) == "running" {
				seen = outputText(nb.Cells[1])
			}
		}
	}
	cancel(ErrInterrupted)
	<-done
	if !strings.Contains(seen, "streaming\nmore") {
		t.Fatalf("record on disk during the cell showed %q", seen)
	}
}

func TestLanguage(t *testing.T) {
	tests := []struct {
		kernelspec map[string]any
		name       string
		goKernel   bool
	}{
		{nil, "", true},
		{map[string]any{"name": "ocs-go", "language": "go"}, "ocs-go", true},
		{map[string]any{"name": "ocs-go"}, "ocs-go", true},
		{map[string]any{"name": "python3", "display_name": "Python 3", "language": "python"}, "python3", false},
		{map[string]any{"name": "python3"}, "python3", false},
		{map[string]any{"name": "bash", "language": "bash"}, "bash", false},
	}
	for _, tt := range tests {
		nb := makeNotebook("print(1)")
		delete(nb.Metadata, "kernelspec")
		if tt.kernelspec != nil {
			nb.Metadata["kernelspec"] = tt.kernelspec
		}
		if got := KernelName(nb); got != tt.name {
			t.Errorf("KernelName(%v) = %q, want %q", tt.kernelspec, got, tt.name)
		}
		if got := IsGo(nb); got != tt.goKernel {
			t.Errorf("IsGo(%v) = %v, want %v", tt.kernelspec, got, tt.goKernel)
		}
		// Any language runs: the caller picks the kernel.
		if _, err := New(nb, Options{}); err != nil {
			t.Errorf("New(%v): %v", tt.kernelspec, err)
		}
		var le *LanguageError
		if err := checkLanguage(nb); tt.goKernel != (err == nil) || err != nil && (!errors.As(err, &le) || !errors.Is(err, ErrInput)) {
			t.Errorf("checkLanguage(%v) = %v", tt.kernelspec, err)
		}
	}
}

func TestHeading(t *testing.T) {
	tests := map[string]string{
		"# Title\n\ntext\n## Sub *x*\n": "Sub *x*",
		"no heading":                    "",
		"```\n# not a heading\n```":     "",
		"#hashtag":                      "",
		"### 節の見出し ###":                 "節の見出し",
	}
	for src, want := range tests {
		if got := Heading(notebook.NewCell(notebook.Markdown, src)); got != want {
			t.Errorf("Heading(%q) = %q, want %q", src, got, want)
		}
	}
}

// finishingKernel records, when the runner calls Finish, which cells it
// had run and what the record on disk said of the run.
type finishingKernel struct {
	scriptKernel
	record   string
	finishes int
	ranFirst int    // cells run before the first Finish
	onDisk   string // the run's status in the record at that Finish
}

func (k *finishingKernel) Finish() {
	k.finishes++
	if k.finishes > 1 {
		return
	}
	k.ranFirst = len(k.sources)
	if nb, err := notebook.ReadFile(k.record); err == nil {
		if info, ok := ReadRunInfo(nb); ok {
			k.onDisk = info.Status
		}
	}
}

// The runner tells a kernel it is done once no cell is left, before the
// final save, so that the kernel's exit overlaps that save; after a
// failure too.
func TestFinishBeforeTheFinalSave(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cells  []string
		ran    int
		status Status
	}{
		{"completed", []string{"print a", "print b"}, 2, Completed},
		{"failed", []string{"print a", "fail boom", "print c"}, 2, Failed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			record := filepath.Join(t.TempDir(), "rec.ipynb")
			r, err := New(makeNotebook(tc.cells...), Options{Record: record})
			if err != nil {
				t.Fatal(err)
			}
			k := &finishingKernel{record: record}
			res, err := r.Execute(context.Background(), k)
			if err != nil || res.Status != tc.status {
				t.Fatalf("run: %v, %v; want %s", res.Status, err, tc.status)
			}
			if k.finishes != 1 || k.ranFirst != tc.ran {
				t.Errorf("Finish called %d times, after %d cells; want once, after %d", k.finishes, k.ranFirst, tc.ran)
			}
			if k.onDisk != string(Running) {
				t.Errorf("the record said %q at Finish; the final save comes after it", k.onDisk)
			}
		})
	}
}
