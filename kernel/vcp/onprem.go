package vcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// onpremProvider registers existing servers, named by spec.IPAddresses
// ("host" or "host:port"), reached over SSH as spec.UserName with
// spec.SSHKeyPath (default: the group key). Their host keys must already be
// in spec.KnownHostsPath (default ~/.ssh/known_hosts): no trust on first use.
type onpremProvider struct{}

func (onpremProvider) Name() string { return "onpremises" }

func (onpremProvider) Flavors() []Flavor {
	return []Flavor{{Name: "default", Description: "existing servers reached over SSH"}}
}

func (onpremProvider) Plan(spec *SpecRecord, n int, used map[string]bool) ([]string, []string, error) {
	if len(spec.IPAddresses) == 0 {
		return nil, nil, errors.New("the onpremises provider needs spec ip_addresses naming the existing servers")
	}
	if n != len(spec.IPAddresses) {
		return nil, nil, fmt.Errorf("onpremises: %d nodes asked for but %d ip_addresses given", n, len(spec.IPAddresses))
	}
	var notes []string
	if spec.Image != "" {
		notes = append(notes, fmt.Sprintf("image %q not used: existing servers", spec.Image))
	}
	if len(spec.ParamsV) > 0 || len(spec.ParamsE) > 0 {
		notes = append(notes, "params_e and params_v not applied: existing servers")
	}
	for _, a := range spec.IPAddresses {
		if _, _, err := splitHostPort(a); err != nil {
			return nil, nil, err
		}
	}
	return append([]string(nil), spec.IPAddresses...), notes, nil
}

// splitHostPort parses "host" or "host:port" (port 22 by default).
func splitHostPort(a string) (string, int, error) {
	if h, p, err := net.SplitHostPort(a); err == nil {
		port, err := strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return "", 0, fmt.Errorf("bad port in address %q", a)
		}
		return h, port, nil
	}
	if a == "" || strings.ContainsAny(a, " /") {
		return "", 0, fmt.Errorf("bad address %q", a)
	}
	return a, 22, nil
}

func (onpremProvider) knownHosts(spec *SpecRecord) (string, error) {
	if spec.KnownHostsPath != "" {
		return spec.KnownHostsPath, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".ssh", "known_hosts"), nil
}

func (p onpremProvider) Boot(ctx context.Context, env *NodeEnv, n *NodeRecord) error {
	host, port, err := splitHostPort(n.Address)
	if err != nil {
		return err
	}
	khPath, err := p.knownHosts(&env.Unit.Spec)
	if err != nil {
		return err
	}
	kh, err := knownhosts.New(khPath)
	if err != nil {
		return fmt.Errorf("read known_hosts %q: %w", khPath, err)
	}
	var seen ssh.PublicKey
	cb := func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		if err := kh(hostname, remote, key); err != nil {
			var ke *knownhosts.KeyError
			if errors.As(err, &ke) && len(ke.Want) == 0 {
				return fmt.Errorf("host key of %s is not in %q; add it (e.g. with ssh-keyscan) after checking it", hostname, khPath)
			}
			return err
		}
		seen = key
		return nil
	}
	keyFile := onpremKeyFile(env)
	signer, err := loadSigner(keyFile)
	if err != nil {
		return err
	}
	t := Target{Name: n.Name, Address: host, Port: port, User: n.User}
	c, err := dialWith(ctx, t, signer, cb, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := runOn(ctx, c, n.Name, "true", nil, nil, nil); err != nil {
		return fmt.Errorf("check server: %w", err)
	}
	n.Address, n.Port = host, port
	n.HostKey = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(seen)))
	n.State = StateRunning
	return nil
}

func onpremKeyFile(env *NodeEnv) string {
	if env.Unit.Spec.SSHKeyPath != "" {
		return env.Unit.Spec.SSHKeyPath
	}
	return env.GroupKeyPath
}

// Delete forgets the server; it is not ours to stop.
func (onpremProvider) Delete(ctx context.Context, env *NodeEnv, n *NodeRecord) error {
	return os.RemoveAll(env.Dir)
}

func (onpremProvider) PowerOff(ctx context.Context, env *NodeEnv, n *NodeRecord) error {
	return fmt.Errorf("power off is not supported by onpremises: %w", ErrNotSupported)
}

func (onpremProvider) PowerOn(ctx context.Context, env *NodeEnv, n *NodeRecord) error {
	return fmt.Errorf("power on is not supported by onpremises: %w", ErrNotSupported)
}

func (onpremProvider) Status(ctx context.Context, env *NodeEnv, n *NodeRecord) string {
	if n.State != StateRunning {
		return n.State
	}
	if dialCheck(ctx, n.Address, n.Port) {
		return StateRunning
	}
	return StateDown
}
