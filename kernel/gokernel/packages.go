package gokernel

import (
	"flag"
	"fmt"
	"go/constant"
	"go/parser"
	"go/token"
	"io"
	"log"
	"math/bits"
	"os"
	"path"
	"reflect"
	"strconv"

	"github.com/traefik/yaegi/interp"
	gen "github.com/traefik/yaegi/stdlib/generic"

	"ocs/kernel/gokernel/stdsym"
)

// Loading every standard-library symbol map into the interpreter, and
// compiling yaegi's generic sources of cmp, maps and slices, took about
// 13 ms of each worker's start and kept all of it in the worker's live heap,
// which every GC cycle scans. A packageLoader instead loads a package into
// the interpreter when cell code first imports it, and builds a standard
// package's symbol map (package stdsym) only then.
//
// A package is loaded with what its API needs: yaegi wraps an interpreted
// value passed where a binary interface is expected (bufio.NewReader of a
// cell's own io.Reader) with a wrapper found in the symbol map of the
// interface's package, whether or not the cell imported that package. So
// loading a package also loads the packages of every interface type its
// API reaches, and of the interfaces yaegi's MapTypes associate with its
// functions (json.Marshal tries encoding.TextMarshaler).
//
// yaegi's own Use, given the key "fmt/fmt", virtualises fmt, log, flag, os
// and math/bits (fixStdlib) and compiles the generic sources; the loader
// does the same itself, per package, when the package is loaded (see
// useKey and fixStandardPackage).

// packageLoader loads binary packages into one interpreter on demand.
type packageLoader struct {
	interp *interp.Interpreter

	// layers are the symbol maps of each import path, later ones win; a
	// standard package's first is nil until built (symbols).
	layers map[string][]map[string]reflect.Value
	names  map[string]string // import path → package name
	// generic holds yaegi's source of the generic standard packages, by
	// package name: compiled when the package is first imported.
	generic map[string]string
	std     map[string]string // import path → stdsym key, for the standard library's packages
	// mapTypes is this interpreter's table of the interfaces tried for
	// arguments of some functions (fmt.Print tries fmt.Stringer).
	mapTypes map[reflect.Value][]reflect.Type

	// the streams and arguments the virtualised packages use
	stdin          io.Reader
	stdout, stderr io.Writer
	args           []string

	present  map[string]bool       // symbol map is in the interpreter
	complete map[string]bool       // ... and so are the packages its API needs
	compiled map[string]bool       // generic source compiled
	seen     map[reflect.Type]bool // types whose interface packages are loaded
}

func newPackageLoader(i *interp.Interpreter, stdin io.Reader, stdout, stderr io.Writer) *packageLoader {
	l := &packageLoader{
		interp:   i,
		layers:   map[string][]map[string]reflect.Value{},
		names:    map[string]string{},
		generic:  map[string]string{},
		std:      map[string]string{},
		mapTypes: stdsym.MapTypes(),
		stdin:    stdin,
		stdout:   stdout,
		stderr:   stderr,
		args:     append([]string(nil), os.Args...),
		present:  map[string]bool{},
		complete: map[string]bool{},
		compiled: map[string]bool{},
		seen:     map[reflect.Type]bool{},
	}
	for _, k := range stdsym.Keys() {
		p := path.Dir(k)
		l.layers[p] = []map[string]reflect.Value{nil}
		l.names[p] = path.Base(k)
		l.std[p] = k
	}
	for _, src := range gen.Sources {
		if name := packageName(src); name != "" {
			l.generic[name] = src
		}
	}
	return l
}

// add makes packages available to import; for a path already available,
// its symbols are laid over the earlier ones, as a later interp.Use would.
func (l *packageLoader) add(exports interp.Exports) {
	for k, syms := range exports {
		p := path.Dir(k)
		if k == "." || p == "." {
			continue
		}
		l.layers[p] = append(l.layers[p], syms)
		l.names[p] = path.Base(k)
	}
}

// symbols returns the symbol maps of the package at p, building its
// standard library map on first use.
func (l *packageLoader) symbols(p string) []map[string]reflect.Value {
	layers := l.layers[p]
	if len(layers) > 0 && layers[0] == nil {
		layers[0] = stdsym.Symbols(l.std[p])
	}
	return layers
}

// start loads what the interpreter needs before any cell: the interface
// wrapper table, and the packages the worker imports itself.
func (l *packageLoader) start(paths ...string) error {
	if err := l.interp.Use(interp.Exports{".": {"MapTypes": reflect.ValueOf(l.mapTypes)}}); err != nil {
		return fmt.Errorf("load interface wrappers: %w", err)
	}
	for _, p := range paths {
		if err := l.ensure(p); err != nil {
			return err
		}
	}
	return nil
}

