package cellenv

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// A `!` line that is one simple command (`ls -l build`, `ansible-playbook
// -i inventory.yml site.yml`) is started directly, the way bash starts it
// after reading the line: bash -c execs such a command in place of itself,
// so the command's PID, process group, descriptors and exit status are the
// same, and only bash's own start (about 3 ms a line on a small VM) goes.
// GNU make has done the same for recipe lines since its early days.
//
// "Simple" is decided conservatively; anything else runs in bash as before:
//   - the line is words of [A-Za-z0-9_./,:+=@%-] separated by blanks: no
//     quoting, expansion, glob, redirection, operator, comment or newline;
//   - the first word is no assignment, no keyword and no bash builtin (a
//     builtin's external twin may differ), except `true` and `false` given
//     no argument, whose twins do exactly what the builtins do;
//   - the program is found as bash finds it (PATH of the command's own
//     environment, absolute entries only; a word with a slash as it is) and
//     is an executable file; a file the kernel will not exec (a script
//     without #!) is left to bash, which runs it as a script;
//   - the environment holds nothing bash would act on or rewrite at start
//     (BASH_ENV, exported functions, IFS, SHELLOPTS, PPID, ...), and LC_ALL,
//     when set, is a locale bash cannot fail to set (it warns otherwise).
//
// The command then gets the environment bash would give it: PWD (the one
// inherited when it names the working directory, else the physical path),
// SHLVL as inherited (0 when unset), `_` the program's path, and OLDPWD only
// when it names a folder. TestDirectMatchesBash holds this against bash.

// directBuiltins are the bash builtins started directly when given no
// argument.
var directBuiltins = map[string]bool{"true": true, "false": true}

// bashWords are bash's keywords and builtins (bash 5.2: compgen -k, compgen
// -b): a line starting with one runs in bash.
var bashWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`if then else elif fi case esac for select while until do done in
		function time coproc . : [ alias bg bind break builtin caller cd command compgen complete compopt
		continue declare dirs disown echo enable eval exec exit export false fc fg getopts hash help history
		jobs kill let local logout mapfile popd printf pushd pwd read readarray readonly return set shift
		shopt source suspend test times trap true type typeset ulimit umask unalias unset wait`) {
		bashWords[w] = true
	}
}

// bashStartVars are variables bash acts on or rewrites when it starts, so a
// command started without it would see another environment or behaviour.
var bashStartVars = map[string]bool{
	"IFS": true, "PS1": true, "PS2": true, "PS4": true, "PPID": true, "SHELLOPTS": true,
	"OPTERR": true, "OPTIND": true, "LINENO": true, "RANDOM": true, "SRANDOM": true,
	"EPOCHREALTIME": true, "EPOCHSECONDS": true, "HISTCMD": true, "COMP_WORDBREAKS": true,
	"ENV": true, "POSIXLY_CORRECT": true,
}

// simpleWords splits line into its words when every byte is a word byte or
// a blank, else returns nil.
func simpleWords(line string) []string {
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("_./,:+=@%- \t", c) >= 0:
		default:
			return nil
		}
	}
	return strings.Fields(line)
}

// directCommand returns the program, arguments and environment bash would
// exec for line run as `bash -c line` in dir with env, or ok false when the
// line needs bash itself.
func directCommand(line, dir string, env []string) (path string, argv, childEnv []string, ok bool) {
	words := simpleWords(line)
	// A first word with `=` is an assignment, one starting with `%` a job.
	if len(words) == 0 || strings.IndexByte(words[0], '=') >= 0 || words[0][0] == '%' {
		return "", nil, nil, false
	}
	if bashWords[words[0]] && !(directBuiltins[words[0]] && len(words) == 1) {
		return "", nil, nil, false
	}
	vars, ok := bashEnv(env)
	if !ok {
		return "", nil, nil, false
	}
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", nil, nil, false
		}
		dir = wd
	}
	if path, ok = findProgram(words[0], dir, vars["PATH"]); !ok {
		return "", nil, nil, false
	}
	pwd, ok := bashPWD(vars["PWD"], dir)
	if !ok {
		return "", nil, nil, false
	}
	shlvl := "0"
	if v, set := vars["SHLVL"]; set && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 998 || strings.TrimLeft(v, "0123456789") != "" {
			return "", nil, nil, false // bash's own arithmetic on odd values
		}
		shlvl = strconv.Itoa(n)
	}
	childEnv = make([]string, 0, len(env)+3)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "PWD", "SHLVL", "_":
			continue
		case "OLDPWD":
			if fi, err := os.Stat(v); err != nil || !fi.IsDir() {
				continue
			}
		}
		childEnv = append(childEnv, kv)
	}
	childEnv = append(childEnv, "PWD="+pwd, "SHLVL="+shlvl, "_="+path)
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	return path, words, childEnv, true
}

// bashEnv maps env's variables (the last of a name wins, as in bash), or
// returns ok false when one of them makes bash itself matter.
func bashEnv(env []string) (map[string]string, bool) {
	vars := make(map[string]string, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "BASH") || bashStartVars[k] {
			return nil, false
		}
		vars[k] = v
	}
	switch vars["LC_ALL"] {
	case "", "C", "POSIX", "C.UTF-8", "C.utf8":
	default:
		return nil, false
	}
	return vars, true
}

// findProgram finds name as bash does: a name with a slash as it is
// (relative to dir), else the first executable file in a PATH folder. An
// unset PATH, or one with a relative or empty entry, is left to bash.
func findProgram(name, dir, pathList string) (string, bool) {
	if strings.IndexByte(name, '/') >= 0 {
		full := name
		if !filepath.IsAbs(full) {
			full = filepath.Join(dir, name)
		}
		return name, executable(full)
	}
	if pathList == "" {
		return "", false
	}
	for _, d := range strings.Split(pathList, ":") {
		if !filepath.IsAbs(d) {
			return "", false
		}
		// Joined as bash joins them, uncleaned: `_` shows the path.
		p := d + "/" + name
		if strings.HasSuffix(d, "/") {
			p = d + name
		}
		if executable(p) {
			return p, true
		}
	}
	return "", false
}

// executable reports whether path is a regular file this process may
// execute.
func executable(path string) bool {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	return syscall.Access(path, 1 /* X_OK */) == nil
}

// bashPWD is the PWD bash sets: an inherited absolute, clean PWD that
// names dir, else dir's physical path. An inherited one that names dir but
// is not clean is left to bash, which cleans it its own way.
func bashPWD(inherited, dir string) (string, bool) {
	if inherited != "" && filepath.IsAbs(inherited) && sameFile(inherited, dir) {
		if filepath.Clean(inherited) != inherited || strings.HasPrefix(inherited, "//") {
			return "", false
		}
		return inherited, true
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	physical, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", false
	}
	return physical, true
}

func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}
