package kerneltest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Verdict is what Jupyter's own nbformat says about one notebook file.
type Verdict struct {
	File          string `json:"file"`
	Valid         bool   `json:"valid"`
	Error         string `json:"error"`
	RelayoutEqual bool   `json:"relayout_equal"`
}

// ErrNoReferee means Debian's python3-nbformat is not installed.
var ErrNoReferee = errors.New("python3-nbformat is not installed")

// Check asks Debian's python3-nbformat (through testdata/nbcheck.py) about
// each file.
func Check(files ...string) (map[string]Verdict, error) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import nbformat").Run(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoReferee, err)
	}
	_, self, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(self), "..", "..", "testdata", "nbcheck.py")
	cmd := exec.Command(python, script)
	cmd.Stdin = strings.NewReader(strings.Join(files, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("nbcheck: %w", err)
	}
	res := map[string]Verdict{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var v Verdict
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return nil, fmt.Errorf("nbcheck output %q: %w", sc.Text(), err)
		}
		res[v.File] = v
	}
	if len(res) != len(files) {
		return nil, fmt.Errorf("nbcheck answered for %d of %d files", len(res), len(files))
	}
	return res, nil
}

// Referee is Check for tests: without python3-nbformat the test skips, and
// fails under CI=true.
func Referee(t testing.TB, files ...string) map[string]Verdict {
	t.Helper()
	res, err := Check(files...)
	if errors.Is(err, ErrNoReferee) && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// RequireValid fails the test unless Jupyter's nbformat accepts every file.
func RequireValid(t testing.TB, files ...string) {
	t.Helper()
	for file, v := range Referee(t, files...) {
		if !v.Valid {
			t.Errorf("%s: nbformat says invalid: %s", file, v.Error)
		}
	}
}
