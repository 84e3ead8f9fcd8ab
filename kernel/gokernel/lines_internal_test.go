package gokernel

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// chunkedReader hands out its data in reads of the given sizes, failing a
// read with a deadline error wherever sizes holds 0.
type chunkedReader struct {
	data  []byte
	sizes []int
}

func (r *chunkedReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := len(r.data)
	if len(r.sizes) > 0 {
		n, r.sizes = r.sizes[0], r.sizes[1:]
		if n == 0 {
			return 0, os.ErrDeadlineExceeded
		}
	}
	n = min(n, len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// readLines reads every line, going on after deadline errors as
// readMessage's callers do, and returns them with the final error.
func readLines(t *testing.T, r io.Reader) ([]string, error) {
	t.Helper()
	l := lineReader{r: r}
	var lines []string
	for range 10000 {
		line, err := l.next()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		if err != nil {
			return lines, err
		}
		lines = append(lines, string(line))
	}
	t.Fatal("no end of input after 10000 reads")
	return nil, nil
}

func TestLineReader(t *testing.T) {
	big := strings.Repeat("x", 100<<10)
	for _, tc := range []struct {
		name  string
		data  string
		sizes []int
		want  []string
	}{
		{"one read", "a\nbb\nccc\n", nil, []string{"a", "bb", "ccc"}},
		{"byte by byte", "a\nbb\n", []int{1, 1, 1, 1, 1}, []string{"a", "bb"}},
		{"deadline mid-line keeps the part read", `{"t":"ready"}` + "\n" + `{"t":"done"}` + "\n", []int{3, 0, 20, 0, 0, 4}, []string{`{"t":"ready"}`, `{"t":"done"}`}},
		{"empty lines", "\n\na\n", nil, []string{"", "", "a"}},
		{"line longer than the buffer", big + "\nend\n", []int{5000, 0, 70000}, []string{big, "end"}},
		{"unended last line is dropped", "a\nb", nil, []string{"a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readLines(t, &chunkedReader{data: []byte(tc.data), sizes: tc.sizes})
			if !errors.Is(err, io.EOF) {
				t.Fatalf("final error %v, want EOF", err)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Fatalf("lines %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzLineReader checks that however the input is cut into reads, and
// wherever reads fail with a deadline, the lines are the input's.
func FuzzLineReader(f *testing.F) {
	f.Add([]byte("a\nbb\n"), []byte{1, 0, 2})
	f.Add([]byte(`{"t":"done"}`+"\n"), []byte{0, 0, 5})
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		sizes := make([]int, len(cuts))
		for i, c := range cuts {
			sizes[i] = int(c)
		}
		got, err := readLines(t, &chunkedReader{data: data, sizes: sizes})
		if !errors.Is(err, io.EOF) {
			t.Fatalf("final error %v", err)
		}
		want := bytes.Split(data, []byte("\n"))
		want = want[:len(want)-1] // the part after the last newline is no line
		if len(got) != len(want) {
			t.Fatalf("%d lines, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i] != string(want[i]) {
				t.Fatalf("line %d: %q, want %q", i, got[i], want[i])
			}
		}
	})
}
