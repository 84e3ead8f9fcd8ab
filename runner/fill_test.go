package runner

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ocs/notebook"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// makePython builds a 4.5 Python notebook the way makeNotebook builds a Go
// one; "[a,b]" tags a code cell with a and b.
func makePython(cells ...string) *notebook.Notebook {
	nb := makeNotebook()
	nb.Metadata["kernelspec"] = map[string]any{"name": "python3", "display_name": "Python 3", "language": "python"}
	for i, src := range cells {
		var c *notebook.Cell
		if strings.HasPrefix(src, "## ") {
			c = notebook.NewCell(notebook.Markdown, src)
		} else {
			var tags string
			if strings.HasPrefix(src, "[") {
				tags, src, _ = strings.Cut(src[1:], "]")
			}
			c = notebook.NewCell(notebook.Code, src)
			if tags != "" {
				var list []any
				for _, t := range strings.Split(tags, ",") {
					list = append(list, t)
				}
				c.Metadata["tags"] = list
			}
		}
		c.ID = fmt.Sprintf("c%02d", i)
		nb.Cells = append(nb.Cells, c)
	}
	return nb
}

// prepareParams injects opts' parameters into nb as New does, without the
// language check (the kernel that runs Python is wired in cmd/ocs).
func prepareParams(nb *notebook.Notebook, opts Options) (*Run, error) {
	r := &Run{opts: opts, nb: nb, mask: &masker{}, kernelSource: map[*notebook.Cell]string{},
		cellExtras: map[*notebook.Cell]map[string]any{}, cache: notebook.NewCellCache(), runIndex: -1}
	return r, r.injectParams()
}

const pyTemplate = `## Parameters
[parameters]# papermill's defaults
nodes = 1  # how many nodes
name = 'web'
ratio = 0.5
tags = []
[vcp:parameters,vcp:skip]# (例)
# ugroup_name = 'Moodle'

ugroup_name = 
[vcp:parameters,vcp:skip]flavor = 'small'  # node size
# (例)
# ip_address = '172.30.2.10'
db_password = 
[vcp:parameters,vcp:skip]from getpass import getpass
vcc_access_token = getpass()
print(ugroup_name)`

// TestPythonInjection renders papermill's injected cell and the filled
// vcp:parameters cells, as the record and the kernel each get them;
// testdata/python-injection.golden holds them (go test -update).
func TestPythonInjection(t *testing.T) {
	nb := makePython(strings.Split(pyTemplate, "\n[")[0])
	for _, cell := range strings.Split(pyTemplate, "\n[")[1:] {
		nb.Cells = append(nb.Cells, makePython("["+cell).Cells...)
	}
	for i, c := range nb.Cells {
		c.ID = fmt.Sprintf("c%02d", i)
	}
	opts := Options{
		Params: map[string]string{"nodes": "3", "name": "it's", "ratio": "1e3", "tags": "a,b", "ugroup_name": "grp1",
			"ip_address": "10.0.0.5", "db_password": "hunter2", "flavor": "None"},
		ParamValues: map[string]any{"tags": []any{"a", "b"}},
	}
	r, err := prepareParams(nb, opts)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, c := range r.nb.Cells {
		if c.Type != notebook.Code {
			continue
		}
		fmt.Fprintf(&b, "=== cells[%d] %v\n--- record\n%s\n", i, c.Tags(), c.Source.String())
		if real, ok := r.kernelSource[c]; ok {
			fmt.Fprintf(&b, "--- kernel\n%s\n", real)
		}
	}
	fmt.Fprintf(&b, "=== metadata.ocs.parameters\n%v\n", r.params)
	golden := filepath.Join("testdata", "python-injection.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("injection differs from %s (go test -update rewrites it):\n%s", golden, b.String())
	}
	// The secret-looking value reaches the kernel and nothing the record holds.
	for _, c := range r.nb.Cells {
		if strings.Contains(c.Source.String(), "hunter2") {
			t.Errorf("cell %s shows the password in the record", c.ID)
		}
	}
	if !strings.Contains(b.String(), "db_password = 'hunter2'") {
		t.Error("the kernel does not get the password")
	}
}

