package runner

import (
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Mask is what a secret becomes wherever ocs writes or prints it.
const Mask = "********"

// secretName matches parameter names whose values are treated as secrets.
var secretName = regexp.MustCompile(`(?i)(token|secret|passw(or)?d|key|credential)`)

// IsSecretName reports whether a parameter name looks like it holds a secret.
func IsSecretName(name string) bool { return secretName.MatchString(name) }

// masker replaces known secret values. Secrets are added as they become
// known (parameters up front, secrets when a cell asks for them).
type masker struct {
	mu       sync.RWMutex
	secrets  []string
	replacer *strings.Replacer
}

func (m *masker) add(secret string) {
	if secret == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.secrets {
		if s == secret {
			return
		}
	}
	m.secrets = append(m.secrets, secret)
	// Longer secrets first, so one that contains another is masked whole.
	sort.Slice(m.secrets, func(i, j int) bool { return len(m.secrets[i]) > len(m.secrets[j]) })
	pairs := make([]string, 0, 2*len(m.secrets))
	for _, s := range m.secrets {
		pairs = append(pairs, s, Mask)
	}
	m.replacer = strings.NewReplacer(pairs...)
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
	return m.replacer.Replace(s)
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
