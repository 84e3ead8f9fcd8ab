package runner

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"ocs/notebook"
)

// DefaultOutputCap is how much stream output one cell keeps in the record.
const DefaultOutputCap = 1 << 20

// DefaultSideLogCap is how much output one cell's side log keeps: past it
// the log says where it was cut and the rest is dropped, so a cell that
// writes without end cannot fill the disk.
const DefaultSideLogCap = 64 << 20

// capture collects the outputs of one cell for the record. Up to cap bytes
// of stream text are kept whole. Past that, the record keeps the first half
// of the cap and the last half, with a note between, and the whole output
// (already masked) goes to a side log beside the record, so a cell that
// writes without end uses bounded memory.
type capture struct {
	cap     int
	logPath string // where the full output goes once the cap is passed

	outputs []*notebook.Output // kept whole until the cap is passed; then the head
	size    int                // stream bytes in outputs

	truncated bool
	log       *os.File
	tail      tailRing // the last cap/2 bytes of stream text
	omitted   int64    // stream bytes neither in the head nor in the tail
	late      []*notebook.Output
	logErr    error
	logOpened bool
	rich      int // bytes of rich output data kept

	logCap     int64 // bytes the side log may hold; 0 for DefaultSideLogCap
	logged     int64 // bytes written to the side log
	logDropped int64 // bytes past logCap, not written
}

// kept is how many bytes of output the record holds for this capture: the
// stream text kept (the head, and the tail past the cap) and the rich data.
func (c *capture) kept() int { return c.size + c.tail.n + c.rich }

func newCapture(limit int, logPath string) *capture {
	if limit <= 0 {
		limit = DefaultOutputCap
	}
	return &capture{cap: limit, logPath: logPath}
}

// stream adds stream text (already masked). Past the cap, text goes to the
// side log and only its last cap/2 bytes are kept: the chunk is not held
// once this returns.
func (c *capture) stream(name, text string) {
	if text == "" {
		return
	}
	if !c.truncated {
		c.appendStream(name, text)
		if c.size > c.cap {
			// The chunk that crosses the cap is split by startTruncating
			// like the ones before it, so the head is full even when one
			// write carries it all (!seq 1 5000).
			c.startTruncating()
		}
		return
	}
	c.writeLog(text)
	c.appendTail(text)
}

// appendTail adds text to the tail, which keeps its last cap/2 bytes in a
// buffer of that size, whatever the size of one chunk.
func (c *capture) appendTail(text string) {
	if c.tail.buf == nil {
		c.tail.buf = make([]byte, c.cap/2)
	}
	c.omitted += int64(c.tail.write(text))
}

// tailRing keeps the last len(buf) bytes written to it.
type tailRing struct {
	buf  []byte
	next int // where the next byte goes
	n    int // bytes held; while n < len(buf), they are buf[:n]
}

// write adds text and returns how many bytes no longer fit (held ones
// pushed out, or the start of text itself).
func (t *tailRing) write(text string) (dropped int) {
	size := len(t.buf)
	if len(text) >= size {
		dropped = t.n + len(text) - size
		copy(t.buf, text[len(text)-size:])
		t.next, t.n = 0, size
		return dropped
	}
	dropped = max(0, t.n+len(text)-size)
	k := copy(t.buf[t.next:], text)
	copy(t.buf, text[k:])
	t.next = (t.next + len(text)) % size
	t.n = min(size, t.n+len(text))
	return dropped
}

// String returns the bytes held, oldest first.
func (t *tailRing) String() string {
	if t.n < len(t.buf) {
		return string(t.buf[:t.n])
	}
	b := make([]byte, 0, t.n)
	b = append(b, t.buf[t.next:]...)
	return string(append(b, t.buf[:t.next]...))
}

func (t *tailRing) reset() { t.next, t.n = 0, 0 }

