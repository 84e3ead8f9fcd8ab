package vcp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Manager does the work behind the SDK and the `ocs vcp` verbs on one state
// directory. It is safe for concurrent use, also across processes.
type Manager struct {
	Store *Store
	// NodeCommand starts local node processes; default: this executable.
	NodeCommand NodeCommand
	// BootParallel bounds how many nodes boot at once (default 32).
	BootParallel int
	// Progress is how often long operations log progress (default 5s).
	Progress time.Duration
	// afterBoot, if set, runs after each node boot (tests slow boots down).
	afterBoot func()
}

// NewManager opens the state directory stateDir ("" for the default).
func NewManager(stateDir string) (*Manager, error) {
	st, err := OpenStore(stateDir)
	if err != nil {
		return nil, err
	}
	nc, err := defaultNodeCommand()
	if err != nil {
		return nil, err
	}
	return &Manager{Store: st, NodeCommand: nc}, nil
}

func newID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

func (m *Manager) env(group string, u *UnitRecord, n *NodeRecord) *NodeEnv {
	pub, _ := os.ReadFile(m.Store.GroupKeyPath(group) + ".pub")
	secret, missing := secretEnv(m.Store.Dir, group, u)
	return &NodeEnv{
		Group: group, Unit: u, Dir: m.Store.NodeDir(group, n.ID),
		GroupKeyPath: m.Store.GroupKeyPath(group), GroupKeyPub: strings.TrimSpace(string(pub)),
		NodeCommand: m.NodeCommand, SecretEnv: secret, MissingEnv: missing,
	}
}

// CreateGroup records a new unit group and makes its SSH key.
func (m *Manager) CreateGroup(ctx context.Context, name string) (*GroupRecord, error) {
	if err := checkName("unit group", name); err != nil {
		return nil, err
	}
	g, err := m.Store.update(ctx, name, func(g *GroupRecord, _ []*GroupRecord) (*GroupRecord, error) {
		if g != nil {
			return nil, fmt.Errorf("unit group %q already exists", name)
		}
		if err := os.MkdirAll(m.Store.GroupDir(name), 0o700); err != nil {
			return nil, fmt.Errorf("create unit group %q: %w", name, err)
		}
		if _, err := ensureKeyFile(m.Store.GroupKeyPath(name), "ocs-ugroup-"+name); err != nil {
			return nil, fmt.Errorf("create unit group %q: %w", name, err)
		}
		return &GroupRecord{Name: name, ID: newID(), Created: time.Now().UTC()}, nil
	})
	if err != nil {
		return nil, err
	}
	return g, m.Store.writeAccess(g)
}

// Group returns the recorded group, or nil when there is none.
func (m *Manager) Group(ctx context.Context, name string) (*GroupRecord, error) {
	return m.Store.Group(ctx, name)
}

// UnitRequest describes a unit to create.
type UnitRequest struct {
	Group, Unit, Provider, Flavor string
	Spec                          SpecRecord
	// AskedProvider is the provider the template named, when a mapping
	// runs the unit on Provider instead.
	AskedProvider string
}

