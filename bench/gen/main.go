// Command gen writes the notebooks bench/run times: each case twice, once
// for ocs (kernel ocs-go, Go cells) and once for Jupyter (kernel python3,
// Python cells), doing the same work in each language.
//
//	go run ./bench/gen DIR
//
// writes DIR/CASE.ocs.ipynb and DIR/CASE.jupyter.ipynb for every case.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"ocs/notebook"
)

// outputLine is 99 characters; with its newline, 200000 of them make the
// 20 MB (20,000,000 bytes) of the output case.
var outputLine = strings.Repeat("0123456789", 10)[:99]

const outputLines = 200000

// benchCase is one workload in both languages.
type benchCase struct {
	name    string
	goCells []string
	pyCells []string
}

func cases() []benchCase {
	var trivialGo, trivialPy, shell []string
	for i := 0; i < 200; i++ {
		trivialGo = append(trivialGo, fmt.Sprintf("x := %d", i))
		trivialPy = append(trivialPy, fmt.Sprintf("x = %d", i))
	}
	for i := 0; i < 100; i++ {
		shell = append(shell, "!true")
	}
	return []benchCase{
		// One trivial cell: the fixed cost of starting the executor, its
		// kernel, and writing a record.
		{"startup", []string{"x := 1"}, []string{"x = 1"}},
		{"trivial200", trivialGo, trivialPy},
		// `!true` is a shell line in both: IPython's system() and the Go
		// kernel's shell bridge.
		{"shell100", shell, shell},
		// Line-by-line printing in the cell's own language, as a chatty
		// command's output arrives.
		{"output20mb",
			[]string{fmt.Sprintf("import \"fmt\"\n\nline := %q\nfor i := 0; i < %d; i++ {\n\tfmt.Println(line)\n}", outputLine, outputLines)},
			[]string{fmt.Sprintf("line = %q\nfor i in range(%d):\n    print(line)", outputLine, outputLines)}},
	}
}

func build(cells []string, kernelspec, languageInfo map[string]any) *notebook.Notebook {
	nb := &notebook.Notebook{Format: 4, FormatMinor: 5,
		Metadata: map[string]any{"kernelspec": kernelspec, "language_info": languageInfo}}
	for _, src := range cells {
		nb.Cells = append(nb.Cells, notebook.NewCell(notebook.Code, src))
	}
	nb.EnsureIDs()
	return nb
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
	goSpec := map[string]any{"name": "ocs-go", "display_name": "Go (ocs)", "language": "go"}
	pySpec := map[string]any{"name": "python3", "display_name": "Python 3", "language": "python"}
	for _, c := range cases() {
		for _, v := range []struct {
			suffix string
			nb     *notebook.Notebook
		}{
			{"ocs", build(c.goCells, goSpec, map[string]any{"name": "go"})},
			{"jupyter", build(c.pyCells, pySpec, map[string]any{"name": "python"})},
		} {
			path := filepath.Join(dir, c.name+"."+v.suffix+".ipynb")
			if err := v.nb.WriteFile(path); err != nil {
				fmt.Fprintf(os.Stderr, "gen: %v\n", err)
				os.Exit(1)
			}
		}
	}
}
