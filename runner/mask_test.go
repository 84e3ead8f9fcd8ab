package runner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// Finding 19: a secret printed quoted or escaped is masked too.
func TestMaskEscapedForms(t *testing.T) {
	const secret = `pa"ss\wo<r>d&é`
	jsonHTML, _ := json.Marshal(secret)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(secret)
	m := NewMasker()
	m.Add(secret)
	for _, tc := range []struct{ name, text string }{
		{"literal", "x " + secret + " y"},
		{"go %q", fmt.Sprintf("x %q y", secret)},
		{"go %+q", fmt.Sprintf("x %+q y", secret)},
		{"json", "x " + string(jsonHTML) + " y"},
		{"json without html escapes", "x " + strings.TrimSpace(b.String()) + " y"},
		{"url query", "x?p=" + url.QueryEscape(secret)},
		{"url path", "/x/" + url.PathEscape(secret)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := m.Mask(tc.text)
			if !strings.Contains(got, Mask) || strings.Contains(got, "ss\\") || strings.Contains(got, "wo") {
				t.Errorf("Mask(%q) = %q", tc.text, got)
			}
		})
	}
}

// The shared Masker's writer masks each write, and a run given it adds
// what it learns there.
func TestMaskerWriterAndKnownSecrets(t *testing.T) {
	m := NewMasker()
	var out bytes.Buffer
	w := m.Writer(&out)
	m.Add("hunter2")
	if n, err := w.Write([]byte("pw=hunter2\n")); err != nil || n != len("pw=hunter2\n") {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if got := out.String(); got != "pw="+Mask+"\n" {
		t.Errorf("written %q", got)
	}
	r, err := newRun(makeNotebook("x"), Options{Masker: m, Secrets: knownSecrets{"from-env-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.mask.mask("a from-env-1 b"); got != "a "+Mask+" b" {
		t.Errorf("a known secret is not masked before any cell asks: %q", got)
	}
	if got := m.Mask("from-env-1"); got != Mask {
		t.Errorf("the run's secrets do not reach the shared masker: %q", got)
	}
}

type knownSecrets []string

func (k knownSecrets) Known() []string                    { return k }
func (k knownSecrets) Secret(name string) (string, error) { return "", fmt.Errorf("no %q", name) }

// Text without a secret is returned as it is: a stream chunk of megabytes
// is not copied to be masked.
func TestMaskWithoutSecretDoesNotCopy(t *testing.T) {
	m := &masker{}
	m.add(`se"cr<et`) // several escaped forms: a Replacer that always copies
	text := strings.Repeat("0123456789abcdef", 1<<16)
	if allocs := testing.AllocsPerRun(5, func() { m.mask(text) }); allocs != 0 {
		t.Errorf("masking 1 MiB without a secret made %v allocations", allocs)
	}
	if got := m.mask(text + `se\"cr\u003cet`); got != text+Mask {
		t.Errorf("the secret's JSON form is not masked: %q", got[len(text):])
	}
}
