package report

import (
	"path"
	"strings"
	"sync"

	"github.com/alecthomas/chroma/v2"
)

// The report highlights code with chroma's lexer engine and HTML
// formatter, but with lexers and a style of its own: chroma's registries
// (chroma/v2/lexers, chroma/v2/styles) parse every one of their hundreds of
// embedded definitions when the package initialises, which every start of
// the ocs binary paid (about 30 ms) though only `ocs report` highlights.
// These are built on first use. They cover what templates hold: Python and
// Go cells with their ! lines and magics, shell, and the YAML and JSON that
// %%writefile cells write; anything else is shown as plain text.

// highlighter is the lexers and style, built once on first use.
type highlighter struct {
	byName    map[string]chroma.Lexer
	plain     chroma.Lexer
	style     *chroma.Style
	formatter chroma.Formatter
}

var (
	highlightOnce sync.Once
	theHighlight  *highlighter
)

func highlight() *highlighter {
	highlightOnce.Do(func() {
		shell := newShellLexer()
		py, golang := newPythonLexer(shell), newGoLexer(shell)
		yaml, json := newYAMLLexer(), newJSONLexer()
		h := &highlighter{
			byName:    map[string]chroma.Lexer{},
			plain:     newPlainLexer(),
			style:     newCodeStyle(),
			formatter: newCodeFormatter(),
		}
		for _, l := range []chroma.Lexer{shell, py, golang, yaml, json} {
			for _, name := range append([]string{strings.ToLower(l.Config().Name)}, l.Config().Aliases...) {
				h.byName[name] = chroma.Coalesce(l)
			}
		}
		theHighlight = h
	})
	return theHighlight
}

// lexer is the lexer for a language name or alias, plain text when there is
// none.
func (h *highlighter) lexer(lang string) chroma.Lexer {
	if l, ok := h.byName[strings.ToLower(lang)]; ok {
		return l
	}
	return h.plain
}

// fileLexer is the lexer for a file's name (a %%writefile target).
func (h *highlighter) fileLexer(name string) chroma.Lexer {
	base := strings.ToLower(path.Base(name))
	for _, l := range h.byName {
		for _, glob := range l.Config().Filenames {
			if ok, _ := path.Match(glob, base); ok {
				return l
			}
		}
	}
	return h.plain
}

// shellBuiltins are the builtins and common commands a template's shell lines
// use; a highlighted command name helps reading a long line.
var shellBuiltins = []string{"alias", "bg", "cd", "command", "declare", "echo", "eval", "exec", "exit", "export",
	"false", "fg", "getopts", "hash", "jobs", "kill", "local", "printf", "pwd", "read", "readonly", "set", "shift",
	"source", "test", "times", "trap", "true", "type", "ulimit", "umask", "unalias", "unset", "wait"}