// TestStripGivesTheTemplateBack: a record whose vcp:parameters cells ocs
// filled strips back to the template byte for byte, in either source form.
func TestStripGivesTheTemplateBack(t *testing.T) {
	nb := makePython("[vcp:parameters]# (例)\n# ugroup_name = 'Moodle'\n\nugroup_name = \n", "[vcp:parameters]a = 1\n# b = 2", "print(a)\n")
	// The second cell stores its source as one string, not a list.
	raw, err := nb.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	raw = bytes.Replace(raw, []byte(`"source": [
    "a = 1\n",
    "# b = 2"
   ]`), []byte(`"source": "a = 1\n# b = 2"`), 1)
	template, err := notebook.Parse(raw, "t.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	if template.Cells[1].Source.IsList() {
		t.Fatal("the test notebook did not get a string source")
	}
	r, err := prepareParams(template, Options{Params: map[string]string{"ugroup_name": "g", "a": "5", "b": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.nb.Cells {
		if c.Type == notebook.Code {
			c.Metadata[notebook.OCSKey] = map[string]any{"status": "completed"} // as a finished run leaves it
		}
	}
	r.keepCellExtras()
	record, err := r.nb.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(record, []byte(`ugroup_name = 'g'`)) || !bytes.Contains(record, []byte(`b = 'x'`)) {
		t.Fatalf("the record does not show the filled cells:\n%s", record)
	}
	back, err := notebook.Parse(record, "r.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	back.Strip()
	got, err := back.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, raw) {
		t.Fatalf("strip did not give the template back:\n%s\nwant\n%s", got, raw)
	}
}

func TestPythonParameterErrors(t *testing.T) {
	tmpl := func() *notebook.Notebook {
		return makePython("[vcp:parameters]# (例)\n# ugroup_name = 'Moodle'\nugroup_name = \n", "[vcp:parameters]vcc_access_token = getpass()\nnode = \n", "[parameters]x = 1")
	}
	tests := []struct {
		name   string
		params map[string]string
		want   []string
	}{
		{"every missing name, with cell and example", map[string]string{"x": "2"}, []string{
			"2 required parameters have no value",
			"ugroup_name: nb.ipynb, cell 0 (id c00), e.g. 'Moodle'",
			"node: nb.ipynb, cell 1 (id c01)",
		}},
		{"a getpass secret is not a parameter", map[string]string{"vcc_access_token": "t", "ugroup_name": "g", "node": "n"}, []string{
			`parameter "vcc_access_token" is a secret the notebook asks for with getpass(): give it with --secret vcc_access_token`,
		}},
		{"unknown name", map[string]string{"nope": "1"}, []string{`unknown parameter "nope" (the template declares: x, ugroup_name, node)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := prepareParams(tmpl(), Options{Params: tt.params, Source: Source{Path: "nb.ipynb"}})
			if err == nil || !errors.Is(err, ErrInput) {
				t.Fatalf("got %v, want an input error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	missing, err := MissingParams(tmpl(), map[string]string{"node": "1"})
	if err != nil || len(missing) != 1 || missing[0].Name != "ugroup_name" || missing[0].Example != "'Moodle'" {
		t.Errorf("MissingParams: %+v %v", missing, err)
	}
	if got := AskedSecrets(tmpl()); len(got) != 1 || got[0].Name != "vcc_access_token" || got[0].Cell != 1 {
		t.Errorf("AskedSecrets: %+v", got)
	}
}

func TestSkipReason(t *testing.T) {
	tests := []struct {
		cell string
		want string
	}{
		{"[vcp:skip]!ssh-keygen -t rsa", "tagged vcp:skip: the cell needs a person"},
		{"[vcp:skip,vcp:parameters]name = 'x'", ""},
		{"[vcp:skip]from getpass import getpass\ntoken = getpass()", ""},
		{"[skip-execution]print(1)", "tagged skip-execution"},
		{"  \n", "empty"},
		{"print(1)", ""},
	}
	for _, tt := range tests {
		c := makePython(tt.cell).Cells[0]
		if got := skipReason(c); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.cell, got, tt.want)
		}
	}
}

// TestPythonRunRecordsFilledCells runs a Python notebook through Execute:
// the filled cell runs with its value and keeps its template source across
// every save, the vcp:skip cell that needs a person does not run and says
// why, and the record strips back to the template.
func TestPythonRunRecordsFilledCells(t *testing.T) {
	nb := makePython("[vcp:parameters,vcp:skip]# (例)\n# name = 'n'\nname = \n", "[vcp:skip]print by hand", "print done")
	template, err := nb.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	k := &scriptKernel{}
	res, rec, path := run(t, nb, Options{Params: map[string]string{"name": "x"}}, nil, k)
	if res.Status != Completed || statuses(rec) != "completed,skipped,completed" {
		t.Fatalf("%+v %s", res, statuses(rec))
	}
	if len(k.sources) != 2 || k.sources[0] != "# (例)\n# name = 'n'\nname = 'x'\n" {
		t.Fatalf("the kernel ran %q", k.sources)
	}
	meta := rec.Cells[0].Metadata[notebook.OCSKey].(map[string]any)
	if src, ok := notebook.TextFromJSON(meta[notebook.TemplateSourceKey]); !ok || src.String() != "# (例)\n# name = 'n'\nname = \n" {
		t.Errorf("template_source %v", meta[notebook.TemplateSourceKey])
	}
	if reason := rec.Cells[1].Metadata[notebook.OCSKey].(map[string]any)["reason"]; reason != "tagged vcp:skip: the cell needs a person" {
		t.Errorf("skip reason %v", reason)
	}
	if rows := Summarize(rec); rows[1].Reason == "" {
		t.Errorf("ocs status has no reason: %+v", rows[1])
	}
	rec.Strip()
	back, err := rec.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back, template) {
		t.Errorf("%s does not strip back to the template:\n%s", path, back)
	}
}
