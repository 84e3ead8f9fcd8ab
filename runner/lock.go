package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// RecordLock is an exclusive lock on a build record for the duration of a
// run, so that two runs (two --resume of one record, say) never run its
// cells at once. It is an flock(2) on a hidden file beside the record,
// ".NAME.ipynb.lock", holding the holder's pid and host; the kernel drops
// the lock when the holder dies, however it dies, and Unlock removes the
// file.
type RecordLock struct {
	f    *os.File
	path string
}

// LockedError says that another run holds the record's lock.
type LockedError struct {
	Record string
	PID    int
	Host   string
}

func (e *LockedError) Unwrap() error { return ErrInput }

func (e *LockedError) Error() string {
	holder := "another ocs run"
	if e.PID > 0 {
		holder = fmt.Sprintf("ocs pid %d on host %s", e.PID, e.Host)
	}
	return fmt.Sprintf("the record %s is in use by %s; wait for that run to end (ocs status %s)", e.Record, holder, e.Record)
}

// lockHolder is what a lock file says about its holder.
type lockHolder struct {
	PID  int    `json:"pid"`
	Host string `json:"host"`
}

// besideRecord is the hidden file .NAME.ipynb.SUFFIX beside the record
// NAME.ipynb: its lock, its disk reserve, its effect log.
func besideRecord(record, suffix string) string {
	return filepath.Join(filepath.Dir(record), "."+filepath.Base(record)+"."+suffix)
}

// lockPath is the lock file of record.
func lockPath(record string) string { return besideRecord(record, "lock") }

// LockRecord takes the exclusive lock on record without waiting: when
// another run holds it, the error is a *LockedError naming the holder.
func LockRecord(record string) (*RecordLock, error) {
	path := lockPath(record)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock record %s: %w", record, err)
	}
	// The file is removed when a run ends, so the lock taken may be on a
	// file already unlinked by its last holder: then take it again on the
	// file now at the path. Bounded: each retry means another run ended.
	busy := 0
	for attempt := 0; attempt < 20; attempt++ {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("lock record %s: %w", record, err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			if !errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("lock record %s: %w", record, err)
			}
			// `ocs status` probes the lock for an instant: look again
			// briefly before calling the record taken.
			if busy++; busy < 5 {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			h := readHolder(path)
			return nil, &LockedError{Record: record, PID: h.PID, Host: h.Host}
		}
		if !samePath(f, path) {
			f.Close()
			continue
		}
		host, _ := os.Hostname()
		data, _ := json.Marshal(lockHolder{PID: os.Getpid(), Host: host})
		if err := f.Truncate(0); err == nil {
			_, err = f.WriteAt(append(data, '\n'), 0)
		}
		return &RecordLock{f: f, path: path}, nil
	}
	return nil, fmt.Errorf("lock record %s: the lock file %s keeps changing", record, path)
}

func samePath(f *os.File, path string) bool {
	a, errA := f.Stat()
	b, errB := os.Stat(path)
	return errA == nil && errB == nil && os.SameFile(a, b)
}

func readHolder(path string) lockHolder {
	var h lockHolder
	data, err := os.ReadFile(path)
	if err == nil {
		_ = json.Unmarshal([]byte(strings.TrimSpace(string(data))), &h)
	}
	return h
}

// Unlock removes the lock file and releases the lock.
func (l *RecordLock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	// Removed while still held, so no other run can lock the file now
	// being unlinked and believe it holds the record.
	err := os.Remove(l.path)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// recordInUse reports whether a live process holds record's lock, and
// whether the record has a lock file at all; a probe only, taken and
// released at once.
func recordInUse(record string) (inUse, known bool) {
	f, err := os.Open(lockPath(record))
	if err != nil {
		return false, false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		return errors.Is(err, syscall.EWOULDBLOCK), true
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false, true
}

// processAlive reports whether a process with this pid exists here.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Holds reports whether l is the lock of record.
func (l *RecordLock) Holds(record string) bool {
	return l != nil && l.f != nil && samePath(l.f, lockPath(record))
}
