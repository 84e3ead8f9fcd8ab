package vcp

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
)

// newKeyPair generates an ed25519 key and returns the private key in
// OpenSSH PEM form and the public key in authorized_keys form.
func newKeyPair(comment string) (priv []byte, pub string, err error) {
	pk, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, "", fmt.Errorf("generate ed25519 key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(sk, comment)
	if err != nil {
		return nil, "", fmt.Errorf("encode private key: %w", err)
	}
	sp, err := ssh.NewPublicKey(pk)
	if err != nil {
		return nil, "", fmt.Errorf("encode public key: %w", err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp)))
	if comment != "" {
		line += " " + comment
	}
	return pem.EncodeToMemory(block), line, nil
}

// ensureKeyFile creates an ed25519 key at path (mode 0600, public key at
// path+".pub") unless one is there, and returns the public key line.
func ensureKeyFile(path, comment string) (string, error) {
	if data, err := os.ReadFile(path + ".pub"); err == nil {
		if _, err := os.Stat(path); err == nil {
			return strings.TrimSpace(string(data)), nil
		}
	}
	priv, pub, err := newKeyPair(comment)
	if err != nil {
		return "", err
	}
	if err := writeFileAtomic(path, priv, 0o600); err != nil {
		return "", err
	}
	if err := writeFileAtomic(path+".pub", []byte(pub+"\n"), 0o644); err != nil {
		return "", err
	}
	return pub, nil
}

// loadSigner reads a private key file. Its contents never reach an error.
func loadSigner(path string) (ssh.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read private key %q: %w", path, err)
	}
	s, err := ssh.ParsePrivateKey(data)
	if err != nil {
		var pp *ssh.PassphraseMissingError
		if errors.As(err, &pp) {
			return nil, fmt.Errorf("private key %q is passphrase-protected; use a key without a passphrase", path)
		}
		return nil, fmt.Errorf("parse private key %q: not a usable private key", path)
	}
	return s, nil
}

// parseAuthorizedKey parses one authorized_keys line.
func parseAuthorizedKey(line string) (ssh.PublicKey, error) {
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	return k, nil
}

// EnsureKey creates an ed25519 key pair at path and path+".pub" (0600)
// unless one is there.
func EnsureKey(path, comment string) error {
	_, err := ensureKeyFile(path, comment)
	return err
}
