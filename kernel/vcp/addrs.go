package vcp

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The loopback addresses of local nodes are claimed in one address book per
// user and host, in the runtime directory, so that two state directories
// never hand out the same address. The state directory alone cannot do it:
// each one only knows its own nodes.

// RuntimeDir is the private directory of ocs's host-wide files:
// $OCS_RUNTIME_DIR, else $XDG_RUNTIME_DIR/ocs, else /run/ocs for root,
// else /tmp/ocs-UID. It is created with mode 0700 and refused when it is a
// symbolic link, belongs to another user or is open to others.
func RuntimeDir() (string, error) {
	dir := os.Getenv("OCS_RUNTIME_DIR")
	switch {
	case dir != "":
	case os.Getenv("XDG_RUNTIME_DIR") != "":
		dir = filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "ocs")
	case os.Geteuid() == 0:
		dir = "/run/ocs"
	default:
		dir = filepath.Join(os.TempDir(), "ocs-"+strconv.Itoa(os.Geteuid()))
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", fmt.Errorf("create runtime directory %q: %w", dir, err)
		}
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return "", fmt.Errorf("runtime directory %q: %w", dir, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || !ok || int(st.Uid) != os.Geteuid() || fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("runtime directory %q is not a private directory of this user (want a directory, not a link, owned by uid %d, mode 0700): refusing to keep node addresses there", dir, os.Geteuid())
	}
	return dir, nil
}

// addressClaim says who holds a loopback address.
type addressClaim struct {
	StateDir string    `json:"state_dir"`
	Group    string    `json:"ugroup"`
	NodeID   string    `json:"node_id"`
	Since    time.Time `json:"since"`
}

type addressFile struct {
	Version int                      `json:"version"`
	Claims  map[string]*addressClaim `json:"claims"`
}

// claimGrace is how long a new claim is kept even though its node is not
// in its state file yet (the manager writes the node right after planning).
var claimGrace = time.Minute

// addressBook is addresses.json in the runtime directory, changed under
// flock on addresses.lock.
type addressBook struct{ dir string }

func openAddressBook() (*addressBook, error) {
	dir, err := RuntimeDir()
	if err != nil {
		return nil, err
	}
	return &addressBook{dir: dir}, nil
}

func (b *addressBook) path() string { return filepath.Join(b.dir, "addresses.json") }

// change runs fn on the book under its lock and writes it back when fn
// reports a change. Claims whose node is gone are dropped first.
func (b *addressBook) change(fn func(claims map[string]*addressClaim) bool) error {
	lockPath := filepath.Join(b.dir, "addresses.lock")
	f, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("open address book lock %q: %w", lockPath, err)
	}
	defer f.Close()
	// Held for a read-modify-write of a small file only.
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lock address book %q: %w", lockPath, err)
	}
	defer func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }()
	book := addressFile{Version: 1, Claims: map[string]*addressClaim{}}
	data, err := os.ReadFile(b.path())
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("read address book %q: %w", b.path(), err)
	default:
		if err := json.Unmarshal(data, &book); err != nil || book.Claims == nil {
			// The book only speeds up and protects allocation; a damaged
			// one is rebuilt from scratch rather than blocking every run.
			book = addressFile{Version: 1, Claims: map[string]*addressClaim{}}
		}
	}
	changed := false
	for a, c := range book.Claims {
		if c == nil || claimStale(c) {
			delete(book.Claims, a)
			changed = true
		}
	}
	if fn(book.Claims) {
		changed = true
	}
	if !changed {
		return nil
	}
	out, err := json.MarshalIndent(book, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(b.path(), append(out, '\n'), 0o600)
}

// claimStale reports whether a claim's node is no longer recorded in its
// state directory. A group file that cannot be read keeps its claims.
func claimStale(c *addressClaim) bool {
	if time.Since(c.Since) < claimGrace {
		return false
	}
	path := filepath.Join(c.StateDir, "ugroups", c.Group, "ugroup.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return true
	}
	if err != nil {
		return false
	}
	g, err := parseGroup(data)
	if err != nil {
		return false
	}
	for _, u := range g.Units {
		for _, n := range u.Nodes {
			if n.ID == c.NodeID {
				return false
			}
		}
	}
	return true
}

// claim adds to used every address claimed on this host, lets plan choose
// addresses for new nodes, and claims what it chose for stateDir.
func (b *addressBook) claim(stateDir, group string, used map[string]bool, plan func(used map[string]bool) (map[string]string, error)) error {
	var perr error
	err := b.change(func(claims map[string]*addressClaim) bool {
		for a := range claims {
			used[a] = true
		}
		var chosen map[string]string // address -> node id
		if chosen, perr = plan(used); perr != nil {
			return false
		}
		now := time.Now().UTC()
		for a, id := range chosen {
			claims[a] = &addressClaim{StateDir: stateDir, Group: group, NodeID: id, Since: now}
		}
		return len(chosen) > 0
	})
	if perr != nil {
		return perr
	}
	return err
}

// release drops the claims of the given nodes of stateDir.
func (b *addressBook) release(stateDir string, nodeIDs []string) error {
	if len(nodeIDs) == 0 {
		return nil
	}
	return b.drop(func(c *addressClaim) bool { return c.StateDir == stateDir && slices.Contains(nodeIDs, c.NodeID) })
}

// releaseGroup drops every claim of a group of stateDir.
func (b *addressBook) releaseGroup(stateDir, group string) error {
	return b.drop(func(c *addressClaim) bool { return c.StateDir == stateDir && c.Group == group })
}

func (b *addressBook) drop(match func(*addressClaim) bool) error {
	return b.change(func(claims map[string]*addressClaim) bool {
		changed := false
		for a, c := range claims {
			if match(c) {
				delete(claims, a)
				changed = true
			}
		}
		return changed
	})
}

// PortTakenError says that a node's address and port are held by a
// program that is not the node.
type PortTakenError struct {
	Address string
	Port    int
	Holder  string // "pid 123 (nc)" when it could be found
}

func (e *PortTakenError) Error() string {
	who := "another program"
	if e.Holder != "" {
		who = e.Holder
	}
	return fmt.Sprintf("address %s port %d is taken by %s, not by this node: free it, or delete the node and add another", e.Address, e.Port, who)
}

// portHolder names the process listening on address:port (TCP, IPv4), or
// returns "" when it cannot be found (another user's process, no /proc).
func portHolder(address string, port int) string {
	ip := net.ParseIP(address).To4()
	if ip == nil {
		return ""
	}
	// /proc/net/tcp writes the address as a host-order (little endian)
	// 32-bit hex number, then the port in hex.
	want := fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], port)
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return ""
	}
	defer f.Close()
	inode := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) > 9 && fs[1] == want && fs[3] == "0A" { // 0A: LISTEN
			inode = fs[9]
			break
		}
	}
	if inode == "" || inode == "0" {
		return ""
	}
	link := "socket:[" + inode + "]"
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		fds, _ := os.ReadDir(filepath.Join("/proc", p.Name(), "fd"))
		for _, fd := range fds {
			if l, err := os.Readlink(filepath.Join("/proc", p.Name(), "fd", fd.Name())); err == nil && l == link {
				comm, _ := os.ReadFile(filepath.Join("/proc", p.Name(), "comm"))
				return fmt.Sprintf("pid %d (%s)", pid, string(bytes.TrimSpace(comm)))
			}
		}
	}
	return ""
}
