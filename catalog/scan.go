package catalog

import (
	"cmp"
	"io"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"ocs/notebook"
	"ocs/templates"
)

// Template is one entry of the catalog: a single notebook, or a folder of
// notebooks run in the order of their numeric prefixes.
type Template struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	// Commit is the git commit the entry was read at; "" for other sources.
	Commit string `json:"commit,omitempty"`
	// Dir is the template's folder relative to the source root; "" for a
	// single notebook at the root.
	Dir   string `json:"dir"`
	Title string `json:"title"`
	// TitleFrom says where the title was found, e.g. "the first heading of
	// Moodle/README.md".
	TitleFrom string `json:"title_from"`
	Summary   string `json:"summary"`
	// Language is the kernel language of most of its notebooks ("go",
	// "python", "bash"); Kernel the kernelspec name that goes with it.
	Language   string            `json:"language"`
	Kernel     string            `json:"kernel"`
	Notebooks  []NotebookInfo    `json:"notebooks"`
	Parameters []templates.Param `json:"parameters,omitempty"`
	// Problems are notebooks or parameter cells that could not be read.
	Problems []Problem `json:"problems,omitempty"`
}

// NotebookInfo describes one notebook of a template.
type NotebookInfo struct {
	// Path is relative to the template's folder, with forward slashes.
	Path       string            `json:"path"`
	Title      string            `json:"title"`
	Language   string            `json:"language"`
	Kernel     string            `json:"kernel"`
	Headings   []Heading         `json:"headings"`
	Parameters []templates.Param `json:"parameters,omitempty"`
}

// Problem is something in a source that could not be read, or that was
// read only after a repair (Repaired). It never hides the rest of the
// source.
type Problem struct {
	// Path is relative to the source root.
	Path string `json:"path"`
	Err  string `json:"error"`
	// Repaired is set for what nbformat's reader repairs or tolerates too
	// (ids in a notebook older than 4.5, duplicate ids, NaN): the notebook
	// is listed, and the problem is a warning.
	Repaired bool `json:"repaired,omitempty"`
}

// Ref is how the template is named on the command line: SOURCE:NAME.
func (t *Template) Ref() string { return t.Source + ":" + t.Name }

// Outline returns every heading of every notebook, in run order.
func (t *Template) Outline() []Heading {
	var out []Heading
	for _, nb := range t.Notebooks {
		out = append(out, nb.Headings...)
	}
	return out
}

// Scan reads the templates at the root of fsys: every folder that holds
// notebooks (at any depth) and every notebook file. Hidden folders, folders
// starting with "_" and Jupyter's checkpoints are skipped. A notebook that
// cannot be read is reported as a problem and left out.
func Scan(fsys fs.FS) ([]*Template, []Problem) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, []Problem{{Path: ".", Err: err.Error()}}
	}
	repoReadme, _ := readReadme(fsys, ".")
	links := readmeLinks(repoReadme)
	var list []*Template
	var problems []Problem
	for _, e := range entries {
		name := e.Name()
		if skipName(name) {
			continue
		}
		var t *Template
		var ps []Problem
		switch {
		case e.IsDir():
			t, ps = scanFolder(fsys, name, links)
		case isNotebookFile(fsys, name):
			if twinOfText(fsys, name) {
				continue
			}
			t, ps = scanNotebooks(fsys, strings.TrimSuffix(name, path.Ext(name)), "", []string{name}, links)
		}
		problems = append(problems, ps...)
		if t != nil {
			list = append(list, t)
		}
	}
	return list, problems
}

func skipName(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

func scanFolder(fsys fs.FS, dir string, links map[string]string) (*Template, []Problem) {
	var paths []string
	var problems []Problem
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			problems = append(problems, Problem{Path: p, Err: err.Error()})
			return nil
		}
		if p != dir && skipName(d.Name()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.IsDir() && isNotebookFile(fsys, p) && !twinOfText(fsys, p) {
			paths = append(paths, strings.TrimPrefix(p, dir+"/"))
		}
		return nil
	})
	if err != nil {
		problems = append(problems, Problem{Path: dir, Err: err.Error()})
	}
	if len(paths) == 0 {
		return nil, problems
	}
	t, ps := scanNotebooks(fsys, dir, dir, runOrder(paths), links)
	return t, append(problems, ps...)
}

// isNotebookFile reports whether p is a notebook: a .ipynb file, or a .go
// or .py file whose header says it is a text (percent format) notebook.
func isNotebookFile(fsys fs.FS, p string) bool {
	if strings.HasSuffix(p, ".ipynb") {
		return true
	}
	if !notebook.IsTextFile(p) {
		return false
	}
	f, err := fsys.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	return notebook.IsText(head[:n])
}

// twinOfText reports whether p is a .ipynb generated from a text notebook
// beside it (NAME.go or NAME.py): the text is the template's source, so
// only it is listed.
func twinOfText(fsys fs.FS, p string) bool {
	if !strings.HasSuffix(p, ".ipynb") {
		return false
	}
	for _, l := range notebook.TextLanguages {
		if twin := strings.TrimSuffix(p, ".ipynb") + l.Extension; isNotebookFile(fsys, twin) {
			return true
		}
	}
	return false
}

