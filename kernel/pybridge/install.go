package pybridge

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// InstallPython writes every group's files under cacheDir/python/GROUP-HASH
// and returns the folder of each group, to put on the kernel's module path.
// The folder name is the hash of the group's content, so a new ocs gets
// its own folder; an existing folder is used only when its files still hold
// what this build embeds (a cache another program edited is rewritten), and
// a new one appears whole or not at all (written aside, then renamed).
func InstallPython(cacheDir string) (map[string]string, error) {
	out := map[string]string{}
	for group, fss := range pythonGroups() {
		files, err := collect(fss)
		if err != nil {
			return nil, fmt.Errorf("python files of %q: %w", group, err)
		}
		dir := filepath.Join(cacheDir, "python", group+"-"+digest(files))
		if !holds(dir, files) {
			if err := writeGroup(dir, files); err != nil {
				return nil, fmt.Errorf("install python files of %q: %w", group, err)
			}
		}
		out[group] = dir
	}
	return out, nil
}

// collect reads the files of a group; a later FS wins over an earlier one.
func collect(fss []fs.FS) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, fsys := range fss {
		err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := fs.ReadFile(fsys, path)
			if err != nil {
				return err
			}
			files[path] = data
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}

func digest(files map[string][]byte) string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(files[n]))
		h.Write(files[n])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func holds(dir string, files map[string][]byte) bool {
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil || !bytes.Equal(got, want) {
			return false
		}
	}
	return true
}

func writeGroup(dir string, files map[string][]byte) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".tmp-"+filepath.Base(dir)+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for name, data := range files {
		path := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return err
		}
	}
	// A stale or edited folder goes aside first; another ocs may have
	// installed the same content meanwhile, which is as good as ours.
	if _, err := os.Stat(dir); err == nil {
		old := tmp + ".old"
		if err := os.Rename(dir, old); err != nil && !os.IsNotExist(err) {
			return err
		}
		defer os.RemoveAll(old)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if holds(dir, files) {
			return nil
		}
		return err
	}
	return nil
}
