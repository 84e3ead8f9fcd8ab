package vcp

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh/knownhosts"
	"gopkg.in/yaml.v3"
)

// Files of a unit group's directory that ocs writes for SSH and Ansible.
const (
	groupKeyFile    = "id_ed25519"
	knownHostsFile  = "known_hosts"
	sshConfigFile   = "ssh_config"
	inventoryFile   = "inventory.yml"
	accessFileNote  = "Written by ocs; rewritten whenever the unit group changes."
	defaultSSHPort  = 22
	sshConfigIndent = "    "
)

// GroupKeyPath is the private key of the named group in the store.
func (s *Store) GroupKeyPath(group string) string {
	return filepath.Join(s.GroupDir(group), groupKeyFile)
}

// SSHConfigPath is the OpenSSH client configuration of the named group:
// `ssh -F PATH ADDRESS_OR_NAME` reaches its nodes.
func (s *Store) SSHConfigPath(group string) string {
	return filepath.Join(s.GroupDir(group), sshConfigFile)
}

// InventoryPath is the Ansible inventory (YAML) of the named group.
func (s *Store) InventoryPath(group string) string {
	return filepath.Join(s.GroupDir(group), inventoryFile)
}

// KnownHostsPath is the known_hosts file pinning the group's node host keys.
func (s *Store) KnownHostsPath(group string) string {
	return filepath.Join(s.GroupDir(group), knownHostsFile)
}

// nodeKeyFile is the client key used for a node of unit u.
func (s *Store) nodeKeyFile(group string, u *UnitRecord) string {
	if u.Provider == "onpremises" && u.Spec.SSHKeyPath != "" {
		return u.Spec.SSHKeyPath
	}
	return s.GroupKeyPath(group)
}

// reachable lists the nodes that have an address, port and pinned host key.
func reachable(g *GroupRecord) [][2]any {
	var out [][2]any
	for _, u := range g.Units {
		for _, n := range u.Nodes {
			if n.HostKey != "" && n.Port > 0 && net.ParseIP(n.Address) != nil {
				out = append(out, [2]any{u, n})
			}
		}
	}
	return out
}

// sshQuote quotes a value for ssh_config when it needs it.
func sshQuote(s string) string {
	if strings.ContainsAny(s, " \t\"") {
		return `"` + strings.ReplaceAll(s, `"`, ``) + `"`
	}
	return s
}

// renderKnownHosts pins every node's host key under its address.
func renderKnownHosts(g *GroupRecord) string {
	var b strings.Builder
	for _, p := range reachable(g) {
		n := p[1].(*NodeRecord)
		k, err := parseAuthorizedKey(n.HostKey)
		if err != nil {
			continue
		}
		hp := net.JoinHostPort(n.Address, strconv.Itoa(n.Port))
		b.WriteString(knownhosts.Line([]string{knownhosts.Normalize(hp)}, k) + "\n")
	}
	return b.String()
}

// renderSSHConfig writes one Host block per node, matched by its address,
// its name (GROUP-UNIT-N) and UNIT-N.
func (s *Store) renderSSHConfig(g *GroupRecord) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n# Unit group %q: ssh -F %s ADDRESS_OR_NAME\n\n", accessFileNote, g.Name, sshQuote(s.SSHConfigPath(g.Name)))
	for _, p := range reachable(g) {
		u, n := p[0].(*UnitRecord), p[1].(*NodeRecord)
		fmt.Fprintf(&b, "Host %s %s-%d %s\n", n.Name, u.Name, n.No, n.Address)
		for _, kv := range [][2]string{
			{"HostName", n.Address},
			{"Port", strconv.Itoa(n.Port)},
			{"User", n.User},
			{"IdentityFile", sshQuote(s.nodeKeyFile(g.Name, u))},
			{"IdentitiesOnly", "yes"},
			{"UserKnownHostsFile", sshQuote(s.KnownHostsPath(g.Name))},
			{"GlobalKnownHostsFile", "/dev/null"},
			{"StrictHostKeyChecking", "yes"},
			{"CheckHostIP", "no"},
			{"BatchMode", "yes"},
			{"LogLevel", "ERROR"},
		} {
			fmt.Fprintf(&b, "%s%s %s\n", sshConfigIndent, kv[0], kv[1])
		}
		b.WriteString("\n")
	}
	return b.String()
}

// renderInventory builds the Ansible inventory: group GROUP with children
// GROUP_UNIT, hosts named by address.
func (s *Store) renderInventory(g *GroupRecord) ([]byte, error) {
	children := map[string]any{}
	for _, u := range g.Units {
		hosts := map[string]any{}
		for _, n := range u.Nodes {
			if n.HostKey == "" || n.Port == 0 {
				continue
			}
			hosts[n.Address] = map[string]any{
				"ansible_host":                 n.Address,
				"ansible_port":                 n.Port,
				"ansible_user":                 n.User,
				"ansible_ssh_private_key_file": s.nodeKeyFile(g.Name, u),
				"ocs_node_name":                n.Name,
			}
		}
		children[g.Name+"_"+u.Name] = map[string]any{"hosts": hosts}
	}
	inv := map[string]any{
		"all": map[string]any{
			"children": map[string]any{
				g.Name: map[string]any{
					"children": children,
					"vars": map[string]any{
						"ansible_ssh_common_args":    "-F " + shellQuote(s.SSHConfigPath(g.Name)),
						"ansible_python_interpreter": "auto_silent",
					},
				},
			},
		},
	}
	data, err := yaml.Marshal(inv)
	if err != nil {
		return nil, fmt.Errorf("encode inventory: %w", err)
	}
	return append([]byte("# "+accessFileNote+"\n"), data...), nil
}

// writeAccess rewrites known_hosts, ssh_config and the inventory of g.
func (s *Store) writeAccess(g *GroupRecord) error {
	if err := os.MkdirAll(s.GroupDir(g.Name), 0o700); err != nil {
		return err
	}
	if err := writeFileAtomic(s.KnownHostsPath(g.Name), []byte(renderKnownHosts(g)), 0o600); err != nil {
		return err
	}
	if err := writeFileAtomic(s.SSHConfigPath(g.Name), []byte(s.renderSSHConfig(g)), 0o600); err != nil {
		return err
	}
	inv, err := s.renderInventory(g)
	if err != nil {
		return err
	}
	return writeFileAtomic(s.InventoryPath(g.Name), inv, 0o600)
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:@%+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
