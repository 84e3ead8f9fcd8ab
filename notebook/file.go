package notebook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// ErrInvalid is wrapped by every error that means the input is not a valid
// notebook (as opposed to an I/O failure).
var ErrInvalid = errors.New("invalid notebook")

// SyntaxError is malformed JSON (or text that is not UTF-8) at a line and
// column of a file.
type SyntaxError struct {
	File string
	Line int // 1-based
	Col  int // 1-based, in characters
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

func (e *SyntaxError) Unwrap() error { return ErrInvalid }

// Problem is one way in which a notebook breaks the nbformat schema.
type Problem struct {
	// Path names the place, e.g. "cells[12].outputs[0].output_type"; ""
	// is the whole document.
	Path string
	Msg  string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Msg
	}
	return p.Path + ": " + p.Msg
}

// ValidationError lists the schema problems of a notebook.
type ValidationError struct {
	File     string
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	b.WriteString(": ")
	b.WriteString(e.Problems[0].String())
	if n := len(e.Problems) - 1; n > 0 {
		fmt.Fprintf(&b, " (and %d more problem%s)", n, plural(n))
	}
	return b.String()
}

func (e *ValidationError) Unwrap() error { return ErrInvalid }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Parse reads a notebook from data and validates it strictly: whatever
// breaks the schema of the notebook's own minor version is an error, even
// what nbformat's reader would repair. name is used in error messages.
func Parse(data []byte, name string) (*Notebook, error) {
	nb, _, err := decode(data, name, false)
	return nb, err
}

// Read reads a notebook from data the way Jupyter does: every notebook that
// nbformat's reader (reading as version 4) turns into a valid one is read,
// repaired as nbformat repairs it, and what was repaired or tolerated comes
// back as warnings, each naming the place:
//   - cell ids in a notebook older than 4.5: read as 4.5, keeping the ids
//     that are valid and unique (nbformat upgrades such notebooks too);
//   - a cell of a 4.5 notebook without an id, or with the id of an earlier
//     cell: it gets a new id on writing;
//   - NaN, Infinity and -Infinity, which Python's json module writes and
//     reads: kept as they are.
//
// Everything else the schema rules out is an error, as with Parse. Callers
// decide what to do with the warnings; this package does not log.
func Read(data []byte, name string) (*Notebook, []Problem, error) {
	return decode(data, name, true)
}

func decode(data []byte, name string, lenient bool) (*Notebook, []Problem, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, &ValidationError{File: name, Problems: []Problem{{Msg: "not a notebook: the file is empty"}}}
	}
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return nil, nil, &SyntaxError{File: name, Line: 1, Col: 1, Msg: "the file starts with a UTF-8 byte order mark, which JSON does not allow"}
	}
	if !utf8.Valid(data) {
		off := invalidUTF8Offset(data)
		line, col := lineCol(data, off)
		return nil, nil, &SyntaxError{File: name, Line: line, Col: col, Msg: fmt.Sprintf("invalid UTF-8 (byte 0x%02x); notebooks are UTF-8 text", data[off])}
	}
	tree, nonFinite, err := parseJSON(data)
	if err != nil {
		var se *syntaxError
		if errors.As(err, &se) {
			line, col := lineCol(data, se.offset)
			return nil, nil, &SyntaxError{File: name, Line: line, Col: col, Msg: "malformed JSON: " + se.msg}
		}
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	d := &decoder{lenient: lenient}
	if nonFinite > 0 {
		d.nonFinite("", tree)
	}
	nb := d.notebook(tree)
	if len(d.problems) > 0 {
		return nil, nil, &ValidationError{File: name, Problems: d.problems}
	}
	return nb, d.warnings, nil
}

func invalidUTF8Offset(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(data)
}

// ReadFile reads and strictly validates the notebook at path (see Parse).
func ReadFile(path string) (*Notebook, error) {
	data, err := readRegular(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path)
}

// readRegular reads path, a regular file of at most MaxFileSize bytes: a
// FIFO, a device or a folder is refused before it is opened (a FIFO
// nobody writes to would block, /dev/zero never ends).
func readRegular(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read notebook: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, &InputError{Path: path, Reason: notRegular(fi)}
	}
	if fi.Size() > MaxFileSize {
		return nil, &InputError{Path: path, Reason: fmt.Sprintf("%d bytes is over the limit of %d", fi.Size(), int64(MaxFileSize))}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read notebook: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read notebook %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, &InputError{Path: path, Reason: fmt.Sprintf("over the limit of %d bytes", int64(MaxFileSize))}
	}
	return data, nil
}

