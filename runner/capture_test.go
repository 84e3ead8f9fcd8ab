package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ocs/notebook"
)

// Finding 16: one write that crosses the cap still leaves a full head.
func TestCaptureSplitsTheCrossingChunk(t *testing.T) {
	var seq strings.Builder
	for i := 1; i <= 5000; i++ {
		fmt.Fprintf(&seq, "%d\n", i)
	}
	log := filepath.Join(t.TempDir(), "cell.log")
	c := newCapture(2000, log)
	c.stream("stdout", seq.String())
	out := c.result()
	if err := c.close(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 3 || out[0].Type != notebook.StreamOutput {
		t.Fatalf("outputs %+v", out)
	}
	head, tail := out[0].Text.String(), out[len(out)-1].Text.String()
	if len(head) != 1000 || !strings.HasPrefix(head, "1\n2\n3\n") {
		t.Errorf("head is %d bytes: %q...", len(head), head[:min(20, len(head))])
	}
	if len(tail) != 1000 || !strings.HasSuffix(tail, "4999\n5000\n") {
		t.Errorf("tail is %d bytes", len(tail))
	}
	if full, _ := os.ReadFile(log); string(full) != seq.String() {
		t.Errorf("side log holds %d bytes, want %d", len(full), seq.Len())
	}
}

// Finding 26: rich outputs past the cap stay in the record as a note, their
// data in the side log.
func TestCaptureCapsRichOutputs(t *testing.T) {
	log := filepath.Join(t.TempDir(), "cell.log")
	c := newCapture(1000, log)
	small := map[string]any{"text/html": "<b>ok</b>"}
	big := map[string]any{"text/html": strings.Repeat("<p>x</p>", 500)}
	c.other(notebook.NewDisplay(small, map[string]any{}))
	c.other(notebook.NewDisplay(big, map[string]any{}))
	c.other(notebook.NewResult(3, map[string]any{"text/plain": strings.Repeat("9", 5000)}, map[string]any{}))
	out := c.result()
	if err := c.close(); err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 || dataSize(out[0].Data["text/html"]) != len("<b>ok</b>") {
		t.Fatalf("outputs %+v", out)
	}
	for i, o := range out[1:] {
		note := fmt.Sprint(o.Data["text/plain"])
		if _, has := o.Data["text/html"]; has || !strings.Contains(note, "left out of the record") || !strings.Contains(note, log) {
			t.Errorf("output %d: %v", i+1, o.Data)
		}
	}
	if out[2].Type != notebook.ResultOutput || *out[2].ExecutionCount != 3 {
		t.Errorf("the result's note is %s #%v", out[2].Type, out[2].ExecutionCount)
	}
	full, _ := os.ReadFile(log)
	if !strings.Contains(string(full), strings.Repeat("<p>x</p>", 500)) || !strings.Contains(string(full), strings.Repeat("9", 5000)) {
		t.Errorf("side log lacks the data (%d bytes)", len(full))
	}
}

// Finding 26: a cell's source has a size limit.
func TestCellSourceLimit(t *testing.T) {
	nb := makeNotebook("print ok", strings.Repeat("x", MaxCellSource+1))
	_, err := New(nb, Options{})
	if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), `cell 1 (id "c01")`) {
		t.Fatalf("err = %v", err)
	}
}

// Past the cap, chunks of any size keep the record's tail within the cap:
// the tail holds the last bytes, the note counts what is left out, the
// side log has it all.
func TestCaptureBigChunksPastTheCap(t *testing.T) {
	var all strings.Builder
	log := filepath.Join(t.TempDir(), "cell.log")
	c := newCapture(1000, log)
	for i, n := range []int{1500, 5000, 300, 700, 499, 2, 4000, 10} {
		chunk := strings.Repeat(string(rune('a'+i)), n-1) + "\n"
		all.WriteString(chunk)
		c.stream("stdout", chunk)
		if cap(c.tail.buf) > 500 {
			t.Fatalf("after chunk %d the tail's buffer is %d bytes, past half the cap", i, cap(c.tail.buf))
		}
	}
	out := c.result()
	if err := c.close(); err != nil {
		t.Fatal(err)
	}
	whole := all.String()
	if len(out) != 3 {
		t.Fatalf("outputs %+v", out)
	}
	if head := out[0].Text.String(); head != whole[:500] {
		t.Errorf("head %q", head)
	}
	if tail := out[2].Text.String(); tail != whole[len(whole)-500:] {
		t.Errorf("tail %q", tail)
	}
	if note := out[1].Text.String(); !strings.Contains(note, fmt.Sprintf("[ocs: %d bytes of output omitted here", len(whole)-1000)) {
		t.Errorf("note %q", note)
	}
	if full, _ := os.ReadFile(log); string(full) != whole {
		t.Errorf("side log holds %d bytes, want %d", len(full), len(whole))
	}
}