// ensure loads the package at import path p and what its API needs. A path
// the loader does not know is left to the interpreter, which reports it.
func (l *packageLoader) ensure(p string) error {
	if l.complete[p] {
		return nil
	}
	if _, ok := l.layers[p]; !ok {
		return nil
	}
	if err := l.load(p); err != nil {
		return err
	}
	l.complete[p] = true
	for _, dep := range l.interfacePackages(p) {
		if err := l.load(dep); err != nil {
			return err
		}
	}
	if src, ok := l.generic[p]; ok && !l.compiled[p] {
		l.compiled[p] = true
		for _, imp := range sourceImports(src) {
			if err := l.ensure(imp); err != nil {
				return err
			}
		}
		if _, err := l.interp.Compile(src); err != nil {
			return fmt.Errorf("compile the generic package %s: %w", p, err)
		}
	}
	return nil
}

// load puts the symbol map of p into the interpreter.
func (l *packageLoader) load(p string) error {
	if l.present[p] {
		return nil
	}
	layers, ok := l.layers[p]
	if !ok {
		return nil
	}
	l.present[p] = true
	layers = l.symbols(p)
	syms := layers[0]
	if fixedPackages[p] || len(layers) > 1 {
		// Copied: a layer may be a map the host shares (RegisterPackage).
		syms = make(map[string]reflect.Value, len(layers[0]))
		for k, v := range layers[0] {
			syms[k] = v
		}
		if _, std := l.std[p]; fixedPackages[p] && std {
			if err := l.fixStandardPackage(p, syms); err != nil {
				return err
			}
		}
		for _, over := range layers[1:] {
			for k, v := range over {
				syms[k] = v
			}
		}
	}
	if err := l.interp.Use(interp.Exports{l.useKey(p): syms}); err != nil {
		return fmt.Errorf("load package %s: %w", p, err)
	}
	return nil
}

// useKey is the interp.Exports key of the package at p. yaegi's Use treats
// a call whose exports contain the key "fmt/fmt" as "the whole standard
// library": it then runs fixStdlib over whatever is loaded and compiles
// all generic sources (~7.5 ms), on every such call. fmt is therefore
// given as "fmt/./fmt", which Use reads as the same import path ("fmt",
// path.Dir cleans the dot) and package name ("fmt") without the trigger.
// TestLoaderAvoidsYaegiStdlibTrigger fails if a yaegi upgrade changes this.
func (l *packageLoader) useKey(p string) string {
	if p == "fmt" {
		return "fmt/./fmt"
	}
	return p + "/" + l.names[p]
}

// fixedPackages are the standard packages whose process-wide state cell code
// must not reach: the loader replaces some of their symbols.
var fixedPackages = map[string]bool{"fmt": true, "log": true, "flag": true, "os": true, "math/bits": true}

