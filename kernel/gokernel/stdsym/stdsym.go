// Package stdsym holds the Go standard library's symbols for the Go
// kernel's interpreter, each package's map built when a cell first imports
// the package.
//
// Why not yaegi's stdlib package: it builds all 150 maps (6,000 symbols) in
// its init, so every process of the ocs binary paid for them before main,
// a Python run and `ocs --help` too: about 5 ms and 500 KB of each start
// here, with the page faults of running 10 MB of init code. The files are
// written by gen.go with yaegi's own generator, from the standard library
// of the Go that builds ocs.
package stdsym

//go:generate go run gen.go

import (
	"bufio"
	"encoding"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"reflect"
	"slices"
)

// Keys returns yaegi's key of every package ("fmt/fmt", "math/rand/v2/rand":
// the import path, then the package name), sorted.
func Keys() []string {
	keys := make([]string, 0, len(packages))
	for k := range packages {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Symbols builds the symbol map of the package with yaegi's key k, a new
// map on each call (nil for a key there is none of).
func Symbols(k string) map[string]reflect.Value {
	build, ok := packages[k]
	if !ok {
		return nil
	}
	return build()
}

// MapTypes returns yaegi's table of the interfaces tried for the arguments
// of some functions: fmt's printers look for a Stringer or Formatter,
// json.Marshal for a Marshaler, and so on, so a value of the cell's own
// type passed to them is wrapped with a wrapper that has those methods. The
// table also gives the wrappers of three composed interfaces that the
// standard library asks for with a type assertion.
func MapTypes() map[reflect.Value][]reflect.Type {
	printed := []reflect.Type{typeOf[fmt.Formatter](), typeOf[fmt.Stringer]()}
	scanned := []reflect.Type{typeOf[fmt.Scanner]()}
	m := map[reflect.Value][]reflect.Type{
		reflect.ValueOf(json.Marshal):   {typeOf[json.Marshaler](), typeOf[encoding.TextMarshaler]()},
		reflect.ValueOf(json.Unmarshal): {typeOf[json.Unmarshaler](), typeOf[encoding.TextUnmarshaler]()},
		reflect.ValueOf(xml.Marshal):    {typeOf[xml.Marshaler](), typeOf[encoding.TextMarshaler]()},
		reflect.ValueOf(xml.Unmarshal):  {typeOf[xml.Unmarshaler](), typeOf[encoding.TextUnmarshaler]()},

		// Keyed by the plain wrapper, a composed one first (the one with
		// the most methods the value has is taken).
		reflect.ValueOf((*_net_http_ResponseWriter)(nil)): {typeOf[hijackableResponseWriter]()},
		reflect.ValueOf((*_io_Reader)(nil)):               {typeOf[readerWriterTo]()},
		reflect.ValueOf((*_io_Writer)(nil)):               {typeOf[writerReaderFrom]()},
	}
	for _, f := range []any{fmt.Errorf, fmt.Fprint, fmt.Fprintf, fmt.Fprintln, fmt.Print, fmt.Printf, fmt.Println,
		fmt.Sprint, fmt.Sprintf, fmt.Sprintln, log.Fatal, log.Fatalf, log.Fatalln, log.Panic, log.Panicf, log.Panicln} {
		m[reflect.ValueOf(f)] = printed
	}
	for _, f := range []any{fmt.Scan, fmt.Scanf, fmt.Scanln} {
		m[reflect.ValueOf(f)] = scanned
	}
	return m
}

// typeOf is the type T (an interface or a wrapper struct).
func typeOf[T any]() reflect.Type { return reflect.TypeOf((*T)(nil)).Elem() }

// The composed wrappers follow yaegi's layout: the interpreted value, then
// one W-prefixed function per method.

// hijackableResponseWriter lets an HTTP handler of a cell hijack the
// connection (http.Hijacker is asserted on the ResponseWriter).
type hijackableResponseWriter struct {
	IValue       any
	WHeader      func() http.Header
	WWrite       func(b []byte) (int, error)
	WWriteHeader func(code int)
	WHijack      func() (net.Conn, *bufio.ReadWriter, error)
}

func (w hijackableResponseWriter) Header() http.Header         { return w.WHeader() }
func (w hijackableResponseWriter) Write(b []byte) (int, error) { return w.WWrite(b) }
func (w hijackableResponseWriter) WriteHeader(code int)        { w.WWriteHeader(code) }
func (w hijackableResponseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.WHijack()
}

// readerWriterTo keeps a cell's Reader's WriteTo for io.Copy.
type readerWriterTo struct {
	IValue   any
	WRead    func(b []byte) (int, error)
	WWriteTo func(w io.Writer) (int64, error)
}

func (r readerWriterTo) Read(b []byte) (int, error)         { return r.WRead(b) }
func (r readerWriterTo) WriteTo(w io.Writer) (int64, error) { return r.WWriteTo(w) }

// writerReaderFrom keeps a cell's Writer's ReadFrom for io.Copy.
type writerReaderFrom struct {
	IValue    any
	WWrite    func(b []byte) (int, error)
	WReadFrom func(r io.Reader) (int64, error)
}

func (w writerReaderFrom) Write(b []byte) (int, error)         { return w.WWrite(b) }
func (w writerReaderFrom) ReadFrom(r io.Reader) (int64, error) { return w.WReadFrom(r) }
