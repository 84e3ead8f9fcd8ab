package runner

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/rs/zerolog"

	"ocs/notebook"
)

// snapshot is the record encoded at one moment of a run, to be written.
// Snapshots are numbered in the order they were taken (under Run.mu), so
// that the writer can tell which of two is newer.
type snapshot struct {
	seq  uint64
	data *bytes.Buffer
	// final is the run's last save (or Abort's): it is written even after
	// a failed save, to say why the run stopped.
	final bool
}

// recordWriter writes a run's snapshots to the record, one at a time:
// either in the background (later), so that the run goes on while the
// disk works, or for a caller that waits (now; direct, for a snapshot
// encoded straight into the file). A snapshot is never written
// over a newer one, and a pending snapshot that a newer one supersedes is
// never written at all: at most one snapshot waits while another is
// written. The first failed write stops the run (stop) and is kept (err):
// every save after it returns it, and only the final one still writes.
type recordWriter struct {
	path    string
	reserve *reserve
	// room is what the reserve keeps beyond the record: one cell's capped
	// output not yet saved.
	room int64
	log  *zerolog.Logger
	stop func(error)
	// write puts data at path atomically (temp file, rename), without an
	// fsync (the final save, which waits for the disk, is encoded straight
	// into the file); a seam for the tests, which hold writes back.
	write func(path string, data []byte) error

	disk   sync.Mutex // held while a snapshot is written
	onDisk uint64     // the newest snapshot written; guarded by disk
	// written is onDisk, guarded by mu, for waitFor.
	written uint64

	mu      sync.Mutex
	wake    sync.Cond // on mu: a snapshot is pending, a write ended, or closing
	pending *snapshot
	busy    bool // the background writer is writing
	running bool // the background writer runs
	closed  bool
	err     error
	spare   []*bytes.Buffer
	done    chan struct{}
}

// maxBehind is the largest record written behind the run: a larger one
// is written as the run waits, encoded straight into the file, since the
// copies of it in memory (one pending, one being written, one being
// encoded) would cost more than the wait. Most records are far smaller
// (shell100's is 40-76 KB); a cell that prints past the output cap (1 MiB)
// makes one larger.
const maxBehind = 512 << 10

// spares is how many buffers the writer keeps for the next snapshots: with
// the one being encoded, as many as can be in use at once (pending, being
// written), so that a run of small saves allocates none.
const spares = 2

func newRecordWriter(path string, rs *reserve, room int64) *recordWriter {
	nop := zerolog.Nop()
	w := &recordWriter{path: path, reserve: rs, room: room, log: &nop, write: notebook.WriteCheckpoint}
	w.wake.L = &w.mu
	return w
}

// start runs the background writer, until close.
func (w *recordWriter) start() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.running || w.closed {
		return
	}
	w.running = true
	w.done = make(chan struct{})
	go w.loop()
}

func (w *recordWriter) loop() {
	defer close(w.done)
	w.mu.Lock()
	for {
		for w.pending == nil && !w.closed {
			w.wake.Wait()
		}
		s := w.pending
		if s == nil {
			w.mu.Unlock()
			return
		}
		w.pending, w.busy = nil, true
		w.mu.Unlock()
		_ = w.putSnapshot(s) // a failure is kept, and stops the run
		w.mu.Lock()
		w.busy = false
		w.wake.Broadcast()
	}
}

// close writes what is pending, stops the background writer and waits
// for it to end.
func (w *recordWriter) close() {
	w.mu.Lock()
	w.closed = true
	w.wake.Broadcast()
	running := w.running
	w.mu.Unlock()
	if running {
		<-w.done
	}
}

// buffer returns a buffer with room for a snapshot of size bytes.
func (w *recordWriter) buffer(size int) *bytes.Buffer {
	w.mu.Lock()
	var b *bytes.Buffer
	if n := len(w.spare); n > 0 {
		b = w.spare[n-1]
		w.spare = w.spare[:n-1]
	}
	w.mu.Unlock()
	if b == nil {
		b = new(bytes.Buffer)
	}
	b.Reset()
	// A little more than the last snapshot: a record grows by a cell's
	// output at a time, and a buffer that doubles as it grows leaves its
	// smaller copies behind.
	b.Grow(size + size/8 + 4<<10)
	return b
}

// recycle keeps a written or dropped snapshot's buffer for the next one.
// Called with w.mu held.
func (w *recordWriter) recycle(s *snapshot) {
	if len(w.spare) < spares && s.data.Cap() <= 2*maxBehind {
		w.spare = append(w.spare, s.data)
	}
	s.data = nil
}