// fixStandardPackage virtualises what yaegi's fixStdlib does, for one
// package: fmt's Print and Scan functions use the cell's streams, log writes
// to the cell's stderr and its Fatal functions panic instead of exiting,
// flag.CommandLine is the interpreter's own, os.Args, os.Stdin, os.Stdout
// and os.Stderr are the interpreter's (as io.Reader and io.Writer variables,
// yaegi's YAEGI_SPECIAL_STDIO behaviour), and math/bits.UintSize is this
// machine's. The worker's os overrides (environment, Exit) are laid over.
func (l *packageLoader) fixStandardPackage(p string, syms map[string]reflect.Value) error {
	stdin, stdout, stderr := l.stdin, l.stdout, l.stderr
	like := map[reflect.Value]reflect.Value{} // new function → the one whose wrapper types it shares
	switch p {
	case "fmt":
		syms["Print"] = reflect.ValueOf(func(a ...any) (int, error) { return fmt.Fprint(stdout, a...) })
		syms["Printf"] = reflect.ValueOf(func(f string, a ...any) (int, error) { return fmt.Fprintf(stdout, f, a...) })
		syms["Println"] = reflect.ValueOf(func(a ...any) (int, error) { return fmt.Fprintln(stdout, a...) })
		syms["Scan"] = reflect.ValueOf(func(a ...any) (int, error) { return fmt.Fscan(stdin, a...) })
		syms["Scanf"] = reflect.ValueOf(func(f string, a ...any) (int, error) { return fmt.Fscanf(stdin, f, a...) })
		syms["Scanln"] = reflect.ValueOf(func(a ...any) (int, error) { return fmt.Fscanln(stdin, a...) })
		like[syms["Print"]] = reflect.ValueOf(fmt.Print)
		like[syms["Printf"]] = reflect.ValueOf(fmt.Printf)
		like[syms["Println"]] = reflect.ValueOf(fmt.Println)
		like[syms["Scan"]] = reflect.ValueOf(fmt.Scan)
		like[syms["Scanf"]] = reflect.ValueOf(fmt.Scanf)
		like[syms["Scanln"]] = reflect.ValueOf(fmt.Scanln)
	case "flag":
		c := flag.NewFlagSet(l.args[0], flag.PanicOnError)
		c.SetOutput(stderr)
		syms["CommandLine"] = reflect.ValueOf(&c).Elem()
	case "log":
		lg := log.New(stderr, "", log.LstdFlags)
		syms["Fatal"] = reflect.ValueOf(lg.Panic)
		syms["Fatalf"] = reflect.ValueOf(lg.Panicf)
		syms["Fatalln"] = reflect.ValueOf(lg.Panicln)
		syms["Flags"] = reflect.ValueOf(lg.Flags)
		syms["Output"] = reflect.ValueOf(lg.Output)
		syms["Panic"] = reflect.ValueOf(lg.Panic)
		syms["Panicf"] = reflect.ValueOf(lg.Panicf)
		syms["Panicln"] = reflect.ValueOf(lg.Panicln)
		syms["Prefix"] = reflect.ValueOf(lg.Prefix)
		syms["Print"] = reflect.ValueOf(lg.Print)
		syms["Printf"] = reflect.ValueOf(lg.Printf)
		syms["Println"] = reflect.ValueOf(lg.Println)
		syms["SetFlags"] = reflect.ValueOf(lg.SetFlags)
		syms["SetOutput"] = reflect.ValueOf(lg.SetOutput)
		syms["SetPrefix"] = reflect.ValueOf(lg.SetPrefix)
		syms["Writer"] = reflect.ValueOf(lg.Writer)
		like[syms["Print"]] = reflect.ValueOf(log.Print)
		like[syms["Printf"]] = reflect.ValueOf(log.Printf)
		like[syms["Println"]] = reflect.ValueOf(log.Println)
		like[syms["Panic"]] = reflect.ValueOf(log.Panic)
		like[syms["Panicf"]] = reflect.ValueOf(log.Panicf)
		like[syms["Panicln"]] = reflect.ValueOf(log.Panicln)
	case "os":
		syms["Args"] = reflect.ValueOf(&l.args).Elem()
		syms["Stdin"] = reflect.ValueOf(&stdin).Elem()
		syms["Stdout"] = reflect.ValueOf(&stdout).Elem()
		syms["Stderr"] = reflect.ValueOf(&stderr).Elem()
	case "math/bits":
		syms["UintSize"] = reflect.ValueOf(constant.MakeInt64(bits.UintSize))
	}
	if len(like) == 0 {
		return nil
	}
	mt := map[reflect.Value][]reflect.Type{}
	for fn, orig := range like {
		if types, ok := l.mapTypes[orig]; ok {
			mt[fn] = types
			l.mapTypes[fn] = types
		}
	}
	if err := l.interp.Use(interp.Exports{".": {"MapTypes": reflect.ValueOf(mt)}}); err != nil {
		return fmt.Errorf("load interface wrappers of %s: %w", p, err)
	}
	return nil
}

// interfacePackages lists the loadable packages of the interface types that
// the API of the package at p reaches.
func (l *packageLoader) interfacePackages(p string) []string {
	found := map[string]bool{}
	for _, syms := range l.symbols(p) {
		for _, v := range syms {
			if !v.IsValid() {
				continue
			}
			l.walkType(v.Type(), found)
			for _, t := range l.mapTypes[v] {
				l.walkType(t, found)
			}
		}
	}
	var out []string
	for dep := range found {
		if _, ok := l.layers[dep]; ok && dep != p {
			out = append(out, dep)
		}
	}
	return out
}

// walkType adds to found the packages of the interface types t reaches
// through its elements, fields and method signatures.
func (l *packageLoader) walkType(t reflect.Type, found map[string]bool) {
	if l.seen[t] {
		return
	}
	l.seen[t] = true
	if t.Kind() == reflect.Interface && t.PkgPath() != "" {
		found[t.PkgPath()] = true
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Chan:
		l.walkType(t.Elem(), found)
	case reflect.Map:
		l.walkType(t.Key(), found)
		l.walkType(t.Elem(), found)
	case reflect.Func:
		for i := 0; i < t.NumIn(); i++ {
			l.walkType(t.In(i), found)
		}
		for i := 0; i < t.NumOut(); i++ {
			l.walkType(t.Out(i), found)
		}
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() || f.Anonymous {
				l.walkType(f.Type, found)
			}
		}
	case reflect.Interface:
		for i := 0; i < t.NumMethod(); i++ {
			l.walkType(t.Method(i).Type, found)
		}
	}
	if t.Kind() != reflect.Interface && t.Name() != "" {
		for i := 0; i < t.NumMethod(); i++ {
			l.walkType(t.Method(i).Type, found)
		}
		if t.Kind() != reflect.Pointer {
			l.walkType(reflect.PointerTo(t), found)
		}
	}
}

// packageName is the name in src's package clause ("" if none).
func packageName(src string) string {
	f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.PackageClauseOnly)
	if err != nil {
		return ""
	}
	return f.Name.Name
}

// sourceImports lists the import paths of src.
func sourceImports(src string) []string {
	f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.ImportsOnly)
	if err != nil {
		return nil
	}
	var out []string
	for _, is := range f.Imports {
		if p, err := strconv.Unquote(is.Path.Value); err == nil {
			out = append(out, p)
		}
	}
	return out
}
