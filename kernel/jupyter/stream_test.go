package jupyter

import (
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"ocs/kernel"
	"ocs/kernel/kerneltest"
)

// The stream decoder gives what json.Unmarshal gives, escapes, surrogate
// pairs, odd keys and all.
func TestDecodeStream(t *testing.T) {
	for _, content := range []string{
		`{"name": "stdout", "text": "hello\n"}`,
		`{"text":"a\"b\\c\/d\b\f\n\r\t","name":"stderr"}`,
		`{"name": "stdout", "text": "caf\u00e9 \u65e5\u672c \ud83d\ude00 \ud800 x \udc00\ud83d"}`,
		`{"name": "stdout", "text": "\ud83d\u0041"}`,
		`{"name": "stdout", "text": "plain é 日本 😀"}`,
		`{"metadata": {"a": [1, "}", {"text": "no"}]}, "Text": "mixed case", "n": -1.5e3, "b": true, "z": null}`,
		`{"text": "first", "text": "last", "NAME": "stderr"}`,
		`{"text": null, "name": null}`,
		`{"name": 3, "text": "x"}`,
		`{"text": 3}`,
		`{"na\u006de": "stderr", "text": "escaped key"}`,
		`{}`,
		` { "text" : "spaces" , "name" : "stdout" } `,
		"{\"text\": \"bad utf8 \xff\"}",
		`[1, 2]`,
		`not json`,
	} {
		var want streamContent
		wantOK := json.Unmarshal([]byte(content), &want) == nil
		got, ok := decodeStream([]byte(content))
		if ok != wantOK || (ok && got != want) {
			t.Errorf("decodeStream(%s) = %+v, %v; json.Unmarshal gives %+v, %v", content, got, ok, want, wantOK)
		}
	}
}

// A big stream message is decoded without a copy of its text: the text
// shares the content's memory.
func TestDecodeStreamSharesContent(t *testing.T) {
	body, _ := json.Marshal(streamContent{Name: "stdout", Text: strings.Repeat("line\twith \"quotes\"\n", 1000)})
	s, ok := decodeStream(body)
	if !ok || s.Text != strings.Repeat("line\twith \"quotes\"\n", 1000) {
		t.Fatalf("decodeStream: %v %q...", ok, s.Text[:40])
	}
	b := append([]byte(nil), body...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	decodeStream(b)
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 1024 {
		t.Errorf("decoding %d bytes allocated %d", len(body), n)
	}
}

func FuzzDecodeStream(f *testing.F) {
	f.Add([]byte(`{"name": "stdout", "text": "a\u00e9\ud83d\ude00\n"}`))
	f.Add([]byte(`{"text": "x", "TEXT": "y", "meta": [{"text": 1}]}`))
	f.Fuzz(func(t *testing.T, content []byte) {
		var want streamContent
		wantOK := json.Unmarshal(content, &want) == nil
		got, ok := decodeStream(append([]byte(nil), content...))
		if ok != wantOK || (ok && got != want) {
			t.Errorf("decodeStream(%q) = %+v, %v; json.Unmarshal gives %+v, %v", content, got, ok, want, wantOK)
		}
	})
}

// The set-up makes the kernel send what a cell prints every 50 ms, so a
// cell printing fast comes in messages of a few hundred KB; and it takes
// off each cell ipykernel's sleep before the reply and the flushes of
// streams with nothing in them, without losing text a cell leaves
// unflushed at its end.
func TestKernelStreamSetup(t *testing.T) {
	k := startKernel(t, Options{CacheDir: t.TempDir()})
	ctx := context.Background()
	out, err := k.RunSilent(ctx, "import sys\nprint(sys.stdout.flush_interval, sys.stderr.flush_interval, get_ipython().kernel._execute_sleep)")
	if err != nil || out != "0.05 0.05 0.0\n" {
		t.Errorf("flush intervals and execute sleep %q, %v; want 0.05 0.05 0.0", out, err)
	}
	cells := []struct{ name, src, stdout, stderr string }{
		{"no newline, no flush", "import sys\nsys.stdout.write('out')\nsys.stderr.write('err')", "out", "err"},
		{"nothing written", "x = 1", "", ""},
		{"from a thread", "import threading\nt = threading.Thread(target=lambda: print('thread', end=''))\nt.start()\nt.join()", "thread", ""},
		{"after an empty flush", "import sys\nsys.stdout.flush()\nsys.stdout.write('late')", "late", ""},
	}
	for _, c := range cells {
		rec := &kerneltest.Recorder{}
		if err := k.Execute(ctx, kernel.Cell{Source: c.src}, rec); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := rec.Stream("stdout"); got != c.stdout {
			t.Errorf("%s: stdout %q, want %q", c.name, got, c.stdout)
		}
		if got := rec.Stream("stderr"); got != c.stderr {
			t.Errorf("%s: stderr %q, want %q", c.name, got, c.stderr)
		}
	}
}