func newShellLexer() *chroma.RegexLexer {
	return chroma.MustNewLexer(&chroma.Config{
		Name:      "Bash",
		Aliases:   []string{"bash", "sh", "shell", "zsh", "ssh"},
		Filenames: []string{"*.sh", "*.bash", "*.ksh", "*.zsh", ".bashrc", ".profile"},
		EnsureNL:  true,
	}, func() chroma.Rules {
		return chroma.Rules{
			"root": {
				{Pattern: `\A%%.*$`, Type: chroma.CommentPreproc}, // the cell's %%bash
				{Pattern: `#!.*$`, Type: chroma.CommentHashbang},
				{Pattern: `#.*$`, Type: chroma.CommentSingle},
				{Pattern: `\s+`, Type: chroma.TextWhitespace},
				{Pattern: `\\.`, Type: chroma.LiteralStringEscape},
				{Pattern: `'[^']*'?`, Type: chroma.LiteralStringSingle},
				{Pattern: `"`, Type: chroma.LiteralStringDouble, Mutator: chroma.Push("double")},
				{Pattern: "`[^`]*`?", Type: chroma.LiteralStringBacktick},
				chroma.Include("variables"),
				{Pattern: `(if|then|else|elif|fi|for|in|while|until|do|done|case|esac|function|select|return|break|continue)(?=[\s;&|)]|$)`, Type: chroma.Keyword},
				{Pattern: chroma.Words(``, `(?=[\s;&|)]|$)`, shellBuiltins...), Type: chroma.NameBuiltin},
				{Pattern: `([A-Za-z_][A-Za-z0-9_]*)(\+?=)`, Type: chroma.ByGroups(chroma.NameVariable, chroma.Operator)},
				{Pattern: `&&|\|\||;;|[|&;<>()]|\d?>>?&?\d?`, Type: chroma.Operator},
				{Pattern: `-{1,2}[A-Za-z0-9][\w-]*`, Type: chroma.NameAttribute},
				{Pattern: `\d+(?=[\s;&|)]|$)`, Type: chroma.LiteralNumber},
				{Pattern: "[^\\s'\"`$\\\\;&|<>()]+", Type: chroma.Text},
				{Pattern: `.`, Type: chroma.Text},
			},
			"variables": {
				{Pattern: `\$\{[^}\n]*\}?`, Type: chroma.NameVariable},
				{Pattern: `\$\(\(?`, Type: chroma.Operator},
				{Pattern: `\$([A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])`, Type: chroma.NameVariable},
				{Pattern: `\{\{[^}\n]*\}\}`, Type: chroma.LiteralStringInterpol},
				{Pattern: `\{[^{}\s]+\}`, Type: chroma.LiteralStringInterpol},
			},
			"double": {
				{Pattern: `"`, Type: chroma.LiteralStringDouble, Mutator: chroma.Pop(1)},
				{Pattern: `\\.`, Type: chroma.LiteralStringEscape},
				chroma.Include("variables"),
				{Pattern: `[^"\\$\{]+`, Type: chroma.LiteralStringDouble},
				{Pattern: `.`, Type: chroma.LiteralStringDouble},
			},
		}
	})
}

// notebookLines are the rules both kernels share for a cell's own syntax: a
// ! line runs in the shell, a % line is a magic.
func notebookLines(shell chroma.Lexer) []chroma.Rule {
	return []chroma.Rule{
		{Pattern: `(?<=^[ \t]*)(!)(.*)$`, Type: chroma.ByGroups(chroma.Operator, chroma.UsingLexer(shell))},
		{Pattern: `^([ \t]*[A-Za-z_][A-Za-z0-9_, ]{0,80}?)([ \t]*=[ \t]*)(!)(.*)$`, Type: chroma.ByGroups(chroma.Name, chroma.Operator, chroma.Operator, chroma.UsingLexer(shell))},
		{Pattern: `(?<=^[ \t]*)%%?[A-Za-z_][\w.-]*.*$`, Type: chroma.CommentPreproc},
	}
}

var pythonKeywords = []string{"assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else", "except",
	"finally", "for", "global", "if", "lambda", "nonlocal", "pass", "raise", "return", "try", "while", "with", "yield"}

var pythonBuiltins = []string{"abs", "all", "any", "bool", "bytes", "callable", "chr", "dict", "dir", "enumerate", "filter",
	"float", "format", "getattr", "hasattr", "hash", "input", "int", "isinstance", "iter", "len", "list", "map", "max",
	"min", "next", "object", "open", "ord", "print", "range", "repr", "reversed", "round", "set", "setattr", "sorted",
	"str", "sum", "super", "tuple", "type", "zip", "getpass", "Exception", "RuntimeError", "ValueError", "KeyError"}

