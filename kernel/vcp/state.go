package vcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"syscall"
	"time"
)

// Node states as the SDK and `ocs vcp` report them.
const (
	StateBooting  = "BOOTING"
	StateRunning  = "RUNNING"
	StatePowerOff = "POWER_OFF"
	StateDown     = "DOWN"  // recorded as running, but its process is gone
	StateError    = "ERROR" // boot failed; the node is kept so that rm can clean up
	StateDeleting = "DELETING"
)

// stateVersion is written into every group file; readers refuse newer ones.
const stateVersion = 1

// GroupRecord is the persistent record of one unit group.
type GroupRecord struct {
	Version int           `json:"version"`
	Name    string        `json:"name"`
	ID      string        `json:"id"`
	Created time.Time     `json:"created"`
	Units   []*UnitRecord `json:"units"`
}

// UnitRecord is the persistent record of one unit of a group.
type UnitRecord struct {
	Name     string `json:"name"`
	Provider string `json:"provider"`
	// AskedProvider is the provider the template named when a provider
	// mapping ran the unit on Provider ("" when it ran where it asked).
	AskedProvider string        `json:"asked_provider,omitempty"`
	Flavor        string        `json:"flavor"`
	Created       time.Time     `json:"created"`
	Spec          SpecRecord    `json:"spec"`
	NextNo        int           `json:"next_no"`
	Nodes         []*NodeRecord `json:"nodes"`
}

// SpecRecord is the part of a Spec that is kept with a unit; a public key is
// kept, never a private one.
type SpecRecord struct {
	Image          string   `json:"image,omitempty"`
	ParamsE        []string `json:"params_e,omitempty"`
	ParamsV        []string `json:"params_v,omitempty"`
	IPAddresses    []string `json:"ip_addresses,omitempty"`
	NumNodes       int      `json:"num_nodes,omitempty"`
	UserName       string   `json:"user_name,omitempty"`
	SSHPubkey      string   `json:"ssh_pubkey,omitempty"`
	SSHKeyPath     string   `json:"ssh_key_path,omitempty"`
	KnownHostsPath string   `json:"known_hosts_path,omitempty"`
}

// NodeRecord is the persistent record of one node. A node is written to the
// state before its process is started.
type NodeRecord struct {
	No      int       `json:"no"`
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Address string    `json:"address"`
	Port    int       `json:"port,omitempty"`
	User    string    `json:"user"`
	State   string    `json:"state"`
	PID     int       `json:"pid,omitempty"`
	HostKey string    `json:"host_key,omitempty"` // authorized_keys format
	Notes   []string  `json:"notes,omitempty"`
	Created time.Time `json:"created"`
}

// CorruptStateError says that a state file could not be read. ocs never
// overwrites such a file.
type CorruptStateError struct {
	Path string
	Err  error
}

func (e *CorruptStateError) Error() string {
	return fmt.Sprintf("state file %q is corrupt (fix or remove it by hand): %v", e.Path, e.Err)
}

func (e *CorruptStateError) Unwrap() error { return e.Err }

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// checkName validates a unit group or unit name: it becomes a directory
// name, an ssh_config host alias and an Ansible group name.
func checkName(kind, name string) error {
	if !nameRE.MatchString(name) || name == "." || name == ".." {
		return fmt.Errorf("invalid %s name %q (want letters, digits, '_', '.', '-'; at most 63, not starting with a symbol)", kind, name)
	}
	return nil
}

// DefaultStateDir is $OCS_STATE_DIR, else $XDG_STATE_HOME/ocs, else
// ~/.local/state/ocs.
func DefaultStateDir() (string, error) {
	if d := os.Getenv("OCS_STATE_DIR"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "ocs"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the state directory: %w", err)
	}
	return filepath.Join(home, ".local", "state", "ocs"), nil
}

// Store is the state directory: one directory per unit group holding
// ugroup.json, the group's SSH key, known_hosts, ssh_config, inventory and
// one directory per node. Writes are atomic and serialized across processes
// with flock on the file "lock".
type Store struct {
	Dir string
}

// OpenStore opens (creating if needed) the state directory dir.
func OpenStore(dir string) (*Store, error) {
	if dir == "" {
		var err error
		if dir, err = DefaultStateDir(); err != nil {
			return nil, err
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("state directory %q: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Join(abs, "ugroups"), 0o700); err != nil {
		return nil, fmt.Errorf("create state directory %q: %w", abs, err)
	}
	return &Store{Dir: abs}, nil
}

// GroupDir is the directory of the named group.
func (s *Store) GroupDir(name string) string { return filepath.Join(s.Dir, "ugroups", name) }

// NodeDir is the directory of a node: its host key, log and HOME.
func (s *Store) NodeDir(group, nodeID string) string {
	return filepath.Join(s.GroupDir(group), "nodes", nodeID)
}

func (s *Store) groupFile(name string) string { return filepath.Join(s.GroupDir(name), "ugroup.json") }

// lockWait bounds how long an operation waits for the state lock; the
// lock is only held for a read-modify-write, never across a boot.
var lockWait = 2 * time.Minute

// lock takes the store's exclusive lock, waiting at most until ctx is done.
func (s *Store) lock(ctx context.Context) (func(), error) {
	path := filepath.Join(s.Dir, "lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open state lock %q: %w", path, err)
	}
	delay := time.Millisecond
	giveUp := time.Now().Add(lockWait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); _ = f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock state %q: %w", path, err)
		}
		if time.Now().After(giveUp) {
			f.Close()
			return nil, fmt.Errorf("state %q stayed locked by another ocs process for %s", path, lockWait)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock state %q: %w", path, ctx.Err())
		case <-time.After(delay):
		}
		if delay < 50*time.Millisecond {
			delay *= 2
		}
	}
}