func (c *capture) appendStream(name, text string) {
	c.size += len(text)
	if n := len(c.outputs); n > 0 {
		last := c.outputs[n-1]
		if last.Type == notebook.StreamOutput && last.Name == name {
			last.Text.Append(text)
			return
		}
	}
	c.outputs = append(c.outputs, notebook.NewStream(name, text))
}

// startTruncating cuts the kept outputs down to the head (cap/2 bytes of
// stream text) and moves the rest to the tail and the side log. A head cut
// from a chunk is a copy, so that it does not hold on to the whole chunk.
func (c *capture) startTruncating() {
	c.truncated = true
	c.openLog()
	budget := c.cap / 2
	var head []*notebook.Output
	// Lines go to the side log in batches, not one write each.
	var batch []byte
	logLine := func(s string) {
		if len(batch)+len(s) > sideLogBatch {
			c.writeLogBytes(batch)
			batch = batch[:0]
		}
		if len(s) >= sideLogBatch {
			c.writeLog(s)
			return
		}
		if batch == nil {
			batch = make([]byte, 0, sideLogBatch)
		}
		batch = append(batch, s...)
	}
	for _, o := range c.outputs {
		if o.Type != notebook.StreamOutput {
			head = append(head, o)
			continue
		}
		if n := o.Text.Len(); n <= budget {
			for _, line := range o.Text.Lines() {
				logLine(line)
			}
			head = append(head, o)
			budget -= n
			continue
		}
		var kept strings.Builder
		kept.Grow(budget)
		for _, line := range o.Text.Lines() {
			logLine(line)
			switch {
			case budget == 0:
				c.appendTail(line)
			case budget >= len(line):
				kept.WriteString(line)
				budget -= len(line)
			default:
				cut := runeStart(line, budget)
				kept.WriteString(line[:cut])
				c.appendTail(line[cut:])
				budget = 0
			}
		}
		if kept.Len() > 0 {
			head = append(head, notebook.NewStream(o.Name, kept.String()))
		}
	}
	c.writeLogBytes(batch)
	c.outputs = head
}

// sideLogBatch is the size of the writes startTruncating makes.
const sideLogBatch = 64 << 10

// openLog creates the side log the first time something goes there.
func (c *capture) openLog() {
	if c.log != nil || c.logErr != nil || c.logOpened {
		return
	}
	c.logOpened = true
	if err := os.MkdirAll(filepath.Dir(c.logPath), 0o755); err != nil {
		c.logErr = err
	} else if f, err := os.Create(c.logPath); err != nil {
		c.logErr = err
	} else {
		c.log = f
	}
}

// writeLogBytes is writeLog for bytes, without a copy while the side log
// has room.
func (c *capture) writeLogBytes(p []byte) {
	if len(p) == 0 || c.log == nil || c.logErr != nil {
		return
	}
	limit := c.logCap
	if limit <= 0 {
		limit = DefaultSideLogCap
	}
	if c.logDropped > 0 || int64(len(p)) > limit-c.logged {
		c.writeLog(string(p))
		return
	}
	n, err := c.log.Write(p)
	c.logged += int64(n)
	c.logErr = err
}

func (c *capture) writeLog(text string) {
	if c.log == nil || c.logErr != nil {
		return
	}
	limit := c.logCap
	if limit <= 0 {
		limit = DefaultSideLogCap
	}
	if c.logDropped > 0 {
		c.logDropped += int64(len(text))
		return
	}
	if room := limit - c.logged; int64(len(text)) > room {
		cut := runeStart(text, int(max(room, 0)))
		c.logDropped = int64(len(text) - cut)
		text = text[:cut] + fmt.Sprintf("\n[ocs: the side log is cut here: it reached its budget of %d bytes (--side-log-cap); the rest of the cell's output is not kept]\n", limit)
	}
	n, err := c.log.WriteString(text)
	c.logged += int64(n)
	c.logErr = err
}