func newPythonLexer(shell chroma.Lexer) *chroma.RegexLexer {
	return chroma.MustNewLexer(&chroma.Config{
		Name:      "Python",
		Aliases:   []string{"python", "python3", "py", "ipython", "ipython3"},
		Filenames: []string{"*.py", "*.pyw"},
		EnsureNL:  true,
	}, func() chroma.Rules {
		root := notebookLines(shell)
		root = append(root, []chroma.Rule{
			{Pattern: `#.*$`, Type: chroma.CommentSingle},
			{Pattern: `\s+`, Type: chroma.TextWhitespace},
			{Pattern: `\\\n`, Type: chroma.Text},
			{Pattern: `(?s)(?i:[rbuf]{0,2})(""".*?(?:"""|\z)|'''.*?(?:'''|\z))`, Type: chroma.LiteralStringDoc},
			{Pattern: `(?i:[rbuf]{0,2})'(?:\\.|[^'\\\n])*'?`, Type: chroma.LiteralStringSingle},
			{Pattern: `(?i:[rbuf]{0,2})"(?:\\.|[^"\\\n])*"?`, Type: chroma.LiteralStringDouble},
			{Pattern: `(def)(\s+)([A-Za-z_]\w*)`, Type: chroma.ByGroups(chroma.Keyword, chroma.TextWhitespace, chroma.NameFunction)},
			{Pattern: `(class)(\s+)([A-Za-z_]\w*)`, Type: chroma.ByGroups(chroma.Keyword, chroma.TextWhitespace, chroma.NameClass)},
			{Pattern: `@[A-Za-z_][\w.]*`, Type: chroma.NameDecorator},
			{Pattern: `(import|from)\b`, Type: chroma.KeywordNamespace},
			{Pattern: chroma.Words(``, `\b`, pythonKeywords...), Type: chroma.Keyword},
			{Pattern: `(and|or|not|in|is)\b`, Type: chroma.OperatorWord},
			{Pattern: `(True|False|None)\b`, Type: chroma.KeywordConstant},
			{Pattern: `(self|cls)\b`, Type: chroma.NameBuiltinPseudo},
			{Pattern: chroma.Words(``, `\b`, pythonBuiltins...), Type: chroma.NameBuiltin},
			{Pattern: `0[xX][0-9a-fA-F_]+`, Type: chroma.LiteralNumberHex},
			{Pattern: `(\d[\d_]*)?\.\d[\d_]*([eE][+-]?\d+)?|\d[\d_]*[eE][+-]?\d+`, Type: chroma.LiteralNumberFloat},
			{Pattern: `\d[\d_]*`, Type: chroma.LiteralNumberInteger},
			{Pattern: `[A-Za-z_]\w*(?=\s*\()`, Type: chroma.NameFunction},
			{Pattern: `[^\W\d]\w*`, Type: chroma.Name},
			{Pattern: `[-+*/%&|^~<>=!:.@]+`, Type: chroma.Operator},
			{Pattern: `[\[\](){},;]`, Type: chroma.Punctuation},
			{Pattern: `.`, Type: chroma.Text},
		}...)
		return chroma.Rules{"root": root}
	})
}

var goKeywords = []string{"break", "case", "continue", "default", "defer", "else", "fallthrough", "for", "go", "goto",
	"if", "range", "return", "select", "switch"}

var goTypes = []string{"any", "bool", "byte", "comparable", "complex128", "complex64", "error", "float32", "float64",
	"int", "int16", "int32", "int64", "int8", "rune", "string", "uint", "uint16", "uint32", "uint64", "uint8", "uintptr"}

var goBuiltins = []string{"append", "cap", "clear", "close", "complex", "copy", "delete", "imag", "len", "make", "max",
	"min", "new", "panic", "print", "println", "real", "recover"}