// CreateUnit records a unit and its nodes, then boots them, blocking until
// they run. A node that fails to boot stays recorded in state ERROR.
func (m *Manager) CreateUnit(ctx context.Context, r UnitRequest) (*UnitRecord, error) {
	if err := checkName("unit", r.Unit); err != nil {
		return nil, err
	}
	p, err := LookupProvider(r.Provider)
	if err != nil {
		return nil, err
	}
	n := r.Spec.NumNodes
	if n == 0 {
		n = max(1, len(r.Spec.IPAddresses))
	}
	var nodes []*NodeRecord
	var unit *UnitRecord
	_, err = m.Store.update(ctx, r.Group, func(g *GroupRecord, all []*GroupRecord) (*GroupRecord, error) {
		if g == nil {
			return nil, fmt.Errorf("unit group %q %w", r.Group, ErrNotFound)
		}
		if g.unit(r.Unit) != nil {
			return nil, fmt.Errorf("unit %q already exists in unit group %q", r.Unit, r.Group)
		}
		spec := r.Spec
		spec.ParamsE, spec.WithheldE = splitParamsE(r.Spec.ParamsE)
		holdSecretEnv(m.Store.Dir, r.Group, r.Unit, r.Spec.ParamsE)
		u := &UnitRecord{Name: r.Unit, Provider: p.Name(), AskedProvider: r.AskedProvider, Flavor: r.Flavor, Created: time.Now().UTC(), Spec: spec, NextNo: 1}
		var err error
		if nodes, err = m.plan(p, g, u, all, n, &r.Spec); err != nil {
			return nil, fmt.Errorf("create unit %q: %w", r.Unit, err)
		}
		g.Units = append(g.Units, u)
		unit = u
		return g, nil
	})
	if err != nil {
		return nil, err
	}
	err = m.boot(ctx, r.Group, unit, p, nodes, "BOOTING")
	u, gerr := m.unitRecord(ctx, r.Group, r.Unit)
	if err != nil {
		return u, fmt.Errorf("create unit %q: %w", r.Unit, err)
	}
	return u, gerr
}

// plan allocates n node records in u (not yet booted).
func (m *Manager) plan(p Provider, g *GroupRecord, u *UnitRecord, all []*GroupRecord, n int, spec *SpecRecord) ([]*NodeRecord, error) {
	used := map[string]bool{}
	for _, og := range all {
		for _, ou := range og.Units {
			for _, on := range ou.Nodes {
				used[on.Address] = true
			}
		}
	}
	for _, on := range u.Nodes { // not yet written
		used[on.Address] = true
	}
	var addrs, notes []string
	var ids []string
	planIDs := func(used map[string]bool) (map[string]string, error) {
		var err error
		if addrs, notes, err = p.Plan(spec, n, used); err != nil {
			return nil, err
		}
		chosen := map[string]string{}
		for _, a := range addrs {
			id := newID()
			ids = append(ids, id)
			chosen[a] = id
		}
		return chosen, nil
	}
	if _, hostWide := p.(loopbackAllocator); hostWide {
		book, err := openAddressBook()
		if err != nil {
			return nil, err
		}
		if err := book.claim(m.Store.Dir, g.Name, used, planIDs); err != nil {
			return nil, err
		}
	} else if _, err := planIDs(used); err != nil {
		return nil, err
	}
	usr := currentUser()
	if spec.UserName != "" {
		if p.Name() == "local" && spec.UserName != usr {
			notes = append(notes, fmt.Sprintf("user_name %q not used: local nodes run as %q", spec.UserName, usr))
		} else {
			usr = spec.UserName
		}
	}
	var nodes []*NodeRecord
	for i, a := range addrs {
		no := u.NextNo
		u.NextNo++
		nd := &NodeRecord{
			No: no, ID: ids[i], Name: fmt.Sprintf("%s-%s-%d", g.Name, u.Name, no), Address: a,
			User: usr, State: StateBooting, Notes: notes, Created: time.Now().UTC(),
		}
		u.Nodes = append(u.Nodes, nd)
		nodes = append(nodes, nd)
	}
	return nodes, nil
}

// boot boots the recorded nodes in parallel and records each result.
func (m *Manager) boot(ctx context.Context, group string, u *UnitRecord, p Provider, nodes []*NodeRecord, verb string) error {
	log := zerolog.Ctx(ctx)
	for _, note := range nodeNotes(nodes) {
		log.Warn().Str("ugroup", group).Str("unit", u.Name).Str("note", note).Msg("spec field not honoured")
	}
	return m.each(ctx, group, u, nodes, verb, func(n *NodeRecord) error {
		err := p.Boot(ctx, m.env(group, u, n), n)
		if err != nil {
			n.State = StateError
		}
		if m.afterBoot != nil {
			m.afterBoot()
		}
		return err
	})
}