// MaxFileSize is the largest notebook ocs reads (256 MiB): a record with
// a thousand cells at the default output cap is well under it.
const MaxFileSize = 256 << 20

// InputError is a notebook path ocs will not read or write: not a regular
// file, or too large.
type InputError struct {
	Path   string
	Reason string
}

func (e *InputError) Error() string { return fmt.Sprintf("notebook %s: %s", e.Path, e.Reason) }
func (e *InputError) Unwrap() error { return ErrInvalid }

// notRegular says what kind of file fi is.
func notRegular(fi os.FileInfo) string {
	switch m := fi.Mode(); {
	case m.IsDir():
		return "a folder, not a notebook file"
	case m&os.ModeSymlink != 0:
		return "a symbolic link, not a regular file"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe, not a regular file"
	case m&os.ModeDevice != 0, m&os.ModeCharDevice != 0:
		return "a device, not a regular file"
	}
	return "not a regular file"
}

// Encode writes nb in Jupyter's layout: sorted keys, one-space indent,
// UTF-8 kept as is, and a final newline. A 4.5 notebook gets ids for cells
// that lack one.
func (nb *Notebook) Encode(w io.Writer) error {
	return nb.encode(w, nil)
}

func (nb *Notebook) encode(w io.Writer, cache *CellCache) error {
	return nb.encodeWith(newEncoder(w), cache)
}

func (nb *Notebook) encodeWith(e *encoder, cache *CellCache) error {
	if nb.FormatMinor >= 5 {
		nb.EnsureIDs()
	}
	e.object(nb.members(cache), 0)
	e.byte('\n')
	return e.flush()
}

// CellCache keeps the encoding of cells between writes of one notebook, so
// that saving a build record after every cell costs the cells that
// changed, not all of them. Whoever changes a cell must Forget it.
type CellCache struct {
	enc map[*Cell][]byte
}

// NewCellCache returns an empty cache.
func NewCellCache() *CellCache { return &CellCache{enc: map[*Cell][]byte{}} }

// Forget drops what the cache holds for c; call it whenever c changes.
func (cc *CellCache) Forget(c *Cell) { delete(cc.enc, c) }

// cachedCell is a cell the encoder writes from, and into, a CellCache.
type cachedCell struct {
	cell  *Cell
	cache *CellCache
}

// Bytes returns the encoded notebook.
func (nb *Notebook) Bytes() ([]byte, error) {
	var b bytes.Buffer
	err := nb.Encode(&b)
	return b.Bytes(), err
}

func (nb *Notebook) members(cache *CellCache) []member {
	cells := make([]any, len(nb.Cells))
	for i, c := range nb.Cells {
		if cache != nil {
			cells[i] = cachedCell{c, cache}
		} else {
			cells[i] = c.members()
		}
	}
	ms := []member{
		{"cells", cells},
		{"metadata", nonNil(nb.Metadata)},
		{"nbformat", nb.Format},
		{"nbformat_minor", nb.FormatMinor},
	}
	return withExtra(ms, nb.extra)
}

func withExtra(ms []member, extra map[string]any) []member {
	for k, v := range extra {
		ms = append(ms, member{k, v})
	}
	return ms
}

func (c *Cell) members() any {
	if c.raw != nil {
		return c.raw
	}
	ms := []member{
		{"cell_type", c.Type},
		{"metadata", nonNil(c.Metadata)},
		{"source", c.Source},
	}
	if c.ID != "" {
		ms = append(ms, member{"id", c.ID})
	}
	if c.Attachments != nil {
		ms = append(ms, member{"attachments", c.Attachments})
	}
	if c.Type == Code {
		outputs := make([]any, len(c.Outputs))
		for i, o := range c.Outputs {
			outputs[i] = o.members()
		}
		ms = append(ms, member{"outputs", outputs}, member{"execution_count", c.ExecutionCount})
	}
	return withExtra(ms, c.extra)
}

