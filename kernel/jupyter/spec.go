package jupyter

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Spec is an installed kernelspec: how to start one kind of kernel.
type Spec struct {
	// Name is the kernelspec's folder name, as notebooks name it in
	// metadata.kernelspec.name.
	Name string
	// Dir is the kernelspec's folder (its resource_dir).
	Dir         string
	Argv        []string
	DisplayName string
	Language    string
	Env         map[string]string
	// InterruptMode is "signal" (SIGINT to the kernel) or "message"
	// (interrupt_request on the control channel).
	InterruptMode string
}

type specFile struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	Env           map[string]string `json:"env"`
	InterruptMode string            `json:"interrupt_mode"`
}

// InstallHint tells a person how to get the kernel most notebooks need.
const InstallHint = "apt-get install python3-ipykernel"

// NotInstalledError says no kernelspec of the wanted name exists.
type NotInstalledError struct {
	Name      string
	Installed []string // names found, sorted
	Searched  []string // the folders searched, in order
}

func (e *NotInstalledError) Error() string {
	have := "none is installed"
	if len(e.Installed) > 0 {
		have = "installed: " + strings.Join(e.Installed, ", ")
	}
	return fmt.Sprintf("jupyter kernel %q is not installed (%s; searched %s)", e.Name, have, strings.Join(e.Searched, ", "))
}

// SearchPath returns the folders that hold kernelspecs, in the order Jupyter
// looks: $JUPYTER_PATH entries, the user's data folder, then the system's.
func SearchPath() []string {
	var dirs []string
	for _, p := range filepath.SplitList(os.Getenv("JUPYTER_PATH")) {
		if p != "" {
			dirs = append(dirs, filepath.Join(p, "kernels"))
		}
	}
	dirs = append(dirs, filepath.Join(userDataDir(), "kernels"),
		"/usr/local/share/jupyter/kernels", "/usr/share/jupyter/kernels")
	return slices.Compact(dirs)
}

func userDataDir() string {
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "jupyter")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "/"
	}
	return filepath.Join(home, ".local", "share", "jupyter")
}

// Installed returns the names of the kernelspecs found on the search path.
func Installed() []string {
	var names []string
	for _, dir := range SearchPath() {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if _, err := os.Stat(filepath.Join(dir, e.Name(), "kernel.json")); err == nil && !slices.Contains(names, e.Name()) {
				names = append(names, e.Name())
			}
		}
	}
	slices.Sort(names)
	return names
}

// Find returns the first kernelspec named name on the search path; a
// missing one is a *NotInstalledError.
func Find(name string) (*Spec, error) {
	for _, dir := range SearchPath() {
		path := filepath.Join(dir, name, "kernel.json")
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read kernelspec %s: %w", path, err)
		}
		return parseSpec(name, filepath.Dir(path), data)
	}
	return nil, &NotInstalledError{Name: name, Installed: Installed(), Searched: SearchPath()}
}

// parseSpec reads one kernel.json.
func parseSpec(name, dir string, data []byte) (*Spec, error) {
	var f specFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("kernelspec %s: %w", filepath.Join(dir, "kernel.json"), err)
	}
	if len(f.Argv) == 0 || f.Argv[0] == "" {
		return nil, fmt.Errorf("kernelspec %s: argv is empty", filepath.Join(dir, "kernel.json"))
	}
	if !slices.Contains(f.Argv, "{connection_file}") {
		return nil, fmt.Errorf("kernelspec %s: argv does not pass {connection_file}", filepath.Join(dir, "kernel.json"))
	}
	mode := f.InterruptMode
	switch mode {
	case "":
		mode = "signal"
	case "signal", "message":
	default:
		return nil, fmt.Errorf("kernelspec %s: unknown interrupt_mode %q", filepath.Join(dir, "kernel.json"), mode)
	}
	return &Spec{Name: name, Dir: dir, Argv: f.Argv, DisplayName: f.DisplayName, Language: f.Language, Env: f.Env, InterruptMode: mode}, nil
}

// command returns the kernel's argv for a connection file.
func (s *Spec) command(connFile string) []string {
	argv := make([]string, len(s.Argv))
	for i, a := range s.Argv {
		a = strings.ReplaceAll(a, "{connection_file}", connFile)
		argv[i] = strings.ReplaceAll(a, "{resource_dir}", s.Dir)
	}
	return argv
}