func nodeNotes(nodes []*NodeRecord) []string {
	var out []string
	for _, n := range nodes {
		for _, s := range n.Notes {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// each runs op on copies of nodes in parallel, records every changed node
// and logs progress; its error names each node that failed.
func (m *Manager) each(ctx context.Context, group string, u *UnitRecord, nodes []*NodeRecord, verb string, op func(n *NodeRecord) error) error {
	log := zerolog.Ctx(ctx)
	par := m.BootParallel
	if par <= 0 {
		par = 32
	}
	every := m.Progress
	if every <= 0 {
		every = 5 * time.Second
	}
	start := time.Now()
	log.Info().Str("ugroup", group).Str("unit", u.Name).Int("nodes", len(nodes)).Int("sec", 0).Msg(verb)
	sem := make(chan struct{}, par)
	var mu sync.Mutex
	var errs []error
	done := 0
	finished := make(chan struct{})
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-finished:
				return
			case <-t.C:
				mu.Lock()
				d := done
				mu.Unlock()
				log.Info().Str("ugroup", group).Str("unit", u.Name).Int("done", d).Int("nodes", len(nodes)).
					Int("sec", int(time.Since(start).Seconds())).Msg(verb)
			}
		}
	}()
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			c := *n
			err := op(&c)
			rerr := m.recordNode(context.WithoutCancel(ctx), group, u.Name, &c)
			mu.Lock()
			done++
			if err != nil {
				errs = append(errs, fmt.Errorf("node %q: %w", n.Name, err))
			}
			if rerr != nil {
				errs = append(errs, rerr)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(finished)
	if g, err := m.Store.Group(context.WithoutCancel(ctx), group); err == nil && g != nil {
		if err := m.Store.writeAccess(g); err != nil {
			errs = append(errs, err)
		}
	}
	log.Info().Str("ugroup", group).Str("unit", u.Name).Int("nodes", len(nodes)).Int("failed", len(errs)).
		Dur("took", time.Since(start)).Msg(verb + " done")
	return errors.Join(errs...)
}

// recordNode writes n's new fields into the state.
func (m *Manager) recordNode(ctx context.Context, group, unit string, n *NodeRecord) error {
	_, err := m.Store.update(ctx, group, func(g *GroupRecord, _ []*GroupRecord) (*GroupRecord, error) {
		if g == nil || g.unit(unit) == nil {
			return nil, fmt.Errorf("record node %q: unit %q of group %q is gone", n.Name, unit, group)
		}
		u := g.unit(unit)
		for i, o := range u.Nodes {
			if o.ID == n.ID {
				c := *n
				u.Nodes[i] = &c
				return g, nil
			}
		}
		return nil, fmt.Errorf("record node %q: not in unit %q", n.Name, unit)
	})
	return err
}

func (m *Manager) unitRecord(ctx context.Context, group, unit string) (*UnitRecord, error) {
	g, err := m.Store.Group(ctx, group)
	if err != nil {
		return nil, err
	}
	if g == nil || g.unit(unit) == nil {
		return nil, fmt.Errorf("unit %q of unit group %q %w", unit, group, ErrNotFound)
	}
	return g.unit(unit), nil
}

// Selection picks nodes of a unit. Empty means the default of the
// operation (AddNodes: 1 node; DeleteNodes: the last node; power: all).
type Selection struct {
	IPAddresses []string `json:"ip_addresses,omitempty"`
	NodeNos     []int    `json:"node_nos,omitempty"`
	Count       int      `json:"count,omitempty"`
}

func (s Selection) empty() bool {
	return len(s.IPAddresses) == 0 && len(s.NodeNos) == 0 && s.Count == 0
}

// pick returns the selected nodes; Count takes nodes that pass want, from
// the end of the unit when fromEnd.
func (s Selection) pick(u *UnitRecord, want func(*NodeRecord) bool, fromEnd bool) ([]*NodeRecord, error) {
	var out []*NodeRecord
	add := func(n *NodeRecord) {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	for _, ip := range s.IPAddresses {
		found := false
		for _, n := range u.Nodes {
			if n.Address == ip || fmt.Sprintf("%s:%d", n.Address, n.Port) == ip {
				add(n)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("unit %q has no node with address %q", u.Name, ip)
		}
	}
	for _, no := range s.NodeNos {
		n := u.node(no)
		if n == nil {
			return nil, fmt.Errorf("unit %q has no node number %d", u.Name, no)
		}
		add(n)
	}
	if s.Count > 0 {
		cands := slices.Clone(u.Nodes)
		if fromEnd {
			slices.Reverse(cands)
		}
		k := 0
		for _, n := range cands {
			if k < s.Count && !slices.Contains(out, n) && want(n) {
				add(n)
				k++
			}
		}
		if k < s.Count {
			return nil, fmt.Errorf("unit %q has only %d node(s) that can be selected, %d asked for", u.Name, k, s.Count)
		}
	}
	return out, nil
}

// AddNodes adds count nodes to a unit (or one per address for onpremises)
// and boots them.
func (m *Manager) AddNodes(ctx context.Context, group, unit string, count int, ips []string) ([]*NodeRecord, error) {
	var nodes []*NodeRecord
	var ur *UnitRecord
	var p Provider
	_, err := m.Store.update(ctx, group, func(g *GroupRecord, all []*GroupRecord) (*GroupRecord, error) {
		if g == nil || g.unit(unit) == nil {
			return nil, fmt.Errorf("unit %q of unit group %q %w", unit, group, ErrNotFound)
		}
		u := g.unit(unit)
		var err error
		if p, err = LookupProvider(u.Provider); err != nil {
			return nil, err
		}
		spec := u.Spec
		spec.IPAddresses = ips
		n := count
		if n == 0 {
			n = max(1, len(ips))
		}
		if nodes, err = m.plan(p, g, u, all, n, &spec); err != nil {
			return nil, fmt.Errorf("add nodes to unit %q: %w", unit, err)
		}
		ur = u
		return g, nil
	})
	if err != nil {
		return nil, err
	}
	err = m.boot(ctx, group, ur, p, nodes, "INDEFINITE")
	return m.refetch(ctx, group, unit, nodes), err
}

// refetch returns the current records of nodes.
func (m *Manager) refetch(ctx context.Context, group, unit string, nodes []*NodeRecord) []*NodeRecord {
	u, err := m.unitRecord(context.WithoutCancel(ctx), group, unit)
	if err != nil {
		return nodes
	}
	var out []*NodeRecord
	for _, n := range nodes {
		for _, c := range u.Nodes {
			if c.ID == n.ID {
				out = append(out, c)
			}
		}
	}
	return out
}

// DeleteNodes deletes the selected nodes (default: the last one).
func (m *Manager) DeleteNodes(ctx context.Context, group, unit string, sel Selection) ([]*NodeRecord, error) {
	if sel.empty() {
		sel.Count = 1
	}
	var picked []*NodeRecord
	var ur *UnitRecord
	_, err := m.Store.update(ctx, group, func(g *GroupRecord, _ []*GroupRecord) (*GroupRecord, error) {
		if g == nil || g.unit(unit) == nil {
			return nil, fmt.Errorf("unit %q of unit group %q %w", unit, group, ErrNotFound)
		}
		ur = g.unit(unit)
		var err error
		picked, err = sel.pick(ur, func(*NodeRecord) bool { return true }, true)
		for _, n := range picked {
			n.State = StateDeleting
		}
		return g, err
	})
	if err != nil {
		return nil, err
	}
	return picked, m.deleteRecorded(ctx, group, ur, picked)
}

// deleteRecorded deletes nodes already marked DELETING and drops their
// records; a node that fails to go stays recorded.
func (m *Manager) deleteRecorded(ctx context.Context, group string, u *UnitRecord, nodes []*NodeRecord) error {
	p, err := LookupProvider(u.Provider)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var gone []string
	err = m.each(ctx, group, u, nodes, "DELETING", func(n *NodeRecord) error {
		if err := p.Delete(context.WithoutCancel(ctx), m.env(group, u, n), n); err != nil {
			return err
		}
		mu.Lock()
		gone = append(gone, n.ID)
		mu.Unlock()
		return nil
	})
	g, uerr := m.Store.update(context.WithoutCancel(ctx), group, func(g *GroupRecord, _ []*GroupRecord) (*GroupRecord, error) {
		if g == nil {
			return nil, nil
		}
		if cu := g.unit(u.Name); cu != nil {
			cu.Nodes = slices.DeleteFunc(cu.Nodes, func(n *NodeRecord) bool { return slices.Contains(gone, n.ID) })
		}
		return g, nil
	})
	if uerr == nil && g != nil {
		uerr = m.Store.writeAccess(g)
	}
	if _, hostWide := p.(loopbackAllocator); hostWide && len(gone) > 0 {
		if book, berr := openAddressBook(); berr == nil {
			// A claim left behind is dropped later all the same, once its
			// node is found gone from the state.
			_ = book.release(m.Store.Dir, gone)
		}
	}
	return errors.Join(err, uerr)
}

// Power turns the selected nodes (default: all) on or off.
func (m *Manager) Power(ctx context.Context, group, unit string, sel Selection, on bool) ([]*NodeRecord, error) {
	u, err := m.unitRecord(ctx, group, unit)
	if err != nil {
		return nil, err
	}
	p, err := LookupProvider(u.Provider)
	if err != nil {
		return nil, err
	}
	want := func(n *NodeRecord) bool { return n.State == StateRunning }
	if on {
		want = func(n *NodeRecord) bool { return n.State == StatePowerOff }
	}
	var picked []*NodeRecord
	if sel.empty() {
		picked = u.Nodes
	} else if picked, err = sel.pick(u, want, !on); err != nil {
		return nil, err
	}
	verb := "POWERING_OFF"
	if on {
		verb = "POWERING_ON"
	}
	err = m.each(ctx, group, u, picked, verb, func(n *NodeRecord) error {
		if on {
			return p.PowerOn(ctx, m.env(group, u, n), n)
		}
		return p.PowerOff(ctx, m.env(group, u, n), n)
	})
	return m.refetch(ctx, group, unit, picked), err
}

// DeleteUnit deletes a unit. Without force it refuses while the unit has
// nodes; with force it deletes them first.
func (m *Manager) DeleteUnit(ctx context.Context, group, unit string, force bool) error {
	var ur *UnitRecord
	_, err := m.Store.update(ctx, group, func(g *GroupRecord, _ []*GroupRecord) (*GroupRecord, error) {
		if g == nil || g.unit(unit) == nil {
			return nil, fmt.Errorf("unit %q of unit group %q %w", unit, group, ErrNotFound)
		}
		ur = g.unit(unit)
		if len(ur.Nodes) > 0 && !force {
			return nil, fmt.Errorf("unit %q has %d node(s); delete them first or use force", unit, len(ur.Nodes))
		}
		for _, n := range ur.Nodes {
			n.State = StateDeleting
		}
		return g, nil
	})
	if err != nil {
		return err
	}
	if err := m.deleteRecorded(ctx, group, ur, ur.Nodes); err != nil {
		return fmt.Errorf("delete unit %q: %w", unit, err)
	}
	g, err := m.Store.update(context.WithoutCancel(ctx), group, func(g *GroupRecord, _ []*GroupRecord) (*GroupRecord, error) {
		if g == nil {
			return nil, nil
		}
		g.Units = slices.DeleteFunc(g.Units, func(u *UnitRecord) bool { return u.Name == unit })
		return g, nil
	})
	if err == nil && g != nil {
		err = m.Store.writeAccess(g)
	}
	return err
}

// RemoveGroup deletes every node and unit of the group, then the group
// with its keys and files. What could not be deleted stays recorded. A
// group whose state file is corrupt is quarantined (see Remove).
func (m *Manager) RemoveGroup(ctx context.Context, group string) error {
	_, err := m.Remove(ctx, group)
	return err
}

// Removal says what Remove did.
type Removal struct {
	Group string `json:"ugroup"`
	// Quarantined is where the files of a group whose state file was
	// corrupt were moved ("" for a group removed normally).
	Quarantined string `json:"quarantined,omitempty"`
	// Stopped counts the node processes of a quarantined group ended.
	Stopped int `json:"stopped_processes,omitempty"`
}

// Remove is RemoveGroup saying what it did. For a group whose state file
// is corrupt it ends every node process it finds under the group's
// directory (through /proc), moves the directory to STATE/quarantine and
// frees the group's addresses; the name can then be used again.
func (m *Manager) Remove(ctx context.Context, group string) (*Removal, error) {
	g, err := m.Store.Group(ctx, group)
	var ce *CorruptStateError
	if errors.As(err, &ce) {
		return m.removeCorrupt(ctx, group)
	}
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, fmt.Errorf("unit group %q %w", group, ErrNotFound)
	}
	var errs []error
	for i := len(g.Units) - 1; i >= 0; i-- {
		if err := m.DeleteUnit(context.WithoutCancel(ctx), group, g.Units[i].Name, true); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("remove unit group %q: %w", group, errors.Join(errs...))
	}
	if err := m.Store.removeGroup(context.WithoutCancel(ctx), group); err != nil {
		return nil, err
	}
	return &Removal{Group: group}, nil
}

func (m *Manager) removeCorrupt(ctx context.Context, group string) (*Removal, error) {
	r := &Removal{Group: group}
	ctx = context.WithoutCancel(ctx)
	dst, err := m.Store.quarantineGroup(ctx, group, func() error {
		dirs := nodeDirsRunning(m.Store.GroupDir(group) + string(filepath.Separator))
		var errs []error
		for _, dir := range dirs {
			r.Stopped += len(findNodeProcesses(0, dir))
			if err := stopNodeProcesses(ctx, 0, dir, 3*time.Second); err != nil {
				errs = append(errs, fmt.Errorf("stop node process of %q: %w", dir, err))
			}
		}
		return errors.Join(errs...)
	})
	if err != nil {
		return nil, fmt.Errorf("remove unit group %q (its state file is corrupt): %w", group, err)
	}
	r.Quarantined = dst
	if book, err := openAddressBook(); err == nil {
		_ = book.releaseGroup(m.Store.Dir, group)
	}
	return r, nil
}

// NodeView is a node with its live state, as listings show it.
type NodeView struct {
	UGroup        string `json:"ugroup"`
	Unit          string `json:"unit"`
	Provider      string `json:"provider"`
	AskedProvider string `json:"asked_provider,omitempty"`
	NodeRecord
	Live string `json:"live_state"`
}

// Nodes lists the group's nodes with their live state.
func (m *Manager) Nodes(ctx context.Context, g *GroupRecord) []NodeView {
	var out []NodeView
	for _, u := range g.Units {
		p, perr := LookupProvider(u.Provider)
		for _, n := range u.Nodes {
			live := "UNKNOWN"
			if perr == nil {
				live = p.Status(ctx, m.env(g.Name, u, n), n)
			}
			out = append(out, NodeView{UGroup: g.Name, Unit: u.Name, Provider: u.Provider, AskedProvider: u.AskedProvider, NodeRecord: *n, Live: live})
		}
	}
	return out
}

// Targets returns the SSH targets of a group's nodes that are recorded as
// reachable; unit "" means every unit and no 0 every node.
func (m *Manager) Targets(ctx context.Context, group, unit string, no int) ([]Target, error) {
	g, err := m.Store.Group(ctx, group)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, fmt.Errorf("unit group %q %w", group, ErrNotFound)
	}
	var ts []Target
	for _, u := range g.Units {
		if unit != "" && u.Name != unit {
			continue
		}
		for _, n := range u.Nodes {
			if no != 0 && n.No != no {
				continue
			}
			if n.HostKey == "" || n.Port == 0 || n.State == StatePowerOff {
				continue
			}
			ts = append(ts, Target{
				Name: fmt.Sprintf("%s/%s/%d", g.Name, u.Name, n.No), Address: n.Address, Port: n.Port,
				User: n.User, KeyFile: m.Store.nodeKeyFile(g.Name, u), HostKey: n.HostKey,
			})
		}
	}
	if len(ts) == 0 {
		t := group
		if unit != "" {
			t += "/" + unit
		}
		if no != 0 {
			t += fmt.Sprintf("/%d", no)
		}
		return nil, fmt.Errorf("no reachable node matches %q: %w", t, ErrNotFound)
	}
	return ts, nil
}