func newGoLexer(shell chroma.Lexer) *chroma.RegexLexer {
	return chroma.MustNewLexer(&chroma.Config{
		Name:      "Go",
		Aliases:   []string{"go", "golang", "ocs-go"},
		Filenames: []string{"*.go"},
		EnsureNL:  true,
	}, func() chroma.Rules {
		root := notebookLines(shell)
		root = append(root, []chroma.Rule{
			{Pattern: `//.*$`, Type: chroma.CommentSingle},
			{Pattern: `(?s)/\*.*?(?:\*/|\z)`, Type: chroma.CommentMultiline},
			{Pattern: `\s+`, Type: chroma.TextWhitespace},
			{Pattern: "`[^`]*`?", Type: chroma.LiteralString},
			{Pattern: `"(?:\\.|[^"\\\n])*"?`, Type: chroma.LiteralString},
			{Pattern: `'(?:\\.|[^'\\\n])*'`, Type: chroma.LiteralStringChar},
			{Pattern: `(package|import)\b`, Type: chroma.KeywordNamespace},
			{Pattern: `(func|var|const|type|struct|interface|map|chan)\b`, Type: chroma.KeywordDeclaration},
			{Pattern: chroma.Words(``, `\b`, goKeywords...), Type: chroma.Keyword},
			{Pattern: `(true|false|nil|iota)\b`, Type: chroma.KeywordConstant},
			{Pattern: chroma.Words(``, `\b`, goTypes...), Type: chroma.KeywordType},
			{Pattern: chroma.Words(``, `(?=\s*\()`, goBuiltins...), Type: chroma.NameBuiltin},
			{Pattern: `0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+`, Type: chroma.LiteralNumberHex},
			{Pattern: `(\d[\d_]*)?\.\d[\d_]*([eE][+-]?\d+)?i?|\d[\d_]*[eE][+-]?\d+i?`, Type: chroma.LiteralNumberFloat},
			{Pattern: `\d[\d_]*i?`, Type: chroma.LiteralNumberInteger},
			{Pattern: `[^\W\d]\w*(?=\s*\()`, Type: chroma.NameFunction},
			{Pattern: `[^\W\d]\w*`, Type: chroma.NameOther},
			{Pattern: `[-+*/%&|^<>=!:.~]+`, Type: chroma.Operator},
			{Pattern: `[\[\](){},;]`, Type: chroma.Punctuation},
			{Pattern: `.`, Type: chroma.Text},
		}...)
		return chroma.Rules{"root": root}
	})
}

func newYAMLLexer() *chroma.RegexLexer {
	return chroma.MustNewLexer(&chroma.Config{
		Name:      "YAML",
		Aliases:   []string{"yaml", "yml"},
		Filenames: []string{"*.yml", "*.yaml", "*.yml.j2", "*.yaml.j2"},
		EnsureNL:  true,
	}, func() chroma.Rules {
		return chroma.Rules{
			"root": {
				{Pattern: `\A%%.*$`, Type: chroma.CommentPreproc}, // the cell's %%writefile
				{Pattern: `^(---|\.\.\.)(?=\s|$)`, Type: chroma.NameNamespace},
				{Pattern: `(^|(?<=\s))#.*$`, Type: chroma.CommentSingle},
				{Pattern: `\s+`, Type: chroma.TextWhitespace},
				{Pattern: `-(?=\s|$)`, Type: chroma.Punctuation},
				// A key starts a line or follows a list's dash; trying one
				// anywhere else would scan the rest of the line at each token.
				{Pattern: `(?<=^[ \t]*(?:-[ \t]+)*)([^\s#'"{}\[\],:][^\n#:]{0,200}?|"(?:\\.|[^"\\\n])*"|'[^'\n]*')([ \t]*)(:)(?=\s|$)`, Type: chroma.ByGroups(chroma.NameTag, chroma.TextWhitespace, chroma.Punctuation)},
				{Pattern: `\{\{[^\n]{0,200}?\}\}|\{%[^\n]{0,200}?%\}`, Type: chroma.LiteralStringInterpol},
				{Pattern: `"(?:\\.|[^"\\\n])*"?`, Type: chroma.LiteralStringDouble},
				{Pattern: `'[^'\n]*'?`, Type: chroma.LiteralStringSingle},
				{Pattern: `[&*][\w-]+`, Type: chroma.NameLabel},
				{Pattern: `![\w!/.-]*`, Type: chroma.KeywordType},
				{Pattern: `[|>][-+]?\d*(?=\s*$)`, Type: chroma.Punctuation},
				{Pattern: `(true|false|yes|no|on|off|null|~)(?=\s*$|\s*[,\]}#])`, Type: chroma.KeywordConstant},
				{Pattern: `[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?(?=\s*$|\s*[,\]}#])`, Type: chroma.LiteralNumber},
				{Pattern: `[\[\]{},]`, Type: chroma.Punctuation},
				{Pattern: `[^\s#'"{}\[\],]+`, Type: chroma.LiteralString},
				{Pattern: `.`, Type: chroma.LiteralString},
			},
		}
	})
}

