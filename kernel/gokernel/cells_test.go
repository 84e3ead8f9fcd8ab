package gokernel_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ocs/kernel"
	"ocs/kernel/kerneltest"
)

// step is one cell of a test session and what it must produce.
type step struct {
	src     string
	result  string // text/plain of the execute_result ("" = none expected)
	stdout  string // exact stdout ("" = not checked unless noOut)
	stderr  string // substring of stderr
	ename   string // the cell must fail with this error name
	evalue  string // ... and an error value containing this
	noOut   bool   // stdout must be empty
	secrets map[string]string
}

func runSteps(t *testing.T, steps []step) {
	t.Helper()
	k := newKernel(t)
	for i, s := range steps {
		rec := &kerneltest.Recorder{Secrets: s.secrets}
		err := k.Execute(context.Background(), kernel.Cell{Index: i, Source: s.src, Count: i + 1}, rec)
		if s.ename != "" {
			var ce *kernel.CellError
			if !errors.As(err, &ce) {
				t.Fatalf("cell %d %q: err = %v, want a cell error %s", i, s.src, err, s.ename)
			}
			if ce.EName != s.ename || !strings.Contains(ce.EValue, s.evalue) {
				t.Errorf("cell %d %q: error = %s: %s, want %s containing %q", i, s.src, ce.EName, ce.EValue, s.ename, s.evalue)
			}
			out, ok := rec.Find(kernel.Error)
			if !ok || out.EName != ce.EName {
				t.Errorf("cell %d: error output = %+v, want one for %s", i, out, ce.EName)
			}
			continue
		}
		if err != nil {
			t.Fatalf("cell %d %q: %v (outputs %+v)", i, s.src, err, rec.Outputs())
		}
		out, ok := rec.Find(kernel.Result)
		switch {
		case s.result == "" && ok:
			t.Errorf("cell %d %q: unexpected execute_result %v", i, s.src, out.Data)
		case s.result != "" && !ok:
			t.Errorf("cell %d %q: no execute_result, want %q (outputs %+v)", i, s.src, s.result, rec.Outputs())
		case s.result != "" && out.Data["text/plain"] != s.result:
			t.Errorf("cell %d %q: result = %q, want %q", i, s.src, out.Data["text/plain"], s.result)
		}
		if got := rec.Stream("stdout"); (s.stdout != "" || s.noOut) && got != s.stdout {
			t.Errorf("cell %d %q: stdout = %q, want %q", i, s.src, got, s.stdout)
		}
		if s.stderr != "" && !strings.Contains(rec.Stream("stderr"), s.stderr) {
			t.Errorf("cell %d %q: stderr = %q, want it to contain %q", i, s.src, rec.Stream("stderr"), s.stderr)
		}
	}
}

