package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"
)

// secretStore answers a cell's secret requests from, in order: the
// environment variables named with --secret, the --secrets file, and a
// no-echo prompt when ocs runs on a terminal.
type secretStore struct {
	mu      sync.Mutex
	values  map[string]string
	prompt  bool
	ttyIn   *os.File
	ttyOut  io.Writer
	allowed map[string]bool // names given with --secret
}

func newSecretStore(envNames []string, file string, stderr io.Writer) (*secretStore, error) {
	s := &secretStore{values: map[string]string{}, allowed: map[string]bool{}, ttyOut: stderr}
	for _, name := range envNames {
		v, ok := os.LookupEnv(name)
		if !ok {
			return nil, usageError{fmt.Errorf("--secret %s: the environment variable %s is not set", name, name)}
		}
		s.values[name] = v
		s.allowed[name] = true
	}
	if file != "" {
		if err := s.readFile(file); err != nil {
			return nil, err
		}
	}
	if f, err := os.Open("/dev/tty"); err == nil && term.IsTerminal(int(os.Stdin.Fd())) {
		s.prompt, s.ttyIn = true, f
	}
	return s, nil
}

// readFile reads NAME=VALUE lines; the file must be readable by its owner
// only, as ssh demands of private keys.
func (s *secretStore) readFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return inputError{fmt.Errorf("secrets file: %w", describePathError(err))}
	}
	if err := checkRegular(path, fi); err != nil {
		return inputError{fmt.Errorf("secrets file: %w", err)}
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return inputError{fmt.Errorf("secrets file %s has mode %04o; it must be 0600 (chmod 600 %s)", path, fi.Mode().Perm(), path)}
	}
	data, err := readRegular(path, "secrets file", maxSecretsFile)
	if err != nil {
		return err
	}
	for line, text := range strings.Split(string(data), "\n") {
		text = strings.TrimSpace(text)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		name, value, ok := strings.Cut(text, "=")
		if !ok || strings.TrimSpace(name) == "" {
			// The line may be a secret itself: never echo it.
			return inputError{fmt.Errorf("secrets file %s:%d: want NAME=VALUE", path, line+1)}
		}
		s.values[strings.TrimSpace(name)] = value
	}
	return nil
}

// Known returns the values known before any cell asks: those from the
// environment and the secrets file, masked from the first cell on.
func (s *secretStore) Known() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.values))
	for _, v := range s.values {
		out = append(out, v)
	}
	return out
}

func (s *secretStore) Secret(name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.values[name]; ok {
		return v, nil
	}
	if !s.prompt {
		return "", fmt.Errorf("secret %q has no value: give it with --secret %s (from the environment) or in a --secrets file", name, name)
	}
	fmt.Fprintf(s.ttyOut, "ocs: secret %s: ", name)
	v, err := term.ReadPassword(int(s.ttyIn.Fd()))
	fmt.Fprintln(s.ttyOut)
	if err != nil {
		return "", fmt.Errorf("secret %q: read from terminal: %w", name, err)
	}
	s.values[name] = string(v)
	return string(v), nil
}