func newJSONLexer() *chroma.RegexLexer {
	return chroma.MustNewLexer(&chroma.Config{
		Name:      "JSON",
		Aliases:   []string{"json"},
		Filenames: []string{"*.json", "*.ipynb"},
	}, func() chroma.Rules {
		return chroma.Rules{
			"root": {
				{Pattern: `\s+`, Type: chroma.TextWhitespace},
				{Pattern: `("(?:\\.|[^"\\\n])*")(\s*)(:)`, Type: chroma.ByGroups(chroma.NameTag, chroma.TextWhitespace, chroma.Punctuation)},
				{Pattern: `"(?:\\.|[^"\\\n])*"?`, Type: chroma.LiteralStringDouble},
				{Pattern: `(true|false|null)\b`, Type: chroma.KeywordConstant},
				{Pattern: `-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?`, Type: chroma.LiteralNumber},
				{Pattern: `[\[\]{},:]`, Type: chroma.Punctuation},
				{Pattern: `.`, Type: chroma.Text},
			},
		}
	})
}

func newPlainLexer() chroma.Lexer {
	return chroma.MustNewLexer(&chroma.Config{Name: "plaintext"}, func() chroma.Rules {
		return chroma.Rules{"root": {{Pattern: `(?s).+`, Type: chroma.Text}}}
	})
}

// newCodeStyle is the report's light style, in the palette of the page's
// own colours (termcss.go).
func newCodeStyle() *chroma.Style {
	return chroma.MustNewStyle("ocs", chroma.StyleEntries{
		chroma.Background:            "#1f2328 bg:#ffffff",
		chroma.LineNumbersTable:      "#8c959f",
		chroma.LineNumbers:           "#8c959f",
		chroma.LineHighlight:         "bg:#eaeef2",
		chroma.Error:                 "#1f2328",
		chroma.Comment:               "italic #6e7781",
		chroma.CommentHashbang:       "italic #6e7781",
		chroma.CommentPreproc:        "noitalic #8250df",
		chroma.Keyword:               "#cf222e",
		chroma.KeywordConstant:       "#0550ae",
		chroma.KeywordType:           "#953800",
		chroma.Name:                  "#1f2328",
		chroma.NameAttribute:         "#0550ae",
		chroma.NameBuiltin:           "#8250df",
		chroma.NameBuiltinPseudo:     "#6e7781",
		chroma.NameClass:             "bold #953800",
		chroma.NameDecorator:         "#8250df",
		chroma.NameFunction:          "#6639ba",
		chroma.NameLabel:             "#0550ae",
		chroma.NameNamespace:         "#6e7781",
		chroma.NameTag:               "#116329",
		chroma.NameVariable:          "#953800",
		chroma.LiteralString:         "#0a3069",
		chroma.LiteralStringEscape:   "#0550ae",
		chroma.LiteralStringInterpol: "#8250df",
		chroma.LiteralNumber:         "#0550ae",
		chroma.Operator:              "#cf222e",
		chroma.OperatorWord:          "#cf222e",
		chroma.Punctuation:           "#1f2328",
		chroma.TextWhitespace:        "#1f2328",
	})
}
