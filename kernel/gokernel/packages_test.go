package gokernel_test

import "testing"

// TestPackagesOnFirstImport checks what cells see of packages the worker
// loads when they are first imported: the standard library under every
// import form, generic packages, the virtualised fmt, log, flag and os, the
// interface wrappers of packages a cell did not import, and host packages.
func TestPackagesOnFirstImport(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{
		{"imports in later cells, under every form", []step{
			{src: "x := 1"},
			{src: "import \"strings\"\nstrings.ToUpper(\"a\")", result: `"A"`},
			{src: "import str \"strconv\"\nstr.Itoa(7)", result: `"7"`},
			{src: "import . \"math\"\nFloor(2.5)", result: "2"},
			{src: "import _ \"image/png\"\nimport _ \"hash/crc32\"\ny := 2"},
			{src: "import \"strings\"\nstrings.Repeat(\"b\", 2)", result: `"bb"`},
			{src: "import \"ocs/display\"\ndisplay.HTML(\"<b>late</b>\")", result: "<b>late</b>"},
			{src: "import \"no/such/package\"", ename: "CompileError", evalue: "no/such/package"},
		}},
		{"generic packages compiled on first import", []step{
			{src: "import \"slices\"\nslices.Contains([]int{1, 2}, 2)", result: "true"},
			// yaegi v0.16.1 infers the types of maps.Equal, Clone and Copy wrongly
			// ("undefined type for K"), with or without lazy loading.
			{src: "import \"maps\"\nm := map[string]int{\"a\": 1, \"b\": 2}\nmaps.DeleteFunc(m, func(k string, v int) bool { return v == 1 })\nlen(m)", result: "1"},
			{src: "import \"cmp\"\ncmp.Compare(1, 2)", result: "-1"},
			{src: "import (\n\t\"slices\"\n\t\"sort\"\n)\ns := []string{\"b\", \"a\"}\nsort.Strings(s)\nslices.Index(s, \"b\")", result: "1"},
		}},
		{"virtualised fmt, log, flag, os and math/bits", []step{
			{src: "import \"fmt\"\nfmt.Printf(\"%d\\n\", 5)\nfmt.Print(\"a\")\nfmt.Println(\"b\")", stdout: "5\nab\n"},
			{src: "import \"os\"\nfmt.Fprintln(os.Stderr, \"to stderr\")", stderr: "to stderr", noOut: true},
			{src: "os.Stdout.Write([]byte(\"w\\n\"))", stdout: "w\n"},
			{src: "var n int\n_, err := fmt.Scan(&n)\nerr", result: "EOF"},
			{src: "import \"log\"\nlog.SetFlags(0)\nlog.Println(\"logged\")", stderr: "logged", noOut: true},
			{src: "log.Fatal(\"fatal one\")", ename: "Panic", evalue: "fatal one"},
			{src: "lg := log.New(os.Stderr, \"\", 0)\nlg.Fatalf(\"fatal %d\", 2)", ename: "Panic", evalue: "fatal 2"},
			{src: "import \"flag\"\nflag.CommandLine.Name() == os.Args[0] && len(os.Args) > 0", result: "true"},
			{src: "flag.CommandLine.Parse([]string{\"-nosuch\"})", ename: "Panic", evalue: "flag provided but not defined"},
			{src: "import \"math/bits\"\nbits.UintSize", result: "64"},
			{src: "1 + 1", result: "2"},
		}},
		{"interface wrappers of packages the cell did not import", []step{
			{src: "import \"bufio\"\ntype R struct{}\nfunc (R) Read(p []byte) (int, error) { return copy(p, \"hi\\n\"), nil }\nline, _ := bufio.NewReader(R{}).ReadString('\\n')\nline", result: `"hi\n"`},
			{src: "import (\n\t\"io\"\n\t\"strings\"\n)\ntype WT struct{}\nfunc (WT) Read(p []byte) (int, error) { return 0, io.EOF }\nfunc (WT) WriteTo(w io.Writer) (int64, error) { n, err := io.WriteString(w, \"by WriteTo\"); return int64(n), err }\nvar sb strings.Builder\nio.Copy(&sb, WT{})\nsb.String()", result: `"by WriteTo"`},
			{src: "import \"encoding/json\"\ntype T struct{}\nfunc (T) MarshalText() ([]byte, error) { return []byte(\"t\"), nil }\nb, _ := json.Marshal(T{})\nstring(b)", result: `"\"t\""`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runSteps(t, tt.steps) })
	}
}
