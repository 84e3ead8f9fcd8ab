package stdsym_test

import (
	"os"
	"path"
	"reflect"
	"strings"
	"testing"

	"github.com/traefik/yaegi/interp"

	"ocs/kernel/gokernel/stdsym"
)

// Every package's map loads into yaegi and can be imported, and names the
// package as its key does.
func TestEveryPackageImports(t *testing.T) {
	keys := stdsym.Keys()
	if len(keys) < 150 {
		t.Fatalf("%d packages; the standard library set has 153", len(keys))
	}
	i := interp.New(interp.Options{})
	exports := interp.Exports{".": {"MapTypes": reflect.ValueOf(stdsym.MapTypes())}}
	for _, k := range keys {
		syms := stdsym.Symbols(k)
		if syms == nil {
			t.Fatalf("no symbols for %s", k)
		}
		exports[k] = syms
	}
	if err := i.Use(exports); err != nil {
		t.Fatal(err)
	}
	for n, k := range keys {
		src := "import p" + strings.Repeat("x", n) + " " + `"` + path.Dir(k) + `"`
		if _, err := i.Eval(src); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
	if stdsym.Symbols("no/such/such") != nil {
		t.Error("a map for a package there is none of")
	}
}

// Each call builds a map of its own, so a loader may change what it got.
func TestSymbolsAreFresh(t *testing.T) {
	a := stdsym.Symbols("fmt/fmt")
	delete(a, "Println")
	if _, ok := stdsym.Symbols("fmt/fmt")["Println"]; !ok {
		t.Error("a change to one fmt map reached the next")
	}
}

// The restricted symbols panic where the real ones would end or signal
// the interpreter's process.
func TestRestricted(t *testing.T) {
	osSyms, logSyms := stdsym.Symbols("os/os"), stdsym.Symbols("log/log")
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", name)
			}
		}()
		f()
	}
	mustPanic("os.Exit", func() { osSyms["Exit"].Interface().(func(int))(3) })
	mustPanic("log.Fatal", func() { logSyms["Fatal"].Interface().(func(...any))("x") })
	var b strings.Builder
	lg := logSyms["New"].Call([]reflect.Value{reflect.ValueOf(&b), reflect.ValueOf(""), reflect.ValueOf(0)})[0]
	mustPanic("Logger.Fatalf", func() { lg.MethodByName("Fatalf").Call([]reflect.Value{reflect.ValueOf("%d"), reflect.ValueOf(7)}) })
	if b.String() != "7\n" {
		t.Errorf("Logger.Fatalf wrote %q, want 7", b.String())
	}
	find := osSyms["FindProcess"].Interface().(func(int) (*os.Process, error))
	if _, err := find(os.Getpid()); err == nil {
		t.Error("os.FindProcess found the interpreter's own process")
	}
	if p, err := find(os.Getppid()); err != nil || p == nil {
		t.Errorf("os.FindProcess of another process: %v", err)
	}
}
