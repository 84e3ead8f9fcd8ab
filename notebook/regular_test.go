package notebook

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Issue 12, findings 8 and 14: ocs reads and replaces regular files only.
func TestRegularFilesOnly(t *testing.T) {
	dir := t.TempDir()
	nb := &Notebook{Format: 4, FormatMinor: 5, Metadata: map[string]any{}}
	target := filepath.Join(dir, "target.ipynb")
	link := filepath.Join(dir, "link.ipynb")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := nb.WriteFile(link); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("WriteFile onto a symlink: %v", err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi.Mode(), err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, dir, os.DevNull} {
		if _, err := ReadFile(path); !errors.Is(err, ErrInvalid) {
			t.Errorf("ReadFile(%s): %v", path, err)
		}
		if _, _, err := Open(path); !errors.Is(err, ErrInvalid) {
			t.Errorf("Open(%s): %v", path, err)
		}
	}
	big := filepath.Join(dir, "big.ipynb")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, MaxFileSize+1); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(big); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "over the limit") {
		t.Errorf("ReadFile of a file over the limit: %v", err)
	}
}
