package vcp

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// localProvider runs each node as a detached ocs node process on its own
// loopback address, with its own SSH server, host key and HOME.
type localProvider struct{}

func (localProvider) Name() string { return "local" }

func (localProvider) allocatesLoopback() {}

func (localProvider) Flavors() []Flavor {
	return []Flavor{
		{Name: "small", Description: "local node process (no resource limits)"},
		{Name: "medium", Description: "local node process (no resource limits)"},
		{Name: "large", Description: "local node process (no resource limits)"},
	}
}

// Local nodes get addresses 127.42.0.1 and up (127.42.0.0/16 then
// 127.43.0.0/16 ...), never 127.0.0.1.
func (localProvider) Plan(spec *SpecRecord, n int, used map[string]bool) ([]string, []string, error) {
	var notes []string
	if spec.Image != "" {
		notes = append(notes, fmt.Sprintf("image %q not used: local nodes run on this host", spec.Image))
	}
	if len(spec.ParamsV) > 0 {
		notes = append(notes, fmt.Sprintf("params_v %s not mounted: local nodes share this host's filesystem", strings.Join(spec.ParamsV, ",")))
	}
	var addrs []string
	if len(spec.IPAddresses) > 0 {
		// Templates choose node addresses; on local they must be loopback
		// ones no other node has, one per node.
		if len(spec.IPAddresses) != n {
			return nil, nil, fmt.Errorf("local: %d nodes asked for but %d ip_addresses given", n, len(spec.IPAddresses))
		}
		for _, a := range spec.IPAddresses {
			if err := checkLoopback(a); err != nil {
				return nil, nil, err
			}
			if used[a] || slices.Contains(addrs, a) {
				return nil, nil, fmt.Errorf("address %q is already used by another node; pass a free 127.x.y.z address", a)
			}
			addrs = append(addrs, a)
		}
		return addrs, notes, nil
	}
	for a := 42; a < 128 && len(addrs) < n; a++ {
		for b := 0; b < 256 && len(addrs) < n; b++ {
			for c := 1; c < 255 && len(addrs) < n; c++ {
				ip := fmt.Sprintf("127.%d.%d.%d", a, b, c)
				if !used[ip] {
					addrs = append(addrs, ip)
				}
			}
		}
	}
	if len(addrs) < n {
		return nil, nil, fmt.Errorf("no free loopback address for %d nodes", n)
	}
	return addrs, notes, nil
}

func (localProvider) Boot(ctx context.Context, env *NodeEnv, n *NodeRecord) error {
	if err := os.MkdirAll(filepath.Join(env.Dir, "home"), 0o700); err != nil {
		return fmt.Errorf("create node directory: %w", err)
	}
	pub, err := ensureKeyFile(filepath.Join(env.Dir, nodeHostKey), "ocs-node-"+n.Name)
	if err != nil {
		return err
	}
	keys := []string{env.GroupKeyPub}
	if k := strings.TrimSpace(env.Unit.Spec.SSHPubkey); k != "" {
		keys = append(keys, strings.Split(k, "\n")...)
	}
	shell := "/bin/sh"
	if _, err := os.Stat("/bin/bash"); err == nil {
		shell = "/bin/bash"
	}
	cfg := nodeConfig{
		Address: n.Address, Port: n.Port, User: n.User, Logins: localLogins(n.User), Shell: shell,
		Home: filepath.Join(env.Dir, "home"), AuthorizedKeys: keys, Env: env.Unit.Spec.ParamsE,
		SecretEnv: len(env.SecretEnv),
	}
	if len(env.MissingEnv) > 0 {
		zerolog.Ctx(ctx).Warn().Str("node", n.Name).Strs("params_e", env.MissingEnv).
			Msg("node starts without withheld params_e values: only the process that created the unit holds them")
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(env.Dir, nodeConfigFile), data, 0o600); err != nil {
		return err
	}
	port, pid, err := startNodeProcess(ctx, env.NodeCommand, env.Dir, env.SecretEnv)
	n.PID = pid
	if err != nil {
		return err
	}
	n.Port, n.HostKey, n.State = port, pub, StateRunning
	return nil
}

func (localProvider) Delete(ctx context.Context, env *NodeEnv, n *NodeRecord) error {
	if err := stopNodeProcesses(ctx, n.PID, env.Dir, 3*time.Second); err != nil {
		return err
	}
	if err := os.RemoveAll(env.Dir); err != nil {
		return fmt.Errorf("remove node directory: %w", err)
	}
	return nil
}

func (localProvider) PowerOff(ctx context.Context, env *NodeEnv, n *NodeRecord) error {
	if err := stopNodeProcesses(ctx, n.PID, env.Dir, 3*time.Second); err != nil {
		return err
	}
	n.PID, n.State = 0, StatePowerOff
	return nil
}

func (p localProvider) PowerOn(ctx context.Context, env *NodeEnv, n *NodeRecord) error {
	if p.Status(ctx, env, n) == StateRunning {
		return nil
	}
	return p.Boot(ctx, env, n)
}

func (localProvider) Status(ctx context.Context, env *NodeEnv, n *NodeRecord) string {
	if processOf(n.PID, env.Dir) {
		return StateRunning
	}
	switch n.State {
	case StatePowerOff, StateError, StateDeleting:
		return n.State
	case StateBooting:
		if len(findNodeProcesses(0, env.Dir)) > 0 {
			return StateRunning
		}
		return StateBooting
	}
	return StateDown
}

// dialCheck reports whether a TCP connection to address:port succeeds.
func dialCheck(ctx context.Context, address string, port int) bool {
	d := net.Dialer{Timeout: 2 * time.Second}
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(address, fmt.Sprint(port)))
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// localLogins are the login names a local node accepts besides its user:
// "vcp", the user OCS's base images make (sessions still run as the ocs
// user). "root" is accepted only when ocs runs as root, so that a login as
// root never runs as someone else.
func localLogins(user string) []string {
	if user == "vcp" {
		return nil
	}
	return []string{"vcp"}
}