// runOrder puts a template's notebooks in the order they are run: README
// first, then by numeric prefix (000, 011, ..., 911, or 1010, 2001, ...),
// then the rest by path. A notebook without a number in a sub-folder of a
// numbered template is a resource the template ships (a sample notebook to
// copy onto a server), not a step, and is left out.
func runOrder(paths []string) []string {
	type step struct {
		path   string
		class  int // 0 README, 1 numbered, 2 other
		number int
	}
	var steps []step
	numbered := false
	for _, p := range paths {
		base := strings.TrimSuffix(path.Base(p), path.Ext(p))
		s := step{path: p, class: 2}
		if n, ok := numericPrefix(base); ok {
			s.class, s.number = 1, n
			numbered = true
		}
		if strings.Contains(strings.ToUpper(base), "README") {
			s.class = 0
		}
		steps = append(steps, s)
	}
	steps = slices.DeleteFunc(steps, func(s step) bool {
		return numbered && s.class == 2 && strings.Contains(s.path, "/")
	})
	slices.SortFunc(steps, func(a, b step) int {
		return cmp.Or(cmp.Compare(a.class, b.class), cmp.Compare(a.number, b.number), strings.Compare(a.path, b.path))
	})
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.path
	}
	return out
}

// numericPrefix reads the leading number of a name like "011-ノードの作成"
// or "1010_train"; the digits must be followed by a separator or nothing.
func numericPrefix(base string) (int, bool) {
	end := 0
	for end < len(base) && end < 9 && base[end] >= '0' && base[end] <= '9' {
		end++
	}
	if end == 0 || (end < len(base) && !strings.ContainsRune("-_. ", rune(base[end]))) {
		return 0, false
	}
	n, err := strconv.Atoi(base[:end])
	return n, err == nil
}

// scanNotebooks reads the notebooks of one template, given in run order and
// relative to dir; links are the repository README's links to folders.
func scanNotebooks(fsys fs.FS, name, dir string, paths []string, links map[string]string) (*Template, []Problem) {
	t := &Template{Name: name, Dir: dir}
	var problems []Problem
	var summaries []string
	languages := map[string]int{}
	for _, p := range paths {
		full := path.Join(dir, p)
		info, err := readNotebookInfo(fsys, full)
		if err != nil {
			problems = append(problems, Problem{Path: full, Err: err.Error()})
			continue
		}
		info.Path = p
		for _, pe := range info.problems {
			problems = append(problems, Problem{Path: full, Err: pe})
		}
		for _, w := range info.repaired {
			problems = append(problems, Problem{Path: full, Err: w, Repaired: true})
		}
		t.Notebooks = append(t.Notebooks, info.NotebookInfo)
		t.Parameters = append(t.Parameters, info.Parameters...)
		languages[info.Language]++
		summaries = append(summaries, info.summary)
	}
	if len(t.Notebooks) == 0 {
		return nil, problems
	}
	nameTemplate(t, fsys, links, summaries)
	// The most common language wins; the first notebook breaks ties, since a
	// template's README sets its tone.
	for _, nb := range t.Notebooks {
		if t.Language == "" || languages[nb.Language] > languages[t.Language] {
			t.Language, t.Kernel = nb.Language, nb.Kernel
		}
	}
	t.Problems = problems
	return t, problems
}

type notebookScan struct {
	NotebookInfo
	summary  string
	problems []string
	repaired []string
}

func readNotebookInfo(fsys fs.FS, p string) (*notebookScan, error) {
	data, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	nb, warnings, err := notebook.Decode(data, p)
	if err != nil {
		return nil, err
	}
	info := &notebookScan{}
	for _, w := range warnings {
		info.repaired = append(info.repaired, w.String())
	}
	info.Language, info.Kernel = kernelOf(nb)
	for _, c := range nb.Cells {
		switch c.Type {
		case notebook.Markdown:
			src := []byte(c.Source.String())
			headings, paragraph := markdownSummary(src)
			info.Headings = append(info.Headings, headings...)
			if info.summary == "" {
				info.summary = paragraph
			}
		case notebook.Code:
			params, err := cellParams(info.Language, c)
			if err != nil {
				info.problems = append(info.problems, "parameters cell: "+err.Error())
				continue
			}
			info.Parameters = append(info.Parameters, params...)
		}
	}
	if len(info.Headings) > 0 {
		info.Title = info.Headings[0].Text
	}
	if info.Headings == nil {
		info.Headings = []Heading{}
	}
	return info, nil
}

// cellParams reads the parameters a code cell declares: a Go or Python
// cell tagged "parameters", or an OCS cell tagged vcp:parameters (its
// getpass() secrets are not parameters).
func cellParams(language string, c *notebook.Cell) ([]templates.Param, error) {
	switch {
	case c.HasTag(templates.ParametersTag) && language == "go":
		return templates.ParseParams(c.Source.String())
	case c.HasTag(templates.ParametersTag) && language == "python":
		return templates.ParsePyParams(c.Source.String())
	case c.HasTag(templates.VCPParametersTag) && language == "python":
		read, err := templates.ParseVCPParams(c.Source.String())
		if err != nil {
			return nil, err
		}
		var params []templates.Param
		for _, p := range read.Params {
			if p.Kind != templates.KindSecret {
				params = append(params, p)
			}
		}
		return params, nil
	}
	return nil, nil
}

// kernelOf reads the language and kernel name from a notebook's kernelspec,
// falling back to language_info.
func kernelOf(nb *notebook.Notebook) (language, kernel string) {
	spec, _ := nb.Metadata["kernelspec"].(map[string]any)
	language, _ = spec["language"].(string)
	kernel, _ = spec["name"].(string)
	if language == "" {
		info, _ := nb.Metadata["language_info"].(map[string]any)
		language, _ = info["name"].(string)
	}
	return strings.ToLower(language), kernel
}