// parseGroup decodes and validates a group file's contents.
func parseGroup(data []byte) (*GroupRecord, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var g GroupRecord
	if err := dec.Decode(&g); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON object")
	}
	if g.Version < 1 || g.Version > stateVersion {
		return nil, fmt.Errorf("unsupported state version %d (this ocs reads version %d)", g.Version, stateVersion)
	}
	if err := checkName("unit group", g.Name); err != nil {
		return nil, err
	}
	seenUnit := map[string]bool{}
	for i, u := range g.Units {
		if u == nil {
			return nil, fmt.Errorf("unit %d is null", i)
		}
		if err := checkName("unit", u.Name); err != nil {
			return nil, err
		}
		if seenUnit[u.Name] {
			return nil, fmt.Errorf("unit %q recorded twice", u.Name)
		}
		seenUnit[u.Name] = true
		seenNo := map[int]bool{}
		for j, n := range u.Nodes {
			if n == nil {
				return nil, fmt.Errorf("unit %q: node %d is null", u.Name, j)
			}
			if n.No < 1 || seenNo[n.No] || n.No >= u.NextNo {
				return nil, fmt.Errorf("unit %q: bad node number %d", u.Name, n.No)
			}
			seenNo[n.No] = true
			if err := checkName("node id", n.ID); err != nil {
				return nil, fmt.Errorf("unit %q: %w", u.Name, err)
			}
			if n.Port < 0 || n.Port > 65535 || n.PID < 0 {
				return nil, fmt.Errorf("unit %q: node %d: bad port or pid", u.Name, n.No)
			}
		}
	}
	return &g, nil
}

// readGroup reads one group; it returns (nil, nil) when the group does not
// exist and a *CorruptStateError when its file cannot be parsed.
func (s *Store) readGroup(name string) (*GroupRecord, error) {
	path := s.groupFile(name)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state file %q: %w", path, err)
	}
	g, err := parseGroup(data)
	if err != nil {
		return nil, &CorruptStateError{Path: path, Err: err}
	}
	if g.Name != name {
		return nil, &CorruptStateError{Path: path, Err: fmt.Errorf("names group %q, expected %q", g.Name, name)}
	}
	return g, nil
}

// writeGroup replaces the group's file atomically (temp file, fsync, rename).
func (s *Store) writeGroup(g *GroupRecord) error {
	g.Version = stateVersion
	data, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return fmt.Errorf("encode unit group %q: %w", g.Name, err)
	}
	if err := os.MkdirAll(s.GroupDir(g.Name), 0o700); err != nil {
		return fmt.Errorf("create group directory: %w", err)
	}
	return writeFileAtomic(s.groupFile(g.Name), append(data, '\n'), 0o600)
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory and a rename.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %q: %w", path, err)
	}
	return nil
}

// GroupNames lists the recorded groups, sorted.
func (s *Store) GroupNames() ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(s.Dir, "ugroups"))
	if err != nil {
		return nil, fmt.Errorf("list state: %w", err)
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() && nameRE.MatchString(e.Name()) {
			if _, err := os.Stat(s.groupFile(e.Name())); err == nil {
				names = append(names, e.Name())
			}
		}
	}
	sort.Strings(names)
	return names, nil
}

// Group reads the named group under the lock; (nil, nil) if absent.
func (s *Store) Group(ctx context.Context, name string) (*GroupRecord, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.readGroup(name)
}

// Groups reads every recorded group under the lock.
func (s *Store) Groups(ctx context.Context) ([]*GroupRecord, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.allGroups()
}

func (s *Store) allGroups() ([]*GroupRecord, error) {
	names, err := s.GroupNames()
	if err != nil {
		return nil, err
	}
	var gs []*GroupRecord
	for _, n := range names {
		g, err := s.readGroup(n)
		if err != nil {
			return nil, err
		}
		if g != nil {
			gs = append(gs, g)
		}
	}
	return gs, nil
}

// update reads the named group under the lock, lets fn change it and writes
// it back (unless fn returns an error). When the group is absent fn gets
// nil; returning a non-nil record then creates it. all holds every group
// for allocations that must be unique across the state.
func (s *Store) update(ctx context.Context, name string, fn func(g *GroupRecord, all []*GroupRecord) (*GroupRecord, error)) (*GroupRecord, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	all, err := s.allGroups()
	if err != nil {
		return nil, err
	}
	var cur *GroupRecord
	for _, g := range all {
		if g.Name == name {
			cur = g
		}
	}
	g, err := fn(cur, all)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, nil
	}
	if err := s.writeGroup(g); err != nil {
		return nil, err
	}
	return g, nil
}

// removeGroup deletes the group's directory under the lock.
func (s *Store) removeGroup(ctx context.Context, name string) error {
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if err := os.RemoveAll(s.GroupDir(name)); err != nil {
		return fmt.Errorf("remove unit group %q from state: %w", name, err)
	}
	return nil
}

func (g *GroupRecord) unit(name string) *UnitRecord {
	for _, u := range g.Units {
		if u.Name == name {
			return u
		}
	}
	return nil
}

func (u *UnitRecord) node(no int) *NodeRecord {
	for _, n := range u.Nodes {
		if n.No == no {
			return n
		}
	}
	return nil
}