func (o *Output) members() any {
	if o.raw != nil {
		return o.raw
	}
	ms := []member{{"output_type", o.Type}}
	switch o.Type {
	case StreamOutput:
		ms = append(ms, member{"name", o.Name}, member{"text", o.Text})
	case DisplayOutput, ResultOutput:
		ms = append(ms, member{"data", nonNil(o.Data)}, member{"metadata", nonNil(o.Metadata)})
		if o.Type == ResultOutput {
			ms = append(ms, member{"execution_count", o.ExecutionCount})
		}
	case ErrorOutput:
		tb := o.Traceback
		if tb == nil {
			tb = []string{}
		}
		ms = append(ms, member{"ename", o.EName}, member{"evalue", o.EValue}, member{"traceback", tb})
	}
	return withExtra(ms, o.extra)
}

// WriteFile writes nb to path atomically: into a temporary file in the same
// directory, synced, then renamed over path. A reader (or a crash) sees the
// old file or the new one, never a part.
func (nb *Notebook) WriteFile(path string) error {
	return writeAtomic(path, nb.Encode, true)
}

// Checkpoint writes nb to path atomically like WriteFile, without waiting
// for the disk: the file survives the process being killed at any moment,
// not the machine losing power. For the frequent saves of a running build,
// where an fsync would cost more than the save.
// The cache, which may be nil, keeps the encoding of unchanged cells
// between checkpoints.
func (nb *Notebook) Checkpoint(path string, cache *CellCache) error {
	return writeAtomic(path, func(w io.Writer) error { return nb.encode(w, cache) }, false)
}

// Snapshot appends nb's encoding, as Encode writes it, to buf, taking
// unchanged cells from the cache (which may be nil) as Checkpoint does. It
// is the half of a checkpoint that must happen while nothing changes nb;
// WriteCheckpoint, the other half, may then run anywhere.
func (nb *Notebook) Snapshot(buf *bytes.Buffer, cache *CellCache) error {
	return nb.encodeWith(newBufferEncoder(buf), cache)
}

// WriteBytes writes data to path atomically, like WriteFile.
func WriteBytes(path string, data []byte) error {
	return writeAtomic(path, writeData(data), true)
}

// WriteCheckpoint writes data to path atomically without waiting for the
// disk, like Checkpoint.
func WriteCheckpoint(path string, data []byte) error {
	return writeAtomic(path, writeData(data), false)
}

func writeData(data []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}
}

func writeAtomic(path string, write func(io.Writer) error, durable bool) (err error) {
	dir := filepath.Dir(path)
	mode := os.FileMode(0o644)
	if fi, err := os.Lstat(path); err == nil {
		// The rename would replace a link, a device or a pipe
		// (-o /dev/stdout) with a regular file.
		if !fi.Mode().IsRegular() {
			return &InputError{Path: path, Reason: notRegular(fi) + "; ocs replaces regular files only"}
		}
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write notebook: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return fmt.Errorf("write notebook %q: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("write notebook %q: %w", path, err)
	}
	if durable {
		if err := tmp.Sync(); err != nil {
			return fmt.Errorf("write notebook %q: %w", path, err)
		}
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write notebook %q: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write notebook %q: %w", path, err)
	}
	return nil
}

// Open reads the notebook at path, in either format: a .go or .py file is
// a text (percent format) notebook when its header says so, anything else
// is nbformat JSON, read the way Jupyter reads it (see Read). The warnings
// say what was repaired or tolerated. It is where ocs reads notebooks from
// files.
func Open(path string) (*Notebook, []Problem, error) {
	data, err := readRegular(path)
	if err != nil {
		return nil, nil, err
	}
	return Decode(data, path)
}

// Decode reads a notebook from data in the format name and data say (see
// Open).
func Decode(data []byte, name string) (*Notebook, []Problem, error) {
	if IsTextFile(name) {
		if !IsText(data) {
			return nil, nil, &ValidationError{File: name, Problems: []Problem{{Msg: "not a text notebook: a notebook in the percent format starts with a header holding its metadata (\"# ---\" or \"// ---\", then \"jupyter:\"); ocs convert NOTEBOOK.ipynb writes one"}}}
		}
		nb, err := ParseText(data, name)
		return nb, nil, err
	}
	return Read(data, name)
}