func TestGoSemantics(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{
		{"mixed declarations and statements", []step{
			{src: "import \"strings\"\ntype T struct{ N int }\nfunc (t T) Double() int { return t.N * 2 }\nx := T{21}\nfunc up(s string) string { return strings.ToUpper(s) }\nup(\"a\") + \"-\" + strings.Repeat(\"b\", x.Double()/21)", result: `"A-bb"`},
		}},
		{"redefinition across cells", []step{
			{src: "func f() int { return 1 }\nv := 10"},
			{src: "func f() int { return 2 }\nv := \"now a string\""},
			{src: "f()", result: "2"},
			{src: "v", result: `"now a string"`},
			{src: "var y = 3"},
			{src: "var y = f() + 4\ny", result: "6"},
		}},
		{"re-running a cell with imports", []step{
			{src: "import \"fmt\"\nfmt.Println(\"one\")", stdout: "one\n"},
			{src: "import \"fmt\"\nfmt.Println(\"one\")", stdout: "one\n"},
			{src: "import (\n\t\"fmt\"\n\t\"strconv\"\n)\nfmt.Println(strconv.Itoa(2))", stdout: "2\n"},
		}},
		{"no result for statements and void calls", []step{
			{src: "import \"fmt\"\nfmt.Println(\"x\")", stdout: "x\n"},
			{src: "func noop() {}\nnoop()"},
			{src: "for i := 0; i < 2; i++ {}"},
			{src: "z := 5"},
		}},
		{"println and os.Stdout are captured in order", []step{
			{src: "import \"fmt\"\nimport \"os\"\nprint(\"p1 \")\nfmt.Fprint(os.Stdout, \"p2 \")\nprintln(\"p3\")", stdout: "p1 p2 p3\n"},
		}},
		{"String methods of interpreted types format the result", []step{
			{src: "type P struct{ X, Y int }\nfunc (p P) String() string { return \"P!\" }\npp := P{1, 2}\npp", result: "P!"},
		}},
		{"compile error reports cell lines", []step{
			{src: "a := 1\nb := \"s\"\n\nc := a + b", ename: "CompileError", evalue: "line 4:"},
			{src: "x := 1\nfmt.Println(x +)", ename: "CompileError", evalue: "line 2:"},
			{src: "q := 2\n\nundefinedThing(q)", ename: "CompileError", evalue: "line 3:1: undefined: undefinedThing"},
			{src: "func h() int {\n\treturn \"s\"\n}", ename: "CompileError", evalue: "line 2:"},
		}},
		{"panics are cell errors", []step{
			{src: "s := []int{1}\n_ = s[5]", ename: "Panic", evalue: "index out of range"},
			{src: "func inner() { panic(\"deep\") }\n\ninner()", ename: "Panic", evalue: "deep"},
			{src: "1 + 1", result: "2"},
		}},
		{"os.Exit fails the cell, not the process", []step{
			{src: "import \"os\"\nos.Exit(3)", ename: "Exit", evalue: "os.Exit(3)"},
			{src: "2 + 2", result: "4"},
		}},
		{"yaegi compile-time crash is a cell error", []step{
			{src: "for i := range 3 {\n\t_ = i\n}", ename: "Panic"},
			{src: "3", result: "3"},
		}},
		{"Go negation is not a shell line", []step{
			{src: "done := false\nok := !done\nok2 := true &&\n\t!done\nok && ok2", result: "true"},
		}},
		{"rich results", []step{
			{src: "import \"ocs/display\"\ndisplay.HTML(\"<i>x</i>\")", result: "<i>x</i>"},
			{src: "display.NewTable(\"name\", \"n\").Row(\"alpha\", 1).Row(\"b\", 22)", result: "name   n\n-----  --\nalpha  1\nb      22\n"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runSteps(t, tt.steps) })
	}
}

func TestShellBridge(t *testing.T) {
	kerneltest.NeedTool(t, "bash")
	tests := []struct {
		name  string
		steps []step
	}{
		{"plain line", []step{{src: "!echo hello", stdout: "hello\n"}}},
		{"inside a for over a slice with interpolation", []step{
			{src: "type host struct{ name string }\nhosts := []host{{\"a\"}, {\"b\"}}\nfor i, h := range hosts {\n\tif i >= 0 {\n\t\t!echo node-{h.name} {i+1}\n\t}\n}", stdout: "node-a 1\nnode-b 2\n"},
		}},
		{"inside a func body", []step{
			{src: "func greet(who string) {\n\t!echo hi {who}\n}\ngreet(\"x\")\ngreet(\"y\")", stdout: "hi x\nhi y\n"},
		}},
		{"capture", []step{
			{src: "out := !printf 'x\\ny\\n'\nlen(out)", result: "2"},
			{src: "out[1]", result: `"y"`},
			{src: "n := \"z\"\nout = !echo {n}\nout", result: "[z]"},
			{src: "lines := %sx echo a b\nlines", result: "[a b]"},
		}},
		{"escaped braces", []step{
			{src: "x := 1\n!echo '{{x}}' {{{{y}}}} {x}", stdout: "{x} {{y}} 1\n"},
			{src: "!echo ${HOME:+set}", stdout: "set\n"},
		}},
		{"continuation lines", []step{
			{src: "!echo a \\\n    b \\\n    c\n!echo d", stdout: "a b c\nd\n"},
		}},
		{"failing command fails the cell", []step{
			{src: "!echo before\n!exit 3\n!echo after", ename: "ShellError", evalue: `command "exit 3" failed with exit status 3`},
			{src: "f := \"nope\"\n!ls /{f}/x 2>/dev/null", ename: "ShellError", evalue: `"ls /nope/x 2>/dev/null" failed with exit status 2`},
			{src: "!false || true\n!echo ok", stdout: "ok\n"},
		}},
		{"stderr is streamed", []step{
			{src: "!echo oops >&2", stderr: "oops"},
		}},
		{"cell magics", []step{
			{src: "%%bash\nfor i in 1 2; do\n  echo $((i*10))\ndone", stdout: "10\n20\n"},
			{src: "%%sh\necho {not interpolated}", stdout: "{not interpolated}\n"},
			{src: "%%bash\nexit 4", ename: "ShellError", evalue: "exit status 4"},
			{src: "%%nope\nx", ename: "CompileError", evalue: `unknown cell magic "%%nope"`},
		}},
		{"writefile", []step{
			{src: "name := \"conf\""},
			{src: "%%writefile {name}.yml\ngroups:\n  a: {{ x }}", stdout: "Writing conf.yml\n"},
			{src: "%%writefile -a {name}.yml\nmore: 1", stdout: "Appending to conf.yml\n"},
			{src: "!cat conf.yml", stdout: "groups:\n  a: {{ x }}\nmore: 1\n"},
		}},
		{"cd and env persist across cells", []step{
			{src: "!mkdir -p sub/deeper"},
			{src: "d := \"sub\"\n%cd {d}"},
			{src: "!basename $(pwd)", stdout: "sub\n"},
			{src: "%env GREETING=hello there"},
			{src: "!echo $GREETING", stdout: "hello there\n"},
			{src: "import \"os\"\nos.Getenv(\"GREETING\")", result: `"hello there"`},
			{src: "os.Setenv(\"FROM_GO\", \"yes\")\n!echo $FROM_GO", stdout: "yes\n"},
			{src: "wd, _ := os.Getwd()\nfilepath := wd[len(wd)-3:]\nfilepath", result: `"sub"`},
			{src: "%cd deeper"},
			{src: "!basename $PWD", stdout: "deeper\n"},
		}},
		{"unknown magic", []step{
			{src: "x := 1\n%timeit x", ename: "CompileError", evalue: `line 2: unknown magic "%timeit"`},
		}},
		{"secrets are masked", []step{
			{src: "import \"ocs/secret\"\npw := secret.Get(\"db_password\")\n!test {pw} = hunter2 && exit 7", secrets: map[string]string{"db_password": "hunter2"}, ename: "ShellError", evalue: `command "test ******** = ******** && exit 7" failed with exit status 7`},
			{src: "secret.Get(\"missing\")", ename: "SecretError", evalue: `secret "missing"`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runSteps(t, tt.steps) })
	}
}

func TestRunMagic(t *testing.T) {
	k := newKernel(t)
	dir := t.TempDir()
	helper := "package main\n\nimport \"strings\"\n\nfunc Shout(s string) string { return strings.ToUpper(s) + \"!\" }\n\nvar Greeting = \"hi\"\n"
	if err := os.WriteFile(filepath.Join(dir, "helpers.go"), []byte(helper), 0o644); err != nil {
		t.Fatal(err)
	}
	broken := "package main\n\nfunc Bad() int {\n\treturn \"s\"\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "broken.go"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := &kerneltest.Recorder{}
	src := "dir := " + quote(dir) + "\n%run {dir}/helpers.go\nShout(Greeting)"
	if err := k.Execute(context.Background(), kernel.Cell{Source: src, Count: 1}, rec); err != nil {
		t.Fatalf("%%run: %v (%+v)", err, rec.Outputs())
	}
	if out, _ := rec.Find(kernel.Result); out.Data["text/plain"] != `"HI!"` {
		t.Errorf("result = %v, want \"HI!\"", out.Data)
	}
	// Running it again (a re-run cell) must work too.
	if err := k.Execute(context.Background(), kernel.Cell{Source: src, Count: 2}, &kerneltest.Recorder{}); err != nil {
		t.Fatalf("second %%run: %v", err)
	}
	err := k.Execute(context.Background(), kernel.Cell{Source: "%run " + dir + "/broken.go"}, &kerneltest.Recorder{})
	var ce *kernel.CellError
	if !errors.As(err, &ce) || !strings.Contains(ce.EValue, "broken.go:4:") {
		t.Errorf("broken %%run: err = %v, want a compile error at broken.go:4", err)
	}
	err = k.Execute(context.Background(), kernel.Cell{Source: "for {\n%run x.go\n}"}, &kerneltest.Recorder{})
	if !errors.As(err, &ce) || !strings.Contains(ce.EValue, "top level") {
		t.Errorf("nested %%run: err = %v, want a top-level error", err)
	}
}

func quote(s string) string { return "`" + s + "`" }

func TestReplay(t *testing.T) {
	kerneltest.NeedTool(t, "bash")
	dir := t.TempDir()
	marker := filepath.Join(dir, "marker")
	src := "!touch " + marker + "; echo ran\nout := !echo captured-live\nout[0]"

	live := newKernel(t)
	rec := &kerneltest.Recorder{}
	if err := live.Execute(context.Background(), kernel.Cell{Source: src, Count: 1}, rec); err != nil {
		t.Fatalf("live: %v", err)
	}
	journal := rec.Effects()
	if len(journal) != 2 || journal[0].Op != "shell" || journal[1].Args["capture"] != true {
		t.Fatalf("journal = %+v, want two shell effects", journal)
	}
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	// The journal as a record would hold it: the captured lines changed, to
	// prove the replay answers from it.
	journal[1].Result = map[string]any{"exit": 0.0, "lines": []any{"captured-journal"}}

	t.Run("answers from the journal", func(t *testing.T) {
		k := newKernel(t)
		rec := &kerneltest.Recorder{}
		err := k.Execute(context.Background(), kernel.Cell{Source: src, Count: 1, Mode: kernel.Replay, Journal: journal}, rec)
		if err != nil {
			t.Fatalf("replay: %v (%+v)", err, rec.Outputs())
		}
		if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("replay ran the command: marker stat err = %v", err)
		}
		if got := rec.Stream("stdout"); got != "" {
			t.Errorf("replay re-emitted shell output %q", got)
		}
		if out, _ := rec.Find(kernel.Result); out.Data["text/plain"] != `"captured-journal"` {
			t.Errorf("result = %v, want the journal's capture", out.Data)
		}
		if len(rec.Effects()) != 0 {
			t.Errorf("replay reported effects %+v", rec.Effects())
		}
	})
	t.Run("a different command diverges", func(t *testing.T) {
		k := newKernel(t)
		err := k.Execute(context.Background(), kernel.Cell{Index: 4, Source: "!echo something else", Mode: kernel.Replay, Journal: journal}, &kerneltest.Recorder{})
		var d *kernel.DivergenceError
		if !errors.As(err, &d) {
			t.Fatalf("err = %v, want a *kernel.DivergenceError", err)
		}
		if d.CellIndex != 4 || !strings.Contains(d.Call, "something else") || !strings.Contains(d.Journal, "touch") {
			t.Errorf("divergence = %+v", d)
		}
	})
	t.Run("unused journal entries diverge", func(t *testing.T) {
		k := newKernel(t)
		err := k.Execute(context.Background(), kernel.Cell{Source: "!touch " + marker + "; echo ran", Mode: kernel.Replay, Journal: journal}, &kerneltest.Recorder{})
		var d *kernel.DivergenceError
		if !errors.As(err, &d) || d.Call != "no further call" {
			t.Fatalf("err = %v, want a divergence for the unused capture", err)
		}
	})
	t.Run("a journaled failure fails again", func(t *testing.T) {
		k := newKernel(t)
		j := []kernel.Effect{{Op: "shell", Args: map[string]any{"command": "exit 5"}, Result: map[string]any{"exit": 5.0}}}
		err := k.Execute(context.Background(), kernel.Cell{Source: "!exit 5", Mode: kernel.Replay, Journal: j}, &kerneltest.Recorder{})
		var ce *kernel.CellError
		if !errors.As(err, &ce) || !strings.Contains(ce.EValue, "exit status 5") {
			t.Fatalf("err = %v, want the journaled exit status", err)
		}
	})
}

func TestLiveEffects(t *testing.T) {
	kerneltest.NeedTool(t, "bash")
	k := newKernel(t)
	rec := &kerneltest.Recorder{Secrets: map[string]string{"token": "s3cr3t"}}
	src := "import \"ocs/secret\"\ntok := secret.Get(\"token\")\n!echo {tok} > /dev/null\n%%writefile x"
	src = strings.Replace(src, "%%writefile x", "n := 1", 1)
	if err := k.Execute(context.Background(), kernel.Cell{Source: src}, rec); err != nil {
		t.Fatal(err)
	}
	effs := rec.Effects()
	if len(effs) != 2 || effs[0].Op != "secret" || effs[0].Args["name"] != "token" || effs[1].Args["command"] != "echo ******** > /dev/null" {
		t.Fatalf("effects = %+v", effs)
	}
	if effs[1].Result["exit"] != 0.0 && effs[1].Result["exit"] != 0 {
		t.Errorf("exit = %v", effs[1].Result["exit"])
	}
	for _, e := range effs {
		if strings.Contains(e.Op+e.Err, "s3cr3t") {
			t.Errorf("secret leaked into %+v", e)
		}
	}
}

func TestWorkerCrash(t *testing.T) {
	k := newKernel(t)
	rec := &kerneltest.Recorder{}
	err := k.Execute(context.Background(), kernel.Cell{Source: "go func() { panic(\"in goroutine\") }()\nselect {}"}, rec)
	if !errors.Is(err, kernel.ErrDead) {
		t.Fatalf("err = %v, want one wrapping kernel.ErrDead", err)
	}
	if !strings.Contains(err.Error(), "in goroutine") {
		t.Errorf("err = %v, want the panic's message", err)
	}
	if out, ok := rec.Find(kernel.Error); !ok || out.EName != "KernelDied" {
		t.Errorf("error output = %+v", out)
	}
	if err := k.Execute(context.Background(), kernel.Cell{Source: "1"}, rec); !errors.Is(err, kernel.ErrDead) {
		t.Errorf("after death: err = %v, want kernel.ErrDead", err)
	}
}

func TestTimeoutInNativeBlock(t *testing.T) {
	k := newKernel(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	began := time.Now()
	err := k.Execute(ctx, kernel.Cell{Source: "import \"time\"\ntime.Sleep(time.Hour)"}, &kerneltest.Recorder{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if took := time.Since(began); took > 2200*time.Millisecond {
		t.Errorf("took %s", took)
	}
	rec := &kerneltest.Recorder{}
	if err := k.Execute(context.Background(), kernel.Cell{Source: "40 + 2"}, rec); err != nil {
		t.Fatalf("after timeout: %v", err)
	}
}
