package jupyter

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"sync"
	"time"
)

// protocolVersion is the Jupyter messaging protocol ocs speaks.
const protocolVersion = "5.3"

// delimiter separates the routing identities from the signed frames.
var delimiter = []byte("<IDS|MSG>")

// header is a message header (and, as parent_header, the header of the
// request a message answers).
type header struct {
	MsgID    string `json:"msg_id"`
	Session  string `json:"session"`
	Username string `json:"username"`
	Date     string `json:"date"`
	MsgType  string `json:"msg_type"`
	Version  string `json:"version"`
}

// message is one wire-protocol message, decoded.
type message struct {
	Identities [][]byte
	Header     header
	Parent     header
	Metadata   map[string]any
	Content    json.RawMessage
	Buffers    [][]byte
}

// signer signs and verifies messages with the connection's key.
type signer struct {
	mu  sync.Mutex
	mac hash.Hash
}

func newSigner(key []byte) *signer {
	return &signer{mac: hmac.New(sha256.New, key)}
}

func (s *signer) sign(frames ...[]byte) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mac.Reset()
	for _, f := range frames {
		s.mac.Write(f)
	}
	sum := s.mac.Sum(nil)
	out := make([]byte, hex.EncodedLen(len(sum)))
	hex.Encode(out, sum)
	return out
}

// errBadSignature is returned for a message whose HMAC does not match: it
// did not come from the kernel ocs started.
var errBadSignature = errors.New("bad message signature")

// encode builds the frames of a message to send.
func (s *signer) encode(m *message) ([][]byte, error) {
	h, err := json.Marshal(m.Header)
	if err != nil {
		return nil, err
	}
	p := []byte("{}")
	if m.Parent.MsgID != "" {
		if p, err = json.Marshal(m.Parent); err != nil {
			return nil, err
		}
	}
	md := []byte("{}")
	if len(m.Metadata) > 0 {
		if md, err = json.Marshal(m.Metadata); err != nil {
			return nil, err
		}
	}
	content := []byte(m.Content)
	if len(content) == 0 {
		content = []byte("{}")
	}
	frames := make([][]byte, 0, len(m.Identities)+6+len(m.Buffers))
	frames = append(frames, m.Identities...)
	frames = append(frames, delimiter, s.sign(h, p, md, content), h, p, md, content)
	frames = append(frames, m.Buffers...)
	return frames, nil
}

// decode parses and verifies the frames of a received message.
func (s *signer) decode(frames [][]byte) (*message, error) {
	i := 0
	for i < len(frames) && !bytes.Equal(frames[i], delimiter) {
		i++
	}
	if len(frames)-i < 6 {
		return nil, fmt.Errorf("malformed message: %d frames, delimiter at %d", len(frames), i)
	}
	sig, h, p, md, content := frames[i+1], frames[i+2], frames[i+3], frames[i+4], frames[i+5]
	want := s.sign(h, p, md, content)
	if !hmac.Equal(sig, want) {
		return nil, errBadSignature
	}
	m := &message{Identities: frames[:i], Content: json.RawMessage(content), Buffers: frames[i+6:]}
	if err := json.Unmarshal(h, &m.Header); err != nil {
		return nil, fmt.Errorf("malformed header: %w", err)
	}
	if err := json.Unmarshal(p, &m.Parent); err != nil {
		return nil, fmt.Errorf("malformed parent header: %w", err)
	}
	if err := json.Unmarshal(md, &m.Metadata); err != nil {
		return nil, fmt.Errorf("malformed metadata: %w", err)
	}
	return m, nil
}

// newID returns a random message or session id.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newHeader returns the header of a new request in session.
func newHeader(session, msgType string) header {
	return header{
		MsgID:    newID(),
		Session:  session,
		Username: "ocs",
		Date:     time.Now().UTC().Format("2006-01-02T15:04:05.000000Z"),
		MsgType:  msgType,
		Version:  protocolVersion,
	}
}
