package runner

import (
	"bytes"
	"encoding/json"
	"io"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Mask is what a secret becomes wherever ocs writes or prints it.
const Mask = "********"

// secretName matches parameter names whose values are treated as secrets,
// anywhere in the name.
var secretName = regexp.MustCompile(`(?i)(token|secret|passw(or)?d|passphrase|key|credential|bearer)`)

// secretWords are secret-looking words too short to match inside other
// words (author, compass): they count as a whole word of the name
// (db_pass, authHeader, tls-pem).
var secretWords = map[string]bool{"pass": true, "pwd": true, "auth": true, "oauth": true, "pem": true, "cred": true, "creds": true, "pw": true}

// nameWords splits a name at non-letters and at lower-to-upper changes:
// dbPass_pem -> db, Pass, pem.
var nameWords = regexp.MustCompile(`[A-Z]?[a-z0-9]+|[A-Z]+`)

// IsSecretName reports whether a parameter name looks like it holds a secret.
func IsSecretName(name string) bool {
	if secretName.MatchString(name) {
		return true
	}
	for _, w := range nameWords.FindAllString(name, -1) {
		if secretWords[strings.ToLower(w)] {
			return true
		}
	}
	return false
}

// masker replaces known secret values. Secrets are added as they become
// known (parameters up front, secrets when a cell asks for them).
type masker struct {
	mu       sync.RWMutex
	secrets  []string
	replacer *strings.Replacer
}

// add makes secret known, with the escaped forms it takes when a program
// prints it quoted: Go's %q, JSON (with and without HTML escapes) and URL
// escapes. Other encodings (base64, hex, a secret cut in pieces) are not
// recognised; docs/security.md says so.
func (m *masker) add(secret string) {
	if secret == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	added := false
	for _, form := range escapedForms(secret) {
		if !slices.Contains(m.secrets, form) {
			m.secrets = append(m.secrets, form)
			added = true
		}
	}
	if !added {
		return
	}
	// Longer secrets first, so one that contains another is masked whole.
	sort.Slice(m.secrets, func(i, j int) bool { return len(m.secrets[i]) > len(m.secrets[j]) })
	pairs := make([]string, 0, 2*len(m.secrets))
	for _, s := range m.secrets {
		pairs = append(pairs, s, Mask)
	}
	m.replacer = strings.NewReplacer(pairs...)
}

// escapedForms are secret and the forms it takes inside quoted or escaped
// text, without their quotes.
func escapedForms(secret string) []string {
	forms := []string{secret}
	addForm := func(f string) {
		if f != "" && !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	q := strconv.Quote(secret)
	addForm(q[1 : len(q)-1])
	q = strconv.QuoteToASCII(secret)
	addForm(q[1 : len(q)-1])
	for _, html := range []bool{true, false} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		if enc.Encode(secret) == nil {
			j := strings.TrimSpace(b.String())
			addForm(j[1 : len(j)-1])
		}
	}
	addForm(url.QueryEscape(secret))
	addForm(url.PathEscape(secret))
	return forms
}

// Masker is a run's masker as its caller sees it: one it shares with its
// own output (the log writer, error messages), so that every secret the run
// learns is masked there too. Safe for concurrent use.
type Masker struct{ m *masker }

// NewMasker returns an empty Masker.
func NewMasker() *Masker { return &Masker{m: &masker{}} }

// Add makes secrets known (their escaped forms too).
func (m *Masker) Add(secrets ...string) {
	for _, s := range secrets {
		m.m.add(s)
	}
}

// Mask replaces every known secret in s.
func (m *Masker) Mask(s string) string { return m.m.mask(s) }

// Writer masks what is written to w, one Write at a time: for writers that
// get whole lines (a logger's events, error messages), since a secret
// split across two writes is not recognised.
func (m *Masker) Writer(w io.Writer) io.Writer { return maskWriter{m: m.m, w: w} }

type maskWriter struct {
	m *masker
	w io.Writer
}

func (mw maskWriter) Write(p []byte) (int, error) {
	masked := mw.m.mask(string(p))
	if _, err := io.WriteString(mw.w, masked); err != nil {
		return 0, err
	}
	return len(p), nil
}

// KnownSecrets is a Secrets that knows values before any cell asks for
// them (from the environment, a secrets file): the run masks them from its
// first cell on, whether a cell asked or not.
type KnownSecrets interface {
	Known() []string
}

// values returns the secrets known so far.
func (m *masker) values() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return append([]string(nil), m.secrets...)
}

func (m *masker) mask(s string) string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.replacer == nil {
		return s
	}
	// A Replacer of several secrets copies s twice even when nothing
	// matches; most text holds no secret, and a stream chunk may be
	// megabytes.
	for _, secret := range m.secrets {
		if strings.Contains(s, secret) {
			return m.replacer.Replace(s)
		}
	}
	return s
}

// maskValue masks every string inside a decoded JSON value.
func (m *masker) maskValue(v any) any {
	switch v := v.(type) {
	case string:
		return m.mask(v)
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = m.maskValue(x)
		}
		return out
	case []string:
		out := make([]string, len(v))
		for i, x := range v {
			out[i] = m.mask(x)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[m.mask(k)] = m.maskValue(x)
		}
		return out
	}
	return v
}

// heldBack returns how many trailing bytes of s could be the start of a
// secret that the next chunk of a stream completes.
func (m *masker) heldBack(s string) int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	hold := 0
	for _, secret := range m.secrets {
		for n := min(len(secret)-1, len(s)); n > hold; n-- {
			if strings.HasSuffix(s, secret[:n]) {
				hold = n
				break
			}
		}
	}
	return hold
}

// safeCut moves cut back so that no whole secret straddles it (secrets can
// overlap: the held-back tail may end a secret that began before it).
func (m *masker) safeCut(text string, cut int) int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for moved := true; moved; {
		moved = false
		for _, secret := range m.secrets {
			from := max(0, cut-len(secret)+1)
			if i := strings.Index(text[from:], secret); i >= 0 && from+i < cut {
				cut = from + i
				moved = true
			}
		}
	}
	return cut
}

// streamMask masks a stream that arrives in chunks: a secret split across
// two chunks is still masked, because the bytes that could begin a secret
// are held back until the next chunk (or the end) shows what they are.
type streamMask struct {
	m       *masker
	pending string
}

func (s *streamMask) write(chunk string) string {
	text := s.pending + chunk
	cut := s.m.safeCut(text, len(text)-s.m.heldBack(text))
	s.pending = text[cut:]
	return s.m.mask(text[:cut])
}

func (s *streamMask) flush() string {
	text := s.pending
	s.pending = ""
	return s.m.mask(text)
}
