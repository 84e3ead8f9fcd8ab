package vcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"
)

// Node states as the SDK and `ocs vcp` report them.
const (
	StateBooting  = "BOOTING"
	StateRunning  = "RUNNING"
	StatePowerOff = "POWER_OFF"
	StateDown     = "DOWN"  // recorded as running, but its process is gone
	StateError    = "ERROR" // boot failed; the node is kept so that rm can clean up
	StateDeleting = "DELETING"
	StateCorrupt  = "CORRUPT" // a group whose state file cannot be read
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
	Image   string   `json:"image,omitempty"`
	ParamsE []string `json:"params_e,omitempty"`
	// WithheldE names the ParamsE entries whose values are not kept here
	// (secret-looking names; see splitParamsE).
	WithheldE      []string `json:"params_e_withheld,omitempty"`
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
	Path  string
	Group string // the group whose file it is, when known
	Err   error
}

func (e *CorruptStateError) Error() string {
	return fmt.Sprintf("state file %q is corrupt (fix or remove it by hand): %v", e.Path, e.Err)
}

func (e *CorruptStateError) Unwrap() error { return e.Err }

// Compiled on first use, not at package init (every ocs process would pay).
var nameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`) })

// checkName validates a unit group or unit name: it becomes a directory
// name, an ssh_config host alias and an Ansible group name.
func checkName(kind, name string) error {
	if !nameRE().MatchString(name) || name == "." || name == ".." {
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

// lockWait bounds how long an operation waits for the state lock
// ($OCS_STATE_LOCK_WAIT, a Go duration, changes it); the lock is only held
// for a read-modify-write, never across a boot.
var lockWait = 2 * time.Minute

// lockNoticeAfter is how long a wait for the state lock stays silent; past
// it the waiter says that it waits, and for whom.
var lockNoticeAfter = time.Second

// ErrStateLocked is wrapped by the error of an operation that gave up
// waiting for the state lock.
var ErrStateLocked = errors.New("state stayed locked")

// lockExclusive and lockShared are the two ways to take the state lock:
// writers exclusive, readers (vcp ls, a unit's nodes) shared.
const (
	lockExclusive = syscall.LOCK_EX
	lockShared    = syscall.LOCK_SH
)

// lock takes the store's lock (lockExclusive or lockShared), waiting at
// most lockWait and until ctx is done. After lockNoticeAfter it says, once,
// that it waits and for whom (see Notices).
func (s *Store) lock(ctx context.Context, how int) (func(), error) {
	path := filepath.Join(s.Dir, "lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open state lock %q: %w", path, err)
	}
	wait := lockWait
	if v := os.Getenv("OCS_STATE_LOCK_WAIT"); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			wait = d
		}
	}
	delay := time.Millisecond
	start := time.Now()
	noticed := false
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			if noticed {
				notify(ctx, fmt.Sprintf("ocs: got the VCP state lock %s after %s", path, time.Since(start).Round(100*time.Millisecond)))
			}
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); _ = f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock state %q: %w", path, err)
		}
		if !noticed && time.Since(start) >= lockNoticeAfter {
			noticed = true
			holder := lockHolders(f)
			zerolog.Ctx(ctx).Warn().Str("state_lock", path).Str("holder", holder).Dur("give_up_after", wait).Msg("waiting for the state lock")
			notify(ctx, fmt.Sprintf("ocs: waiting for the VCP state lock %s, held by %s (giving up after %s)", path, holder, wait))
		}
		if time.Since(start) >= wait {
			holder := lockHolders(f)
			f.Close()
			return nil, fmt.Errorf("%w: %q held by %s for %s, giving up", ErrStateLocked, path, holder, wait)
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

// lockHolders names the processes holding a lock on f, from /proc/locks:
// "pid 123 (ocs vcp rm g)", or "another process" when none can be found.
func lockHolders(f *os.File) string {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return "another process"
	}
	dev := uint64(st.Dev)
	major := (dev>>8)&0xfff | (dev>>32)&^0xfff
	minor := dev&0xff | (dev>>12)&^0xff
	want := fmt.Sprintf("%02x:%02x:%d", major, minor, st.Ino)
	data, err := os.ReadFile("/proc/locks")
	if err != nil {
		return "another process"
	}
	var who []string
	for _, line := range strings.Split(string(data), "\n") {
		fs := strings.Fields(line)
		// "1: FLOCK  ADVISORY  WRITE 12345 08:01:1234 0 EOF"; a waiter's
		// line has "->" after the number.
		if len(fs) < 6 || fs[1] == "->" || fs[1] != "FLOCK" || fs[5] != want {
			continue
		}
		pid, err := strconv.Atoi(fs[4])
		if err != nil || pid == os.Getpid() {
			continue
		}
		who = append(who, describeProcess(pid))
	}
	if len(who) == 0 {
		return "another process"
	}
	return strings.Join(who, ", ")
}

// describeProcess is "pid N (its command line, shortened)".
func describeProcess(pid int) string {
	cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	c := strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))
	if len(c) > 80 {
		c = c[:77] + "..."
	}
	if c == "" {
		return fmt.Sprintf("pid %d", pid)
	}
	return fmt.Sprintf("pid %d (%s)", pid, c)
}

type noticesKey struct{}

// WithNotices returns a context whose VCP operations write notices for
// people (a wait for the state lock) to w: the CLI passes stderr, a kernel
// the running cell's stderr.
func WithNotices(ctx context.Context, w io.Writer) context.Context {
	return context.WithValue(ctx, noticesKey{}, w)
}

func notify(ctx context.Context, msg string) {
	if w, ok := ctx.Value(noticesKey{}).(io.Writer); ok && w != nil {
		fmt.Fprintln(w, msg)
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
		if e.IsDir() && nameRE().MatchString(e.Name()) {
			if _, err := os.Stat(s.groupFile(e.Name())); err == nil {
				names = append(names, e.Name())
			}
		}
	}
	sort.Strings(names)
	return names, nil
}

// Group reads the named group under a shared lock; (nil, nil) if absent.
func (s *Store) Group(ctx context.Context, name string) (*GroupRecord, error) {
	unlock, err := s.lock(ctx, lockShared)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.readGroup(name)
}

// Groups reads every recorded group under a shared lock. A group whose
// file is corrupt does not hide the others: it is returned in bad.
func (s *Store) Groups(ctx context.Context) (gs []*GroupRecord, bad []*CorruptStateError, err error) {
	unlock, err := s.lock(ctx, lockShared)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	return s.allGroups()
}

// allGroups reads every group; corrupt ones are returned apart, with the
// name of their directory in CorruptStateError.Group.
func (s *Store) allGroups() ([]*GroupRecord, []*CorruptStateError, error) {
	names, err := s.GroupNames()
	if err != nil {
		return nil, nil, err
	}
	var gs []*GroupRecord
	var bad []*CorruptStateError
	for _, n := range names {
		g, err := s.readGroup(n)
		var ce *CorruptStateError
		if errors.As(err, &ce) {
			ce.Group = n
			bad = append(bad, ce)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if g != nil {
			gs = append(gs, g)
		}
	}
	return gs, bad, nil
}

// addressRE finds node addresses in a group file that does not parse.
var addressRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`"address"\s*:\s*"([0-9A-Za-z.:\[\]-]{1,64})"`) })

// salvage is what allocation must still avoid of a corrupt group: the node
// addresses its file mentions, as a group record of its own.
func salvage(ce *CorruptStateError) *GroupRecord {
	data, _ := os.ReadFile(ce.Path)
	u := &UnitRecord{Name: "salvaged"}
	for _, m := range addressRE().FindAllSubmatch(data, -1) {
		u.Nodes = append(u.Nodes, &NodeRecord{Address: string(m[1])})
	}
	return &GroupRecord{Name: ce.Group, Units: []*UnitRecord{u}}
}

// update reads the named group under the lock, lets fn change it and writes
// it back (unless fn returns an error). When the group is absent fn gets
// nil; returning a non-nil record then creates it. all holds every group
// for allocations that must be unique across the state (a corrupt group
// other than name is there with the addresses its file still shows).
func (s *Store) update(ctx context.Context, name string, fn func(g *GroupRecord, all []*GroupRecord) (*GroupRecord, error)) (*GroupRecord, error) {
	unlock, err := s.lock(ctx, lockExclusive)
	if err != nil {
		return nil, err
	}
	defer unlock()
	all, bad, err := s.allGroups()
	if err != nil {
		return nil, err
	}
	for _, ce := range bad {
		if ce.Group == name {
			return nil, ce
		}
		all = append(all, salvage(ce))
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
	unlock, err := s.lock(ctx, lockExclusive)
	if err != nil {
		return err
	}
	defer unlock()
	if err := os.RemoveAll(s.GroupDir(name)); err != nil {
		return fmt.Errorf("remove unit group %q from state: %w", name, err)
	}
	return nil
}

// quarantineDir is where the files of corrupt groups go on `vcp rm`.
func (s *Store) quarantineDir() string { return filepath.Join(s.Dir, "quarantine") }

// quarantineGroup moves the directory of a group whose file is corrupt to
// STATE/quarantine/GROUP-TIME, under the lock, after stop has ended what
// still runs of it. It returns the new place. The group's name is then free.
func (s *Store) quarantineGroup(ctx context.Context, name string, stop func() error) (string, error) {
	unlock, err := s.lock(ctx, lockExclusive)
	if err != nil {
		return "", err
	}
	defer unlock()
	g, err := s.readGroup(name)
	var ce *CorruptStateError
	if !errors.As(err, &ce) {
		if err == nil && g == nil {
			return "", fmt.Errorf("unit group %q %w", name, ErrNotFound)
		}
		return "", fmt.Errorf("unit group %q is no longer corrupt: remove it again", name)
	}
	if err := stop(); err != nil {
		return "", err
	}
	if err := os.MkdirAll(s.quarantineDir(), 0o700); err != nil {
		return "", fmt.Errorf("quarantine unit group %q: %w", name, err)
	}
	dst := filepath.Join(s.quarantineDir(), name+"-"+time.Now().UTC().Format("20060102T150405.000000000Z"))
	if err := os.Rename(s.GroupDir(name), dst); err != nil {
		return "", fmt.Errorf("quarantine unit group %q: %w", name, err)
	}
	return dst, nil
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
