package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"ocs/notebook"
)

// Input size limits (docs/security.md): past them a file is refused
// rather than read into memory.
const (
	maxSecretsFile = 1 << 20 // --secrets FILE
	maxParamsFile  = 1 << 20 // -f params.yaml
)

// stdinName is the SOURCE and -o value that mean standard input and
// output.
const stdinName = "-"

// urlScheme matches a URL's scheme, the way s3://bucket/key begins.
var urlScheme = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://`)

// refuseURL rejects a URL where ocs takes a local path: without this,
// `-o s3://bucket/x` writes ./s3:/bucket/x. Only the scheme is named, as
// the rest may carry credentials.
func refuseURL(what, value string) error {
	if m := urlScheme.FindStringSubmatch(value); m != nil {
		return inputError{fmt.Errorf("%s: ocs does not support %s:// URLs here; give a local path (git repositories are added with ocs catalog add)", what, m[1])}
	}
	return nil
}

// readRegular reads a regular file of at most limit bytes. A FIFO, a
// device or a folder is refused without being opened for reading, so that
// `--secrets /dev/zero` or a FIFO nobody writes to cannot hang or fill
// memory.
func readRegular(path, what string, limit int64) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, inputError{fmt.Errorf("%s: %w", what, describePathError(err))}
	}
	if err := checkRegular(path, fi); err != nil {
		return nil, inputError{fmt.Errorf("%s: %w", what, err)}
	}
	if fi.Size() > limit {
		return nil, inputError{fmt.Errorf("%s %s: %d bytes is over the limit of %d", what, path, fi.Size(), limit)}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, inputError{fmt.Errorf("%s: %w", what, err)}
	}
	defer f.Close()
	// The file may have been swapped since the Stat.
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, inputError{fmt.Errorf("%s %s: not a regular file", what, path)}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, inputError{fmt.Errorf("%s: %w", what, err)}
	}
	if int64(len(data)) > limit {
		return nil, inputError{fmt.Errorf("%s %s: over the limit of %d bytes", what, path, limit)}
	}
	return data, nil
}

// checkRegular says what path is when it is not a regular file.
func checkRegular(path string, fi fs.FileInfo) error {
	switch m := fi.Mode(); {
	case m.IsRegular():
		return nil
	case m.IsDir():
		return fmt.Errorf("%s is a folder, not a file", path)
	case m&fs.ModeNamedPipe != 0:
		return fmt.Errorf("%s is a named pipe, not a regular file", path)
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return fmt.Errorf("%s is a device, not a regular file", path)
	case m&fs.ModeSocket != 0:
		return fmt.Errorf("%s is a socket, not a regular file", path)
	}
	return fmt.Errorf("%s is not a regular file", path)
}

// describePathError turns the errors of a path that cannot be followed
// into a sentence: a symlink loop is not "no such file".
func describePathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && errors.Is(pe.Err, syscall.ELOOP) {
		return fmt.Errorf("%s: a loop of symbolic links", pe.Path)
	}
	return err
}

// readNotebookInput reads SOURCE's notebook: a regular file within the
// size limit, or standard input for "-", the way Jupyter reads it (its
// warnings printed).
func readNotebookInput(stderr io.Writer, path string, stdin io.Reader) (*notebook.Notebook, error) {
	if path != stdinName {
		return openNotebook(stderr, path)
	}
	data, err := io.ReadAll(io.LimitReader(stdin, notebook.MaxFileSize+1))
	if err != nil {
		return nil, inputError{fmt.Errorf("read the notebook from standard input: %w", err)}
	}
	if int64(len(data)) > notebook.MaxFileSize {
		return nil, inputError{fmt.Errorf("the notebook on standard input is over the limit of %d bytes", notebook.MaxFileSize)}
	}
	nb, warnings, err := notebook.Read(data, "<stdin>")
	if err != nil {
		return nil, inputError{err}
	}
	printWarnings(stderr, "<stdin>", warnings)
	return nb, nil
}

// checkRecordPath refuses a record path ocs must not write: a URL, an
// existing file that is not a regular file (-o /dev/stdout as root would
// replace the link with a file), or a folder where nothing can be written
// (a read-only file system): before any cell runs, exit 2.
func checkRecordPath(path string) error {
	if err := refuseURL("-o", path); err != nil {
		return err
	}
	if fi, err := os.Lstat(path); err == nil {
		if err := checkRegular(path, fi); err != nil {
			return usageError{fmt.Errorf("-o: %w; ocs writes records to regular files only (-o - writes it to standard output)", err)}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return inputError{fmt.Errorf("-o %s: %w", path, describePathError(err))}
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return inputError{fmt.Errorf("cannot write the record %s: %w", path, err)}
	}
	probe, err := os.CreateTemp(dir, ".ocs-probe-*")
	if err != nil {
		return inputError{fmt.Errorf("cannot write the record %s: %w", path, err)}
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// reserveRecord creates the default record of a run exclusively, so that
// two runs started at the same moment never share (and replace) one: the
// name carries the time to the millisecond, and a counter when that is
// taken. The caller removes the file if the run never writes it.
func reserveRecord(name string, now time.Time) (string, error) {
	if err := os.MkdirAll("builds", 0o755); err != nil {
		return "", inputError{fmt.Errorf("make the builds folder: %w", err)}
	}
	stamp := now.UTC().Format("20060102T150405.000Z")
	for n := 1; n <= 1000; n++ {
		suffix := ""
		if n > 1 {
			suffix = fmt.Sprintf("-%d", n)
		}
		path := filepath.Join("builds", fmt.Sprintf("%s-%s%s.ipynb", name, stamp, suffix))
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", inputError{fmt.Errorf("cannot write the record %s: %w", path, err)}
		}
		f.Close()
		return path, nil
	}
	return "", fmt.Errorf("no free record name for %s-%s in builds", name, stamp)
}

// removeIfEmpty removes a reserved record that no save ever filled.
func removeIfEmpty(path string) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
		os.Remove(path)
	}
}

// notebookName is the name records of path are called after.
func notebookName(path string) string {
	if path == stdinName {
		return "stdin"
	}
	return strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
}