// later hands s to the background writer and returns at once; s
// supersedes the snapshot still pending, if any. Without a background
// writer (closed, or never started), s is written now.
func (w *recordWriter) later(s *snapshot) {
	w.mu.Lock()
	if !w.running || w.closed {
		w.mu.Unlock()
		_ = w.now(s)
		return
	}
	if p := w.pending; p != nil {
		if p.seq > s.seq {
			w.recycle(s)
			w.mu.Unlock()
			return
		}
		w.recycle(p)
	}
	w.pending = s
	w.wake.Broadcast()
	w.mu.Unlock()
}

// now writes s and returns once s, or a snapshot newer than s, is on disk;
// or with the error of its write, or of the first failed save. An older
// pending snapshot is dropped: s holds all it holds.
func (w *recordWriter) now(s *snapshot) error {
	w.dropOlder(s.seq)
	if err := w.putSnapshot(s); err != nil {
		return err
	}
	return w.failure()
}

// direct is now for a snapshot that is never held in memory: write
// encodes the record straight into the file at path, and runs while the
// caller keeps the notebook from changing (under Run.mu). It returns the
// record's size, or 0.
func (w *recordWriter) direct(seq uint64, final bool, write func(path string) error) (int64, error) {
	w.dropOlder(seq)
	var size int64
	err := w.put(seq, final, func() (int64, error) {
		if err := write(w.path); err != nil {
			return 0, err
		}
		fi, err := os.Stat(w.path)
		if err != nil {
			return 0, err
		}
		size = fi.Size()
		return size, nil
	})
	if err == nil {
		err = w.failure()
	}
	return size, err
}

// dropOlder drops the pending snapshot if it is older than seq.
func (w *recordWriter) dropOlder(seq uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if p := w.pending; p != nil && p.seq < seq {
		w.pending = nil
		w.recycle(p)
	}
}

func (w *recordWriter) putSnapshot(s *snapshot) error {
	defer func() {
		w.mu.Lock()
		w.recycle(s)
		w.mu.Unlock()
	}()
	return w.put(s.seq, s.final, func() (int64, error) {
		return int64(s.data.Len()), w.write(w.path, s.data.Bytes())
	})
}

// put writes snapshot seq with write (which returns the record's size),
// unless a newer snapshot is on disk already, or a save failed and this
// is not the final one; then grows the reserve to what the final save
// needs. One snapshot at a time is written.
func (w *recordWriter) put(seq uint64, final bool, write func() (int64, error)) error {
	w.disk.Lock()
	defer w.disk.Unlock()
	failed := w.failure()
	if seq <= w.onDisk || failed != nil && !final {
		return failed
	}
	// The record's folder may not exist yet (the first save), or no more.
	err := os.MkdirAll(filepath.Dir(w.path), 0o755)
	var size int64
	if err == nil {
		size, err = write()
	}
	if err != nil {
		return w.fail(fmt.Errorf("save record: %w", err))
	}
	w.onDisk = seq
	w.mu.Lock()
	w.written = seq
	w.mu.Unlock()
	if failed == nil && w.reserve.path != "" {
		if err := w.reserve.grow(size + w.room); err != nil {
			return w.fail(err)
		}
	}
	return nil
}

// waitFor waits until snapshot seq, or a newer one, is on disk, or until
// no write is left that could put it there; it returns the first failed
// save. The snapshots it waits for are written behind the run: by the
// time the run waits, they are most often on disk already.
func (w *recordWriter) waitFor(seq uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.written < seq && w.err == nil && (w.pending != nil || w.busy) {
		w.wake.Wait()
	}
	return w.err
}

// drain waits until no snapshot is pending or being written.
func (w *recordWriter) drain() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.pending != nil || w.busy {
		w.wake.Wait()
	}
}

// releaseReserve frees the reserve's room, between two writes.
func (w *recordWriter) releaseReserve() {
	w.disk.Lock()
	defer w.disk.Unlock()
	w.reserve.release()
}

// failure returns the first failed save, or nil.
func (w *recordWriter) failure() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// fail keeps the first failed save and stops the run with it: a run whose
// record cannot be kept must not go on making effects nobody will know
// of. Without a run to stop (Prepare), err is only returned.
func (w *recordWriter) fail(err error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil || w.stop == nil {
		return err
	}
	w.err = err
	w.log.Error().Err(err).Msg("save failed, stopping the run")
	w.stop(fmt.Errorf("%w: %w", errSaveFailed, err))
	return err
}
