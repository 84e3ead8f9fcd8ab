package report

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/alecthomas/chroma/v2"
)

// tokens lexes src and checks what every lexer must give: the text back,
// whole, and no error token (which the page would show in red).
func tokens(t testing.TB, l chroma.Lexer, src string) []chroma.Token {
	t.Helper()
	it, err := l.Tokenise(nil, src)
	if err != nil {
		t.Fatalf("%s: tokenise %q: %v", l.Config().Name, src, err)
	}
	var got []chroma.Token
	var back strings.Builder
	for tok := it(); tok != chroma.EOF; tok = it() {
		if tok.Type == chroma.Error {
			t.Errorf("%s: error token %q in %q", l.Config().Name, tok.Value, src)
		}
		back.WriteString(tok.Value)
		got = append(got, tok)
	}
	want := strings.ReplaceAll(strings.ReplaceAll(src, "\r\n", "\n"), "\r", "\n") // as chroma reads it
	if l.Config().EnsureNL && !strings.HasSuffix(want, "\n") {
		want += "\n"
	}
	if back.String() != want && back.String() != strings.TrimSuffix(want, "\n") {
		t.Errorf("%s: tokens give back %q, not %q", l.Config().Name, back.String(), src)
	}
	return got
}

func TestHighlightLexers(t *testing.T) {
	type tok struct {
		typ   chroma.TokenType
		value string
	}
	cases := []struct {
		lang, src string
		want      []tok
	}{
		{"python", "import os\nfrom x import y\n", []tok{{chroma.KeywordNamespace, "import"}, {chroma.KeywordNamespace, "from"}}},
		{"python", "def build(n=2):\n    return n * 1.5", []tok{{chroma.Keyword, "def"}, {chroma.NameFunction, "build"}, {chroma.LiteralNumberInteger, "2"}, {chroma.LiteralNumberFloat, "1.5"}, {chroma.Keyword, "return"}}},
		{"python", "class Node(object):\n    '''doc\n    more'''\n", []tok{{chroma.NameClass, "Node"}, {chroma.NameBuiltin, "object"}, {chroma.LiteralStringDoc, "'''doc\n    more'''"}}},
		{"python", "x = f\"{a}\" # note\nif x is None and y:\n    pass", []tok{{chroma.LiteralStringDouble, `f"{a}"`}, {chroma.CommentSingle, "# note"}, {chroma.OperatorWord, "is"}, {chroma.KeywordConstant, "None"}, {chroma.OperatorWord, "and"}}},
		{"python", "for n in nodes:\n    !echo {n} $HOME\nout = !ls -l\n%run scripts/helper.py", []tok{{chroma.Operator, "!"}, {chroma.NameBuiltin, "echo"}, {chroma.LiteralStringInterpol, "{n}"}, {chroma.NameVariable, "$HOME"}, {chroma.NameAttribute, "-l"}, {chroma.CommentPreproc, "%run scripts/helper.py"}}},
		{"python", "print('unclosed\nprint(\"x\")", []tok{{chroma.NameBuiltin, "print"}, {chroma.LiteralStringSingle, "'unclosed"}, {chroma.LiteralStringDouble, `"x"`}}},
		{"go", "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tvar n int = 0x1f\n\tfmt.Println(n, 'c', `raw`, nil)\n}", []tok{{chroma.KeywordNamespace, "package"}, {chroma.KeywordDeclaration, "func"}, {chroma.NameFunction, "main"}, {chroma.KeywordType, "int"}, {chroma.LiteralNumberHex, "0x1f"}, {chroma.NameFunction, "Println"}, {chroma.LiteralStringChar, "'c'"}, {chroma.LiteralString, "`raw`"}, {chroma.KeywordConstant, "nil"}}},
		{"go", "// a comment\n/* a\nblock */\nx := len(s) // end\n!ansible-playbook -i inventory.yml site.yml\n%%time", []tok{{chroma.CommentSingle, "// a comment"}, {chroma.CommentMultiline, "/* a\nblock */"}, {chroma.NameBuiltin, "len"}, {chroma.Operator, "!"}, {chroma.NameAttribute, "-i"}, {chroma.CommentPreproc, "%%time"}}},
		{"ocs-go", "if err != nil {\n\treturn\n}", []tok{{chroma.Keyword, "if"}, {chroma.Operator, "!="}, {chroma.KeywordConstant, "nil"}, {chroma.Keyword, "return"}}},
		{"bash", "#!/bin/bash\nset -eu\nfor h in a b; do\n  echo \"host ${h}: $1\" 'q' # done\ndone\nNAME=x ./run.sh 2>&1 | tee log", []tok{{chroma.CommentHashbang, "#!/bin/bash"}, {chroma.NameBuiltin, "set"}, {chroma.Keyword, "for"}, {chroma.Keyword, "do"}, {chroma.NameVariable, "${h}"}, {chroma.NameVariable, "$1"}, {chroma.LiteralStringSingle, "'q'"}, {chroma.CommentSingle, "# done"}, {chroma.Keyword, "done"}, {chroma.NameVariable, "NAME"}, {chroma.Operator, "2>&1"}, {chroma.Operator, "|"}}},
		{"bash", "%%bash\nls", []tok{{chroma.CommentPreproc, "%%bash"}}},
		{"sh", "echo a#b \"x\" \"unclosed", []tok{{chroma.Text, "a#b"}, {chroma.LiteralStringDouble, `"x"`}}},
		{"yaml", "---\n# vars\nnodes:\n  - name: web-1\n    ip: 10.0.0.1\n    port: 8080\n    enabled: true\n    cmd: \"{{ x }}\"\n    url: http://h:1/x\n", []tok{{chroma.NameNamespace, "---"}, {chroma.CommentSingle, "# vars"}, {chroma.NameTag, "nodes"}, {chroma.Punctuation, "-"}, {chroma.NameTag, "name"}, {chroma.LiteralString, "web-1"}, {chroma.LiteralNumber, "8080"}, {chroma.KeywordConstant, "true"}, {chroma.LiteralStringDouble, `"{{ x }}"`}, {chroma.NameTag, "url"}, {chroma.LiteralString, "http://h:1/x"}}},
		{"json", `{"a": [1, -2.5e3, true, null, "s"]}`, []tok{{chroma.NameTag, `"a"`}, {chroma.LiteralNumber, "1"}, {chroma.LiteralNumber, "-2.5e3"}, {chroma.KeywordConstant, "true"}, {chroma.KeywordConstant, "null"}, {chroma.LiteralStringDouble, `"s"`}}},
		{"cobol", "MOVE A TO B.", []tok{{chroma.Text, "MOVE A TO B."}}},
	}
	hl := highlight()
	for _, tc := range cases {
		got := tokens(t, hl.lexer(tc.lang), tc.src)
		for _, w := range tc.want {
			found := false
			for _, g := range got {
				if g.Type == w.typ && g.Value == w.value {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("%s %q: no %s %q in %v", tc.lang, tc.src, w.typ, w.value, got)
			}
		}
	}
}

func TestHighlightFileLexer(t *testing.T) {
	hl := highlight()
	for name, want := range map[string]string{
		"group_vars/all.yml": "YAML", "site.YAML": "YAML", "templates/x.yml.j2": "YAML", "helper.py": "Python",
		"run.sh": "Bash", "main.go": "Go", "conf.json": "JSON", "Dockerfile": "plaintext", "notes.txt": "plaintext",
	} {
		if got := hl.fileLexer(name).Config().Name; got != want {
			t.Errorf("fileLexer(%q) = %s, want %s", name, got, want)
		}
	}
}

// FuzzHighlight checks that no input makes a lexer lose text, emit an
// error token or panic.
func FuzzHighlight(f *testing.F) {
	for _, s := range []string{"def f():\n  return 'x'", "!echo {a} $b \"${c}\"", "x: [1, {a: b}]\n", "`", "/*", "'''", "%%bash\nls"} {
		f.Add(s)
	}
	hl := highlight()
	f.Fuzz(func(t *testing.T, src string) {
		if !utf8.ValidString(src) {
			t.Skip("a notebook's source is JSON text: valid UTF-8")
		}
		for _, lang := range []string{"python", "go", "bash", "yaml", "json", "text"} {
			tokens(t, hl.lexer(lang), src)
		}
	})
}
