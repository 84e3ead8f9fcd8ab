package gokernel

import (
	"strconv"
	"strings"
	"testing"
)

func TestRewriteCell(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // the Go of the single segment
		err  string
	}{
		{"plain go", "x := 1\nx", "x := 1\nx", ""},
		{"shell line", "!ls -la", `__ocs.Sh("ls -la")`, ""},
		{"indented shell line keeps indentation", "for _, h := range hs {\n\t!ping {h}\n}", "for _, h := range hs {\n\t__ocs.Sh(\"ping \", __ocsfmt.Sprint(h))\n}", ""},
		{"continuation keeps line count", "!a \\\n  b\nx", "__ocs.Sh(\"a b\")\n\nx", ""},
		{"escaped braces", "!echo {{x}} {{{{y}}}}", `__ocs.Sh("echo {x} {{y}}")`, ""},
		{"shell parameter braces", "!echo ${HOME}", `__ocs.Sh("echo ${HOME}")`, ""},
		{"non-expression braces stay", "!awk '{print $1}'", `__ocs.Sh("awk '{print $1}'")`, ""},
		{"expression with strings", `!echo {m["k}"]}`, `__ocs.Sh("echo ", __ocsfmt.Sprint(m["k}"]))`, ""},
		{"double bang", "! ! diff a b", `__ocs.Sh(" ! diff a b")`, ""},
		{"capture define", "out := !ls {d}", `out := []string(__ocs.Capture("ls ", __ocsfmt.Sprint(d)))`, ""},
		{"capture assign", "out = !echo {n}", `out = []string(__ocs.Capture("echo ", __ocsfmt.Sprint(n)))`, ""},
		{"go negation stays", "ok := !done\nok = !f(x) && y", "ok := !done\nok = !f(x) && y", ""},
		{"sx capture", "v := %sx date", `v := []string(__ocs.Capture("date"))`, ""},
		{"continued expression is go", "ok := a &&\n\t!b", "ok := a &&\n\t!b", ""},
		{"bang in raw string is go", "s := `\n!not shell\n`", "s := `\n!not shell\n`", ""},
		{"bang in block comment", "/*\n!x\n*/\n!y", "/*\n!x\n*/\n__ocs.Sh(\"y\")", ""},
		{"cd", "%cd {dir}/x", `__ocs.Cd(__ocs.Join(__ocsfmt.Sprint(dir), "/x"))`, ""},
		{"env", "%env A=b", `__ocs.Env(__ocs.Join("A=b"))`, ""},
		{"bash cell", "%%bash\necho {x}\n", `__ocs.Script("bash", "echo {x}\n")`, ""},
		{"writefile", "%%writefile -a {d}/f.yml\na: 1", `__ocs.WriteFile(__ocs.Join(__ocsfmt.Sprint(d), "/f.yml"), true, "a: 1\n")`, ""},
		{"unknown magic", "%time x", "", `line 1: unknown magic "%time"`},
		{"unknown cell magic", "%%capture\nx", "", `unknown cell magic "%%capture"`},
		{"run in block", "if x {\n%run a.go\n}", "", "top level"},
		{"writefile without path", "%%writefile\nx", "", "needs a path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			segs, err := rewriteCell(tt.src)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(segs) != 1 {
				t.Fatalf("segments = %+v, want one", segs)
			}
			if segs[0].Go != tt.want {
				t.Errorf("rewrite = %q\nwant      %q", segs[0].Go, tt.want)
			}
		})
	}
}

func TestRewriteRunSegments(t *testing.T) {
	segs, err := rewriteCell("a := 1\n%run {dir}/h.go\nb := a\n!echo {b}")
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) != 3 || segs[1].RunPath != `__ocs.Join(__ocsfmt.Sprint(dir), "/h.go")` || segs[1].Line != 2 {
		t.Fatalf("segments = %+v", segs)
	}
	if want := "\n\nb := a\n__ocs.Sh(\"echo \", __ocsfmt.Sprint(b))"; segs[2].Go != want {
		t.Errorf("third segment = %q, want %q (aligned to cell lines)", segs[2].Go, want)
	}
}

func TestSplitChunks(t *testing.T) {
	src := "import \"fmt\"\nx := 1\nfunc f() {}\nfunc (t T) M() {}\nfunc() {}()\nvar y = 2\ntype T int\nfmt.Println(x)"
	var got []string
	for _, c := range splitChunks(src) {
		kind := "stmt"
		if c.Kind == declChunk {
			kind = "decl"
		}
		got = append(got, kind+"@"+itoa(c.Line))
	}
	want := "decl@1 stmt@2 decl@3 stmt@5 decl@7 stmt@8"
	if strings.Join(got, " ") != want {
		t.Errorf("chunks = %v, want %s", got, want)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// FuzzRewrite checks that any cell rewrites without panicking, the same way
// every time, keeping the cell's line count in each Go segment.
func FuzzRewrite(f *testing.F) {
	for _, s := range []string{
		"!ls {x}", "out := !echo {a[1]} \\\n b", "%%writefile {p}\nx", "%cd {", "!{{{", "`\n!x`", "/*\n%run x\n*/",
		"for _, h := range hs {\n\t!ping -c1 {h.addr} || true\n}", "%run a.go\n%run b.go", "x := !ok", "!echo {\"}\"}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		a, errA := rewriteCell(src)
		b, errB := rewriteCell(src)
		if (errA == nil) != (errB == nil) || len(a) != len(b) {
			t.Fatalf("rewrite is not deterministic for %q", src)
		}
		lines := strings.Count(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("rewrite is not deterministic for %q", src)
			}
			if a[i].Go != "" && !strings.HasPrefix(src, "%%") && strings.Count(a[i].Go, "\n") > lines {
				t.Fatalf("segment %d of %q has more lines than the cell: %q", i, src, a[i].Go)
			}
		}
	})
}

// FuzzSplit checks that splitting and the syntax check never panic and that
// chunk positions stay inside the source.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{"x := 1\nfunc f() {}\nf()", "func (", "import (\n\"fmt\"\n)", "}}}", "a[", "type T[", "func(){}()"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		for _, c := range splitChunks(src) {
			if c.Line < 1 || c.Col < 1 {
				t.Fatalf("chunk at %d:%d", c.Line, c.Col)
			}
			_ = c.checkSyntax()
			c.trailingExpr()
			dropKnownImports(c, map[importKey]bool{{"fmt", "fmt"}: true})
		}
	})
}