// other adds a non-stream output. Rich outputs (display data, results)
// have a budget of their own, the same cap: one that would pass it stays
// in the record as a note, its data goes to the side log.
func (c *capture) other(o *notebook.Output) {
	if o.Type == notebook.DisplayOutput || o.Type == notebook.ResultOutput {
		size := dataSize(o.Data)
		if c.rich+size > c.cap {
			o = c.leaveOut(o, size)
		} else {
			c.rich += size
		}
	}
	if c.truncated {
		c.late = append(c.late, o)
		return
	}
	c.outputs = append(c.outputs, o)
}

// clear drops the outputs kept so far (clear_output). Past the cap, the
// side log keeps what was written; the record starts again from nothing.
func (c *capture) clear() {
	c.outputs, c.late, c.size = nil, nil, 0
	if c.truncated {
		c.tail.reset()
		c.omitted = 0
	}
}

// result returns the outputs as the record shows them now.
func (c *capture) result() []*notebook.Output {
	if !c.truncated {
		return c.outputs
	}
	tail := c.tail.String()
	start := runeStart(tail, 0)
	omitted := c.omitted + int64(start)
	out := append([]*notebook.Output{}, c.outputs...)
	note := fmt.Sprintf("\n[ocs: %d bytes of output omitted here; the whole output is in %s]\n", omitted, c.logPath)
	if c.logDropped > 0 {
		note = fmt.Sprintf("\n[ocs: %d bytes of output omitted here; %s keeps the output up to its budget, %d bytes were dropped past it]\n", omitted, c.logPath, c.logDropped)
	}
	if c.logErr != nil {
		note = fmt.Sprintf("\n[ocs: %d bytes of output omitted here; writing them to %s failed: %v]\n", omitted, c.logPath, c.logErr)
	}
	out = append(out, notebook.NewStream("stderr", note))
	if len(tail) > start {
		out = append(out, notebook.NewStream("stdout", tail[start:]))
	}
	return append(out, c.late...)
}

func (c *capture) close() error {
	if c.log == nil {
		return c.logErr
	}
	if c.logDropped > 0 && c.logErr == nil {
		_, c.logErr = fmt.Fprintf(c.log, "[ocs: %d bytes of output were dropped past the budget]\n", c.logDropped)
	}
	err := c.log.Close()
	c.log = nil
	if c.logErr != nil {
		return c.logErr
	}
	return err
}

// runeStart returns the first index at or after i that starts a character.
func runeStart(s string, i int) int {
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return i
}

// leaveOut writes a rich output's data to the side log and returns the
// note that replaces it in the record.
func (c *capture) leaveOut(o *notebook.Output, size int) *notebook.Output {
	c.openLog()
	where := "the side log " + c.logPath
	var data strings.Builder
	enc := json.NewEncoder(&data)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(o.Data); err == nil && c.logErr == nil {
		c.writeLog(fmt.Sprintf("\n[ocs: %s output of %d bytes]\n", o.Type, size))
		c.writeLog(data.String())
	}
	if c.logErr != nil {
		where = fmt.Sprintf("nowhere (writing %s failed: %v)", c.logPath, c.logErr)
	}
	note := map[string]any{"text/plain": fmt.Sprintf("[ocs: a %s output of %d bytes is left out of the record: past the output cap of %d bytes; its data is in %s]", o.Type, size, c.cap, where)}
	if o.Type == notebook.ResultOutput && o.ExecutionCount != nil {
		return notebook.NewResult(*o.ExecutionCount, note, map[string]any{})
	}
	return notebook.NewDisplay(note, map[string]any{})
}

// dataSize is the bytes of text a MIME bundle holds (what it costs the
// record, near enough).
func dataSize(v any) int {
	switch v := v.(type) {
	case string:
		return len(v)
	case []any:
		n := 0
		for _, x := range v {
			n += dataSize(x)
		}
		return n
	case []string:
		n := 0
		for _, x := range v {
			n += len(x)
		}
		return n
	case map[string]any:
		n := 0
		for k, x := range v {
			n += len(k) + dataSize(x)
		}
		return n
	}
	return 8
}
