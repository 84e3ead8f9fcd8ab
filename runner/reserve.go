package runner

import (
	"bytes"
	"errors"
	"fmt"
	"os"
)

// errSaveFailed is the cause of a run stopped because its record could
// not be saved (a full disk, most often).
var errSaveFailed = errors.New("the record could not be saved")

// minReserve is the least disk room a run keeps for its final save.
const minReserve = 1 << 20

// reserve keeps disk room beside the record for the run's final save: a
// hidden file, ".NAME.ipynb.reserve", as large as the record plus one
// cell's capped output. When a save fails (the disk is full) the runner
// removes it and writes the record once more, saying why the run failed.
type reserve struct {
	path string
	size int64
}

func reservePath(record string) string { return besideRecord(record, "reserve") }

// grow makes the reserve at least want bytes (with room to spare, so that
// a growing record does not rewrite it at every save). Blocks are written,
// not just allocated as a sparse file would be, so the room is really
// taken.
func (rs *reserve) grow(want int64) error {
	if want < minReserve {
		want = minReserve
	}
	if rs.size >= want {
		return nil
	}
	want += want / 2
	f, err := os.OpenFile(rs.path, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("keep room for the record's final save: %w", err)
	}
	chunk := bytes.Repeat([]byte("ocs reserve\n"), 64<<10/12)
	off := rs.size
	for off < want && err == nil {
		n := min(int64(len(chunk)), want-off)
		_, err = f.WriteAt(chunk[:n], off)
		off += n
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// The room the file took is kept for the final save.
		rs.size = off
		return fmt.Errorf("keep room for the record's final save: %w", err)
	}
	rs.size = want
	return nil
}

// release frees the room: before the final save after a failed one, and
// at the end of the run.
func (rs *reserve) release() {
	if rs.path != "" {
		_ = os.Remove(rs.path)
		rs.size = 0
	}
}
