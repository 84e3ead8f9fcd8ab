package runner

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// WorkdirLinks are the folders of a template that its work folder links
// to, as OCS's own work folders do: the notebooks use them by relative
// path (%run scripts/group.py, playbooks/..., template/...).
var WorkdirLinks = []string{"scripts", "template", "playbooks", "images", "patches", "plugins", "docker"}

// WorkdirCopies are the folders a work folder gets a copy of, once: the
// notebooks write into them (group_vars/NAME holds what one notebook hands
// to the next), and the template must stay as it is.
var WorkdirCopies = []string{"group_vars"}

// TemplateRoot returns the template folder the notebook at path belongs
// to: the notebook's own folder, or for a notebook in a folder named
// notebooks/ (where OCS templates keep theirs) the one above it, whichever
// first holds one of the folders a work folder links to or copies. ok is false for a notebook that is not
// part of such a template.
func TemplateRoot(path string) (root string, ok bool) {
	dir := filepath.Dir(path)
	candidates := []string{dir}
	if filepath.Base(dir) == "notebooks" {
		candidates = append(candidates, filepath.Dir(dir))
	}
	for _, d := range candidates {
		for _, name := range append(append([]string{}, WorkdirLinks...), WorkdirCopies...) {
			if fi, err := os.Stat(filepath.Join(d, name)); err == nil && fi.IsDir() {
				return d, true
			}
		}
	}
	return "", false
}

// LayoutWorkdir lays out the work folder of the template folder root: it
// creates workdir, links (by absolute path) each of WorkdirLinks that root
// has and workdir lacks (images may also come from root/notebooks/images),
// and copies each of WorkdirCopies that workdir lacks. What is already in
// workdir stays: the notebooks of one template, run one after another, share
// their group_vars/, inventory.yml and ansible.cfg.
func LayoutWorkdir(root, workdir string) error {
	root, err := filepath.Abs(root)
	if err != nil {
		return fmt.Errorf("work folder: %w", err)
	}
	if err := os.MkdirAll(workdir, 0o755); err != nil {
		return fmt.Errorf("work folder: %w", err)
	}
	for _, name := range WorkdirLinks {
		target := filepath.Join(workdir, name)
		if _, err := os.Lstat(target); err == nil {
			continue
		}
		for _, src := range []string{filepath.Join(root, name), filepath.Join(root, "notebooks", name)} {
			if fi, err := os.Stat(src); err == nil && fi.IsDir() {
				if err := os.Symlink(src, target); err != nil {
					return fmt.Errorf("work folder: link %s: %w", name, err)
				}
				break
			}
		}
	}
	for _, name := range WorkdirCopies {
		src, target := filepath.Join(root, name), filepath.Join(workdir, name)
		if _, err := os.Lstat(target); err == nil {
			continue
		}
		if fi, err := os.Stat(src); err != nil || !fi.IsDir() {
			continue
		}
		if err := copyTree(src, target); err != nil {
			return fmt.Errorf("work folder: copy %s: %w", name, err)
		}
	}
	return nil
}

// copyTree copies the folder src to dst (which must not exist) through a
// temporary folder, so an interrupted copy leaves no half folder behind
// that a later run would take as the work folder's own.
func copyTree(src, dst string) error {
	tmp, err := os.MkdirTemp(filepath.Dir(dst), "."+filepath.Base(dst)+"-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(tmp, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if rel == "." {
				return os.Chmod(tmp, info.Mode().Perm()|0o700)
			}
			return os.Mkdir(to, info.Mode().Perm()|0o700)
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, to)
		case info.Mode().IsRegular():
			return copyFile(p, to, info.Mode().Perm())
		}
		return nil // sockets, devices: not template content
	})
	if err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// WorkdirName is the default work folder name of a template: its catalog
// name, or the template folder's name.
func WorkdirName(template, root string) string {
	if template != "" {
		return strings.ReplaceAll(template, string(filepath.Separator), "_")
	}
	return filepath.Base(root)
}
