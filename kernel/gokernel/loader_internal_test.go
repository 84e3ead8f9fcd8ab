package gokernel

import (
	"io"
	"strings"
	"testing"

	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
)

// TestLoaderAvoidsYaegiStdlibTrigger pins what useKey relies on: yaegi's
// Use compiles the generic sources when its exports hold the key "fmt/fmt"
// (the control), and the loader's "fmt/./fmt" key loads fmt without it. A
// yaegi upgrade that moves the trigger fails here; the loader then either
// compiles the generic sources twice or lets yaegi's fixStdlib undo its
// virtualisation.
func TestLoaderAvoidsYaegiStdlibTrigger(t *testing.T) {
	// probe reports whether slices' generic functions are compiled in i: a
	// binary import of slices finds them only in the compiled source.
	imported := map[*interp.Interpreter]bool{}
	probe := func(t *testing.T, i *interp.Interpreter) bool {
		t.Helper()
		if !imported[i] {
			if _, err := i.Eval(`import "slices"`); err != nil {
				t.Fatalf("import slices: %v", err)
			}
			imported[i] = true
		}
		v, err := i.Eval(`slices.Contains([]int{4}, 4)`)
		if err != nil {
			if !strings.Contains(err.Error(), "has no symbol Contains") {
				t.Fatalf("probe: %v", err)
			}
			return false
		}
		return v.Bool()
	}
	t.Run("yaegi compiles generics for the key fmt/fmt", func(t *testing.T) {
		i := interp.New(interp.Options{Stdout: io.Discard, Stderr: io.Discard})
		err := i.Use(interp.Exports{"fmt/fmt": stdlib.Symbols["fmt/fmt"], "cmp/cmp": stdlib.Symbols["cmp/cmp"], "slices/slices": stdlib.Symbols["slices/slices"]})
		if err != nil {
			t.Fatal(err)
		}
		if !probe(t, i) {
			t.Fatal("yaegi's Use no longer compiles the generic sources for fmt/fmt: revisit useKey")
		}
	})
	t.Run("the worker loads fmt, log, flag and os without it", func(t *testing.T) {
		w, err := newWorker(io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"fmt", "log", "flag", "os", "math/bits"} {
			if err := w.packages.ensure(p); err != nil {
				t.Fatalf("load %s: %v", p, err)
			}
		}
		if err := w.packages.load("slices"); err != nil {
			t.Fatal(err)
		}
		if probe(t, w.interp) {
			t.Fatal("the generic sources were compiled before slices was imported")
		}
		if err := w.packages.ensure("slices"); err != nil {
			t.Fatal(err)
		}
		if !probe(t, w.interp) {
			t.Fatal("slices is not usable after its first import")
		}
	})
}

// TestWorkerStartsWithFewPackages checks that a new worker holds only the
// packages it imports itself, and that loading one brings the packages of
// the interfaces its API uses.
func TestWorkerStartsWithFewPackages(t *testing.T) {
	w, err := newWorker(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(w.packages.present); n > 10 {
		t.Errorf("a new worker holds %d packages, want the few it uses itself: %v", n, w.packages.present)
	}
	for _, p := range []string{"net/http", "strings", "slices", "encoding/json"} {
		if w.packages.present[p] {
			t.Errorf("%s is loaded before any cell imports it", p)
		}
	}
	if err := w.packages.ensure("net/http"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"net/http", "io", "context", "net"} {
		if !w.packages.present[p] {
			t.Errorf("after loading net/http, %s is not loaded", p)
		}
	}
}
