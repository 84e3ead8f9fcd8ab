package standby

import "syscall"

// RunValueFlags are the flags of `ocs run` (and the global ones) that take
// a value as the next argument: what goLikely skips to find SOURCE. A test
// of cmd/ocs keeps the list in step with the flags.
var RunValueFlags = []string{
	"-o", "--output", "-p", "--param", "-f", "--params-file", "-y", "--yaml",
	"--secret", "--secrets", "--cell-timeout", "--timeout", "--autosave-every",
	"--output-cap", "--side-log-cap", "--cwd", "--workdir", "--cells", "--from",
	"--kernel", "--start-timeout", "--provider", "--vcp", "--log-format", "--log-level",
}

// maxPeek bounds the notebook goLikely reads; a larger one gets a standby.
const maxPeek = 1 << 20

// goLikely says whether the run's arguments (after the verb) may name a Go
// notebook: a Python notebook's run must not pay for a standby's start-up
// (tens of milliseconds of CPU beside its own). Only a plain answer counts
// (--kernel NAME, a .py text notebook, an .ipynb whose kernelspec names a
// language other than Go); anything else, a catalog name, an unknown flag,
// a notebook too large to peek at, says yes, and the run discards the
// standby when it knows better.
func goLikely(args []string) bool {
	source := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			if i+1 < len(args) && source == "" {
				source = args[i+1]
			}
			break
		}
		if len(a) < 2 || a[0] != '-' {
			if source == "" {
				source = a
			}
			continue
		}
		name, value, inline := a, "", false
		if eq := indexByte(a, '='); eq > 0 {
			name, value, inline = a[:eq], a[eq+1:], true
		}
		if !takesValue(name) {
			if hasPrefix(a, "--") || len(a) == 2 {
				continue // a boolean flag
			}
			return true // -qo X and the like: not worth parsing here
		}
		if !inline {
			if i+1 >= len(args) {
				return true
			}
			i++
			value = args[i]
		}
		if name == "--kernel" {
			return value == "ocs-go"
		}
	}
	if hasSuffix(source, ".py") {
		return false
	}
	if !hasSuffix(source, ".ipynb") {
		return true
	}
	lang, ok := notebookLanguage(source)
	return !ok || lang == "" || lang == "go"
}

func takesValue(flag string) bool {
	for _, f := range RunValueFlags {
		if f == flag {
			return true
		}
	}
	return false
}

func hasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}

// notebookLanguage reads the language of a notebook's kernelspec,
// lowercased; ok is false when the file cannot be read or is too large.
func notebookLanguage(path string) (string, bool) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return "", false
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG || st.Size > maxPeek {
		return "", false
	}
	buf := make([]byte, st.Size)
	if n, err := readUpTo(fd, buf); err != nil || n < len(buf) {
		return "", false
	}
	return kernelspecLanguage(buf), true
}

// kernelspecLanguage finds "language" in the first "kernelspec" object of
// a notebook's JSON, lowercased ("" when there is none). It is a scan, not
// a parse: a malformed notebook yields whatever it yields, and the run
// reports it.
func kernelspecLanguage(b []byte) string {
	const key = `"kernelspec"`
	at := index(b, key)
	if at < 0 {
		return ""
	}
	at += len(key)
	i := skipSpace(b, at)
	if i >= len(b) || b[i] != ':' {
		return ""
	}
	if i = skipSpace(b, i+1); i >= len(b) || b[i] != '{' {
		return ""
	}
	// Flat object of string members: "name": "value", ...
	for i = i + 1; ; {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] == '}' {
			return ""
		}
		k, next, ok := jsonString(b, i)
		if !ok {
			return ""
		}
		if i = skipSpace(b, next); i >= len(b) || b[i] != ':' {
			return ""
		}
		i = skipSpace(b, i+1)
		v, next, ok := jsonString(b, i)
		if !ok {
			return "" // a member that is not a string: not a kernelspec we know
		}
		if k == "language" {
			return lower(v)
		}
		if i = skipSpace(b, next); i < len(b) && b[i] == ',' {
			i++
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// jsonString reads the JSON string at b[i] (escapes kept as they are,
// which no language name has) and returns where it ends.
func jsonString(b []byte, i int) (string, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return "", i, false
	}
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return string(b[i+1 : j]), j + 1, true
		}
	}
	return "", i, false
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
