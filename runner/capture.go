package runner

import (
	"fmt"
	"os"
	"path/filepath"
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
	tail      []byte // the last cap/2 bytes of stream text (may hold more until trimmed)
	omitted   int64  // stream bytes neither in the head nor in the tail
	late      []*notebook.Output
	logErr    error

	logCap     int64 // bytes the side log may hold; 0 for DefaultSideLogCap
	logged     int64 // bytes written to the side log
	logDropped int64 // bytes past logCap, not written
}

func newCapture(limit int, logPath string) *capture {
	if limit <= 0 {
		limit = DefaultOutputCap
	}
	return &capture{cap: limit, logPath: logPath}
}

// stream adds stream text (already masked).
func (c *capture) stream(name, text string) {
	if text == "" {
		return
	}
	if !c.truncated && c.size+len(text) <= c.cap {
		c.appendStream(name, text)
		return
	}
	if !c.truncated {
		c.startTruncating()
	}
	c.writeLog(text)
	c.tail = append(c.tail, text...)
	if half := c.cap / 2; len(c.tail) > 2*half {
		drop := len(c.tail) - half
		c.omitted += int64(drop)
		c.tail = append(c.tail[:0], c.tail[drop:]...)
	}
}

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
// stream text) and moves the rest to the tail and the side log.
func (c *capture) startTruncating() {
	c.truncated = true
	if err := os.MkdirAll(filepath.Dir(c.logPath), 0o755); err != nil {
		c.logErr = err
	} else if f, err := os.Create(c.logPath); err != nil {
		c.logErr = err
	} else {
		c.log = f
	}
	budget := c.cap / 2
	var head []*notebook.Output
	for _, o := range c.outputs {
		if o.Type != notebook.StreamOutput {
			head = append(head, o)
			continue
		}
		text := o.Text.String()
		c.writeLog(text)
		switch {
		case budget >= len(text):
			head = append(head, o)
			budget -= len(text)
		case budget > 0:
			cut := runeStart(text, budget)
			head = append(head, notebook.NewStream(o.Name, text[:cut]))
			c.tail = append(c.tail, text[cut:]...)
			budget = 0
		default:
			c.tail = append(c.tail, text...)
		}
	}
	c.outputs = head
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

// other adds a non-stream output.
func (c *capture) other(o *notebook.Output) {
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
		c.tail, c.omitted = c.tail[:0], 0
	}
}

// result returns the outputs as the record shows them now.
func (c *capture) result() []*notebook.Output {
	if !c.truncated {
		return c.outputs
	}
	tail := c.tail
	omitted := c.omitted
	if half := c.cap / 2; len(tail) > half {
		omitted += int64(len(tail) - half)
		tail = tail[len(tail)-half:]
	}
	start := runeStart(string(tail), 0)
	omitted += int64(start)
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
		out = append(out, notebook.NewStream("stdout", string(tail[start:])))
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
