package vcp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options configure an SDK. The zero value is the default: the state
// directory from the environment, a pass-through gateway and a background
// context.
type Options struct {
	// StateDir is the state directory; "" means DefaultStateDir().
	StateDir string
	// Gateway carries every operation; nil means PassThrough.
	Gateway Gateway
	// Context returns the context of each SDK call (the kernel returns the
	// running cell's, so that interrupting a cell stops a boot); nil means
	// context.Background.
	Context func() context.Context
	// NodeCommand starts local node processes; nil means this executable.
	NodeCommand *NodeCommand
	// Providers maps the providers templates name to those of this build
	// (--provider); nil means ProviderMapFromEnv().
	Providers ProviderMap
}

var (
	defaultsMu sync.Mutex
	defaults   Options
)

// SetDefaults sets the Options that New uses. The kernel calls it once in
// the process that runs cells.
func SetDefaults(o Options) {
	defaultsMu.Lock()
	defer defaultsMu.Unlock()
	defaults = o
}

// SDK is the entry point cells use, the Go form of VcpSDK.
type SDK struct {
	m         *Manager
	gw        Gateway
	ctxf      func() context.Context
	providers ProviderMap
}

// New returns an SDK with the default options (see SetDefaults). The token
// is accepted for compatibility with templates (VcpSDK(token)); the local
// and onpremises providers need none, and it is never stored or logged.
func New(token string) (*SDK, error) {
	defaultsMu.Lock()
	o := defaults
	defaultsMu.Unlock()
	return NewWithOptions(token, o)
}

// NewWithOptions returns an SDK configured by o.
func NewWithOptions(token string, o Options) (*SDK, error) {
	_ = token
	m, err := NewManager(o.StateDir)
	if err != nil {
		return nil, err
	}
	if o.NodeCommand != nil {
		m.NodeCommand = *o.NodeCommand
	}
	s := &SDK{m: m, gw: o.Gateway, ctxf: o.Context, providers: o.Providers}
	if s.providers == nil {
		if s.providers, err = ProviderMapFromEnv(); err != nil {
			return nil, err
		}
	}
	if s.gw == nil {
		s.gw = PassThrough{}
	}
	if s.ctxf == nil {
		s.ctxf = context.Background
	}
	return s, nil
}

// Manager returns the manager behind the SDK (for the kernel and the CLI).
func (s *SDK) Manager() *Manager { return s.m }

// call runs op through the gateway; live's value becomes the result map.
func (s *SDK) call(op string, args map[string]any, live func(ctx context.Context) (any, error)) (map[string]any, error) {
	return s.gw.Do(s.ctxf(), op, args, func(ctx context.Context) (map[string]any, error) {
		v, err := live(ctx)
		if v == nil {
			return nil, err
		}
		m, merr := jsonMap(v)
		if merr != nil {
			return nil, errors.Join(err, merr)
		}
		return m, err // a result with an error: the operation changed something, then failed
	})
}

// UnitGroup is a named set of units (VcpSDK's unit group).
type UnitGroup struct {
	Name    string    `json:"name"`
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	sdk     *SDK
}

// Unit is a set of nodes made from one spec.
type Unit struct {
	UGroup   string     `json:"ugroup"`
	Name     string     `json:"name"`
	Provider string     `json:"provider"`
	Flavor   string     `json:"flavor"`
	Created  time.Time  `json:"created"`
	Spec     SpecRecord `json:"spec"`
	// AskedProvider is the provider the template named when a mapping
	// ran the unit on Provider instead ("" when they are the same).
	AskedProvider string `json:"asked_provider,omitempty"`
	sdk           *SDK
}

// Node is one node as the SDK reports it; State is the live state
// (RUNNING, POWER_OFF, BOOTING, DOWN, ERROR).
type Node struct {
	UGroup               string   `json:"ugroup"`
	Unit                 string   `json:"unit"`
	Provider             string   `json:"provider"`
	AskedProvider        string   `json:"asked_provider,omitempty"`
	No                   int      `json:"no"`
	ID                   string   `json:"id"`
	Name                 string   `json:"name"`
	State                string   `json:"state"`
	CloudInstanceAddress string   `json:"cloud_instance_address"`
	Port                 int      `json:"port"`
	User                 string   `json:"user"`
	PID                  int      `json:"pid,omitempty"`
	Volumes              []string `json:"volumes,omitempty"`
	Notes                []string `json:"notes,omitempty"`
}

func groupOf(g *GroupRecord) UnitGroup { return UnitGroup{Name: g.Name, ID: g.ID, Created: g.Created} }

func unitOf(group string, u *UnitRecord) Unit {
	return Unit{UGroup: group, Name: u.Name, Provider: u.Provider, Flavor: u.Flavor, Created: u.Created, Spec: u.Spec, AskedProvider: u.AskedProvider}
}

func nodeOf(v NodeView, spec SpecRecord) Node {
	return Node{
		UGroup: v.UGroup, Unit: v.Unit, Provider: v.Provider, AskedProvider: v.AskedProvider, No: v.No, ID: v.ID, Name: v.Name, State: v.Live,
		CloudInstanceAddress: v.Address, Port: v.Port, User: v.User, PID: v.PID, Volumes: spec.ParamsV, Notes: v.Notes,
	}
}

// CreateUGroup creates the unit group name with its own SSH key. It fails
// if the group exists.
func (s *SDK) CreateUGroup(name string) (*UnitGroup, error) {
	res, err := s.call("vcp.create_ugroup", map[string]any{"name": name}, func(ctx context.Context) (any, error) {
		g, err := s.m.CreateGroup(ctx, name)
		if err != nil {
			return nil, err
		}
		return map[string]any{"ugroup": groupOf(g)}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.groupFrom(res)
}

func (s *SDK) groupFrom(res map[string]any) (*UnitGroup, error) {
	if res["ugroup"] == nil {
		return nil, nil
	}
	var g UnitGroup
	if err := fromMap(res, "ugroup", &g); err != nil {
		return nil, err
	}
	g.sdk = s
	return &g, nil
}

// GetUGroup returns the named unit group, or nil (and no error) if there is
// none.
func (s *SDK) GetUGroup(name string) (*UnitGroup, error) {
	res, err := s.call("vcp.get_ugroup", map[string]any{"name": name}, func(ctx context.Context) (any, error) {
		g, err := s.m.Group(ctx, name)
		if err != nil || g == nil {
			return map[string]any{"ugroup": nil}, err
		}
		return map[string]any{"ugroup": groupOf(g)}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.groupFrom(res)
}

// Spec describes the nodes of a unit: GetSpec returns one for a provider
// and flavor, the cell sets its fields and passes it to CreateUnit.
type Spec struct {
	Provider string `json:"provider"`
	Flavor   string `json:"flavor"`
	// Image is the node image (not used by local nodes: reported).
	Image string `json:"image,omitempty"`
	// ParamsE are KEY=VALUE pairs: the environment of a local node.
	ParamsE []string `json:"params_e,omitempty"`
	// ParamsV are volume mounts (not used by local nodes: reported).
	ParamsV []string `json:"params_v,omitempty"`
	// IPAddresses names the servers of onpremises ("host" or "host:port").
	IPAddresses []string `json:"ip_addresses,omitempty"`
	// NumNodes is how many nodes to create (default 1, or one per address).
	NumNodes int `json:"num_nodes,omitempty"`
	// UserName is the SSH user of onpremises servers.
	UserName string `json:"user_name,omitempty"`
	// SSHPubkey holds extra authorized public keys (see SetSSHPubkey).
	SSHPubkey string `json:"ssh_pubkey,omitempty"`
	// SSHKeyPath is the private key that reaches onpremises servers
	// (default: the unit group's key).
	SSHKeyPath string `json:"ssh_key_path,omitempty"`
	// KnownHostsPath pins onpremises host keys (default ~/.ssh/known_hosts).
	KnownHostsPath string `json:"known_hosts_path,omitempty"`
	sdk            *SDK
}

func (sp *Spec) record() SpecRecord {
	return SpecRecord{
		Image: sp.Image, ParamsE: slices.Clone(sp.ParamsE), ParamsV: slices.Clone(sp.ParamsV),
		IPAddresses: slices.Clone(sp.IPAddresses), NumNodes: sp.NumNodes, UserName: sp.UserName,
		SSHPubkey: sp.SSHPubkey, SSHKeyPath: sp.SSHKeyPath, KnownHostsPath: sp.KnownHostsPath,
	}
}

// GetSpec returns a new Spec for provider and flavor; an unknown provider
// or flavor is an error.
func (s *SDK) GetSpec(provider, flavor string) (*Spec, error) {
	res, err := s.call("vcp.get_spec", map[string]any{"provider": provider, "flavor": flavor}, func(ctx context.Context) (any, error) {
		// The flavor is the asked provider's; the provider it runs on
		// must be in this build.
		if _, err := LookupProvider(s.RunsOn(provider)); err != nil {
			if _, cloud := cloudFlavors[provider]; cloud {
				return nil, fmt.Errorf("%w; map it to one that is: ocs run --provider %s=local (or =onpremises)", err, provider)
			}
			return nil, err
		}
		if _, ok := FlavorAttrs(provider, flavor); ok {
			return map[string]any{"spec": Spec{Provider: provider, Flavor: flavor}}, nil
		}
		t, _ := FlavorTable(provider)
		return nil, fmt.Errorf("provider %q has no flavor %q (flavors: %s)", provider, flavor, strings.Join(t.Column("flavor"), ", "))
	})
	if err != nil {
		return nil, err
	}
	var sp Spec
	if err := fromMap(res, "spec", &sp); err != nil {
		return nil, err
	}
	sp.sdk = s
	return &sp, nil
}

// RunsOn is the provider a unit that asks for provider runs on, after the
// SDK's provider mapping.
func (s *SDK) RunsOn(provider string) string {
	to, _ := s.providers.Resolve(provider)
	return to
}

// ProviderMap returns the SDK's provider mapping.
func (s *SDK) ProviderMap() ProviderMap { return s.providers }

// SetSSHPubkey adds the public key(s) in the file at path to the keys that
// may log in to the unit's nodes.
func (sp *Spec) SetSSHPubkey(path string) error {
	if sp == nil {
		return errNil("spec", "SetSSHPubkey")
	}
	read := func(ctx context.Context) (any, error) {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read public key: %w", err)
		}
		var keys []string
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if _, err := parseAuthorizedKey(line); err != nil {
				return nil, fmt.Errorf("public key file %q: %w", path, err)
			}
			keys = append(keys, line)
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("public key file %q holds no key", path)
		}
		return map[string]any{"pubkey": strings.Join(keys, "\n")}, nil
	}
	var res map[string]any
	var err error
	if sp.sdk != nil {
		res, err = sp.sdk.call("vcp.read_pubkey", map[string]any{"path": path}, read)
	} else {
		var v any
		if v, err = read(context.Background()); err == nil {
			res, err = jsonMap(v)
		}
	}
	if err != nil {
		return err
	}
	var k string
	if err := fromMap(res, "pubkey", &k); err != nil {
		return err
	}
	sp.SSHPubkey = k
	return nil
}

// String shows the spec the way VcpSDK prints one (a YAML-like block).
func (sp *Spec) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "provider: %s\nflavor: %s\nnum_nodes: %d\nimage: %s\n", sp.Provider, sp.Flavor, max(sp.NumNodes, 1), sp.Image)
	fmt.Fprintf(&b, "params:\n  e: %q\n  v: %q\n", sp.ParamsE, sp.ParamsV)
	if len(sp.IPAddresses) > 0 {
		fmt.Fprintf(&b, "ip_addresses: %q\n", sp.IPAddresses)
	}
	if sp.UserName != "" {
		fmt.Fprintf(&b, "user_name: %s\n", sp.UserName)
	}
	if sp.SSHPubkey != "" {
		fmt.Fprintf(&b, "ssh_pubkey: (%d key(s))\n", strings.Count(sp.SSHPubkey, "\n")+1)
	}
	return b.String()
}

// DFFlavors returns the flavors of provider as a table.
func (s *SDK) DFFlavors(provider string) (*Table, error) {
	res, err := s.call("vcp.df_flavors", map[string]any{"provider": provider}, func(ctx context.Context) (any, error) {
		t, err := FlavorTable(provider)
		if err != nil {
			return nil, err
		}
		return map[string]any{"table": t}, nil
	})
	return tableFrom(res, err)
}

func tableFrom(res map[string]any, err error) (*Table, error) {
	if err != nil {
		return nil, err
	}
	var t Table
	if err := fromMap(res, "table", &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// DFUGroups returns every unit group as a table (vcno, vctype, vcname,
// state, vcid, cdate, units, nodes).
func (s *SDK) DFUGroups() (*Table, error) {
	res, err := s.call("vcp.df_ugroups", map[string]any{}, func(ctx context.Context) (any, error) {
		t, err := s.m.GroupsTable(ctx)
		return map[string]any{"table": t}, err
	})
	return tableFrom(res, err)
}

// CreateUnit creates the unit name from spec and blocks until its nodes
// run, logging progress every 5 s. If a node fails to boot, the error names
// it and the unit (with the node in state ERROR) is still returned.
func (ug *UnitGroup) CreateUnit(name string, spec *Spec) (*Unit, error) {
	if ug == nil {
		return nil, errNil("unit group", "CreateUnit")
	}
	if spec == nil {
		return nil, fmt.Errorf("create unit %q: no spec", name)
	}
	rec := spec.record()
	args := map[string]any{"ugroup": ug.Name, "name": name, "provider": spec.Provider, "flavor": spec.Flavor}
	runsOn, mapped := ug.sdk.providers.Resolve(spec.Provider)
	req := UnitRequest{Group: ug.Name, Unit: name, Provider: runsOn, Flavor: spec.Flavor, Spec: rec}
	if mapped {
		args["runs_on"] = runsOn
		req.AskedProvider = spec.Provider
	}
	// The journal (and so the record) gets the spec with withheld ParamsE
	// values masked, as the state does; the call itself gets them all.
	journaled := rec
	journaled.ParamsE = maskParamsE(rec.ParamsE)
	specArgs, err := jsonMap(journaled)
	if err != nil {
		return nil, err
	}
	args["spec"] = specArgs
	res, err := ug.sdk.call("vcp.create_unit", args, func(ctx context.Context) (any, error) {
		u, err := ug.sdk.m.CreateUnit(ctx, req)
		if u == nil {
			return nil, err
		}
		// On error the unit exists all the same; the result says what it is.
		return map[string]any{"unit": unitOf(ug.Name, u)}, err
	})
	return ug.unitFrom(res, err)
}

func (ug *UnitGroup) unitFrom(res map[string]any, err error) (*Unit, error) {
	if res == nil || res["unit"] == nil {
		// No unit: GetUnit found none (err nil), or CreateUnit made none
		// and err says why.
		return nil, err
	}
	var u Unit
	if derr := fromMap(res, "unit", &u); derr != nil {
		return nil, errors.Join(err, derr)
	}
	u.sdk = ug.sdk
	return &u, err
}

// GetUnit returns the named unit, or nil (and no error) if there is none.
func (ug *UnitGroup) GetUnit(name string) (*Unit, error) {
	if ug == nil {
		return nil, errNil("unit group", "GetUnit")
	}
	res, err := ug.sdk.call("vcp.get_unit", map[string]any{"ugroup": ug.Name, "name": name}, func(ctx context.Context) (any, error) {
		g, err := ug.record(ctx)
		if err != nil {
			return nil, err
		}
		if u := g.unit(name); u != nil {
			return map[string]any{"unit": unitOf(g.Name, u)}, nil
		}
		return map[string]any{"unit": nil}, nil
	})
	return ug.unitFrom(res, err)
}

func (ug *UnitGroup) record(ctx context.Context) (*GroupRecord, error) {
	g, err := ug.sdk.m.Group(ctx, ug.Name)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, fmt.Errorf("unit group %q %w", ug.Name, ErrNotFound)
	}
	return g, nil
}

// FindUnits returns every unit of the group.
func (ug *UnitGroup) FindUnits() ([]*Unit, error) {
	if ug == nil {
		return nil, errNil("unit group", "FindUnits")
	}
	res, err := ug.sdk.call("vcp.find_units", map[string]any{"ugroup": ug.Name}, func(ctx context.Context) (any, error) {
		g, err := ug.record(ctx)
		if err != nil {
			return nil, err
		}
		us := []Unit{}
		for _, u := range g.Units {
			us = append(us, unitOf(g.Name, u))
		}
		return map[string]any{"units": us}, nil
	})
	if err != nil {
		return nil, err
	}
	var us []*Unit
	if err := fromMap(res, "units", &us); err != nil {
		return nil, err
	}
	for _, u := range us {
		u.sdk = ug.sdk
	}
	return us, nil
}

// Option narrows or shapes an SDK call: NodeState, UnitName, Count,
// IPAddress, IPAddresses, NodeNo. Each call says which it accepts.
type Option struct {
	name  string
	apply func(*callOpts)
}

type callOpts struct {
	NodeState string    `json:"node_state,omitempty"`
	UnitName  string    `json:"unit_name,omitempty"`
	Sel       Selection `json:"selection"`
}

// NodeState keeps nodes in the given state, e.g. NodeState("RUNNING").
func NodeState(state string) Option {
	return Option{"NodeState", func(o *callOpts) { o.NodeState = state }}
}

// UnitName keeps the nodes of the named unit.
func UnitName(name string) Option { return Option{"UnitName", func(o *callOpts) { o.UnitName = name }} }

// Count is how many nodes to add, delete or power on/off (Python's
// num_add_nodes, num_delete_nodes, num_power_on_nodes, ...).
func Count(n int) Option { return Option{"Count", func(o *callOpts) { o.Sel.Count = n }} }

// IPAddress selects the node with this address (or names the server to add
// for onpremises).
func IPAddress(ip string) Option {
	return Option{"IPAddress", func(o *callOpts) { o.Sel.IPAddresses = append(o.Sel.IPAddresses, ip) }}
}

// IPAddresses selects the nodes with these addresses.
func IPAddresses(ips ...string) Option {
	return Option{"IPAddresses", func(o *callOpts) { o.Sel.IPAddresses = append(o.Sel.IPAddresses, ips...) }}
}

// NodeNo selects nodes by number.
func NodeNo(nos ...int) Option {
	return Option{"NodeNo", func(o *callOpts) { o.Sel.NodeNos = append(o.Sel.NodeNos, nos...) }}
}

func options(call string, allowed []string, opts []Option) (callOpts, error) {
	var o callOpts
	for _, op := range opts {
		if op.apply == nil {
			continue
		}
		if !slices.Contains(allowed, op.name) {
			return o, fmt.Errorf("%s does not take option %s (it takes %s)", call, op.name, strings.Join(allowed, ", "))
		}
		op.apply(&o)
	}
	return o, nil
}

func (s *SDK) findNodes(op, group, unit string, o callOpts) ([]*Node, error) {
	args := map[string]any{"ugroup": group}
	if unit != "" {
		args["unit"] = unit
	}
	if o.UnitName != "" {
		args["unit_name"] = o.UnitName
	}
	if o.NodeState != "" {
		args["node_state"] = o.NodeState
	}
	res, err := s.call(op, args, func(ctx context.Context) (any, error) {
		g, err := s.m.Group(ctx, group)
		if err != nil {
			return nil, err
		}
		if g == nil {
			return nil, fmt.Errorf("unit group %q %w", group, ErrNotFound)
		}
		if unit != "" && g.unit(unit) == nil {
			return nil, fmt.Errorf("unit %q of unit group %q %w", unit, group, ErrNotFound)
		}
		ns := []Node{}
		for _, v := range s.m.Nodes(ctx, g) {
			if (unit != "" && v.Unit != unit) || (o.UnitName != "" && v.Unit != o.UnitName) || (o.NodeState != "" && v.Live != o.NodeState) {
				continue
			}
			ns = append(ns, nodeOf(v, g.unit(v.Unit).Spec))
		}
		return map[string]any{"nodes": ns}, nil
	})
	return nodesFrom(res, err)
}

func nodesFrom(res map[string]any, err error) ([]*Node, error) {
	if res == nil || res["nodes"] == nil {
		return nil, err
	}
	var ns []*Node
	if derr := fromMap(res, "nodes", &ns); derr != nil {
		return nil, errors.Join(err, derr)
	}
	return ns, err
}

func addresses(ns []*Node) []string {
	out := []string{}
	for _, n := range ns {
		out = append(out, n.CloudInstanceAddress)
	}
	return out
}

// FindNodes returns the group's nodes; options NodeState and UnitName
// filter them.
func (ug *UnitGroup) FindNodes(opts ...Option) ([]*Node, error) {
	if ug == nil {
		return nil, errNil("unit group", "FindNodes")
	}
	o, err := options("FindNodes", []string{"NodeState", "UnitName"}, opts)
	if err != nil {
		return nil, err
	}
	return ug.sdk.findNodes("vcp.find_nodes", ug.Name, "", o)
}

// FindIPAddresses returns the addresses of the group's nodes; options
// NodeState and UnitName filter them.
func (ug *UnitGroup) FindIPAddresses(opts ...Option) ([]string, error) {
	if ug == nil {
		return nil, errNil("unit group", "FindIPAddresses")
	}
	ns, err := ug.FindNodes(opts...)
	return addresses(ns), err
}

// DFNodes returns the group's nodes as a table.
func (ug *UnitGroup) DFNodes() (*Table, error) {
	if ug == nil {
		return nil, errNil("unit group", "DFNodes")
	}
	res, err := ug.sdk.call("vcp.df_nodes", map[string]any{"ugroup": ug.Name}, func(ctx context.Context) (any, error) {
		t, err := ug.sdk.m.NodesTable(ctx, ug.Name, "")
		return map[string]any{"table": t}, err
	})
	return tableFrom(res, err)
}

// DFUnits returns the group's units as a table.
func (ug *UnitGroup) DFUnits() (*Table, error) {
	if ug == nil {
		return nil, errNil("unit group", "DFUnits")
	}
	res, err := ug.sdk.call("vcp.df_units", map[string]any{"ugroup": ug.Name}, func(ctx context.Context) (any, error) {
		t, err := ug.sdk.m.UnitsTable(ctx, ug.Name)
		return map[string]any{"table": t}, err
	})
	return tableFrom(res, err)
}

// DeleteUnits deletes the named unit; with force also while it has nodes
// (they are deleted first).
func (ug *UnitGroup) DeleteUnits(name string, force bool) error {
	if ug == nil {
		return errNil("unit group", "DeleteUnits")
	}
	_, err := ug.sdk.call("vcp.delete_units", map[string]any{"ugroup": ug.Name, "name": name, "force": force}, func(ctx context.Context) (any, error) {
		return map[string]any{}, ug.sdk.m.DeleteUnit(ctx, ug.Name, name, force)
	})
	return err
}

// Cleanup deletes every node and unit of the group and the group itself.
func (ug *UnitGroup) Cleanup() error {
	if ug == nil {
		return errNil("unit group", "Cleanup")
	}
	_, err := ug.sdk.call("vcp.cleanup", map[string]any{"ugroup": ug.Name}, func(ctx context.Context) (any, error) {
		return map[string]any{}, ug.sdk.m.RemoveGroup(ctx, ug.Name)
	})
	return err
}

// SSHConfig is the path of the group's OpenSSH client configuration.
func (ug *UnitGroup) SSHConfig() string {
	if ug == nil {
		return ""
	}
	return ug.sdk.m.Store.SSHConfigPath(ug.Name)
}

// Inventory is the path of the group's Ansible inventory (YAML).
func (ug *UnitGroup) Inventory() string {
	if ug == nil {
		return ""
	}
	return ug.sdk.m.Store.InventoryPath(ug.Name)
}

// PrivateKey is the path of the group's SSH private key.
func (ug *UnitGroup) PrivateKey() string {
	if ug == nil {
		return ""
	}
	return ug.sdk.m.Store.GroupKeyPath(ug.Name)
}

// PublicKey returns the group's public key line, to authorize it on
// onpremises servers.
func (ug *UnitGroup) PublicKey() (string, error) {
	if ug == nil {
		return "", errNil("unit group", "PublicKey")
	}
	data, err := os.ReadFile(ug.sdk.m.Store.GroupKeyPath(ug.Name) + ".pub")
	if err != nil {
		return "", fmt.Errorf("unit group %q public key: %w", ug.Name, err)
	}
	return strings.TrimSpace(string(data)), nil
}

// Targets returns SSH targets for the group's reachable nodes (unit "" for
// all units), for Run, CopyTo, CopyFrom and FanOut.
func (ug *UnitGroup) Targets(unit string) ([]Target, error) {
	if ug == nil {
		return nil, errNil("unit group", "Targets")
	}
	return ug.sdk.m.Targets(ug.sdk.ctxf(), ug.Name, unit, 0)
}

func (u *Unit) nodeOp(op string, allowed []string, opts []Option, do func(ctx context.Context, o callOpts) ([]*NodeRecord, error)) ([]*Node, error) {
	o, err := options(op, allowed, opts)
	if err != nil {
		return nil, err
	}
	args := map[string]any{"ugroup": u.UGroup, "unit": u.Name}
	if sel, err := jsonMap(o.Sel); err == nil && len(sel) > 0 {
		args["selection"] = sel
	}
	res, err := u.sdk.call("vcp."+op, args, func(ctx context.Context) (any, error) {
		recs, err := do(ctx, o)
		ns := []Node{}
		for _, r := range recs {
			v := NodeView{UGroup: u.UGroup, Unit: u.Name, Provider: u.Provider, NodeRecord: *r, Live: r.State}
			ns = append(ns, nodeOf(v, u.Spec))
		}
		return map[string]any{"nodes": ns}, err
	})
	return nodesFrom(res, err)
}

// AddNodes adds nodes to the unit and blocks until they run: Count(n)
// nodes (default 1), or for onpremises one per IPAddress/IPAddresses.
func (u *Unit) AddNodes(opts ...Option) ([]*Node, error) {
	if u == nil {
		return nil, errNil("unit", "AddNodes")
	}
	return u.nodeOp("add_nodes", []string{"Count", "IPAddress", "IPAddresses"}, opts, func(ctx context.Context, o callOpts) ([]*NodeRecord, error) {
		return u.sdk.m.AddNodes(ctx, u.UGroup, u.Name, o.Sel.Count, o.Sel.IPAddresses)
	})
}

// DeleteNodes deletes nodes of the unit chosen by IPAddress, IPAddresses,
// NodeNo or Count (the last nodes); default: the last node.
func (u *Unit) DeleteNodes(opts ...Option) ([]*Node, error) {
	if u == nil {
		return nil, errNil("unit", "DeleteNodes")
	}
	return u.nodeOp("delete_nodes", []string{"Count", "IPAddress", "IPAddresses", "NodeNo"}, opts, func(ctx context.Context, o callOpts) ([]*NodeRecord, error) {
		return u.sdk.m.DeleteNodes(ctx, u.UGroup, u.Name, o.Sel)
	})
}

// PowerOffNodes powers off nodes chosen by IPAddress, IPAddresses, NodeNo
// or Count (running nodes from the last); default: all. A powered-off node
// keeps its disk, address and host key.
func (u *Unit) PowerOffNodes(opts ...Option) ([]*Node, error) {
	if u == nil {
		return nil, errNil("unit", "PowerOffNodes")
	}
	return u.nodeOp("power_off_nodes", []string{"Count", "IPAddress", "IPAddresses", "NodeNo"}, opts, func(ctx context.Context, o callOpts) ([]*NodeRecord, error) {
		return u.sdk.m.Power(ctx, u.UGroup, u.Name, o.Sel, false)
	})
}

// PowerOnNodes powers on nodes chosen by IPAddress, IPAddresses, NodeNo or
// Count (powered-off nodes from the first); default: all.
func (u *Unit) PowerOnNodes(opts ...Option) ([]*Node, error) {
	if u == nil {
		return nil, errNil("unit", "PowerOnNodes")
	}
	return u.nodeOp("power_on_nodes", []string{"Count", "IPAddress", "IPAddresses", "NodeNo"}, opts, func(ctx context.Context, o callOpts) ([]*NodeRecord, error) {
		return u.sdk.m.Power(ctx, u.UGroup, u.Name, o.Sel, true)
	})
}

// FindNodes returns the unit's nodes; option NodeState filters them.
func (u *Unit) FindNodes(opts ...Option) ([]*Node, error) {
	if u == nil {
		return nil, errNil("unit", "FindNodes")
	}
	o, err := options("FindNodes", []string{"NodeState"}, opts)
	if err != nil {
		return nil, err
	}
	return u.sdk.findNodes("vcp.find_nodes", u.UGroup, u.Name, o)
}

// FindIPAddresses returns the addresses of the unit's nodes; option
// NodeState filters them.
func (u *Unit) FindIPAddresses(opts ...Option) ([]string, error) {
	if u == nil {
		return nil, errNil("unit", "FindIPAddresses")
	}
	ns, err := u.FindNodes(opts...)
	return addresses(ns), err
}

// DFNodes returns the unit's nodes as a table.
func (u *Unit) DFNodes() (*Table, error) {
	if u == nil {
		return nil, errNil("unit", "DFNodes")
	}
	res, err := u.sdk.call("vcp.df_nodes", map[string]any{"ugroup": u.UGroup, "unit": u.Name}, func(ctx context.Context) (any, error) {
		t, err := u.sdk.m.NodesTable(ctx, u.UGroup, u.Name)
		return map[string]any{"table": t}, err
	})
	return tableFrom(res, err)
}

// Targets returns SSH targets for the unit's reachable nodes.
func (u *Unit) Targets() ([]Target, error) {
	if u == nil {
		return nil, errNil("unit", "Targets")
	}
	return u.sdk.m.Targets(u.sdk.ctxf(), u.UGroup, u.Name, 0)
}

// errNil is the error of a call on a nil object, e.g. on the nil unit
// group that GetUGroup returns when there is none.
func errNil(kind, call string) error {
	return fmt.Errorf("%s: the %s is nil (a Get call found none?)", call, kind)
}

// SSH runs command through the shell of every node of target ("GROUP",
// "GROUP/UNIT" or "GROUP/UNIT/N") in parallel and returns what they wrote,
// each line prefixed with the node's name. It is the Go form of a
// `%%ssh TARGET` cell: one journaled call, so a replay answers it without
// reaching any node. A command that fails on some node is an error naming
// each such node; the output of every node is returned all the same.
func (s *SDK) SSH(target, command string) (string, error) {
	res, err := s.call("vcp.ssh", map[string]any{"target": target, "command": command}, func(ctx context.Context) (any, error) {
		group, unit, no, err := ParseTarget(target)
		if err != nil {
			return nil, err
		}
		ts, err := s.m.Targets(ctx, group, unit, no)
		if err != nil {
			return nil, err
		}
		var out lockedBuffer
		err = FanOut(ctx, ts, command, &out, &out)
		return map[string]any{"output": out.String()}, err
	})
	var out string
	if res != nil {
		_ = fromMap(res, "output", &out)
	}
	return out, err
}

// lockedBuffer collects the output of FanOut, whose lines already come
// whole and one at a time under its own lock.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// BindUGroup returns g, as a call result decoded it, bound to s: a kernel
// that keeps SDK objects on its side of a bridge (Python cells) uses it to
// act on a group again without a lookup.
func (s *SDK) BindUGroup(g UnitGroup) *UnitGroup {
	g.sdk = s
	return &g
}

// BindUnit returns u bound to s (see BindUGroup).
func (s *SDK) BindUnit(u Unit) *Unit {
	u.sdk = s
	return &u
}

// BindSpec returns sp bound to s (see BindUGroup), so that its calls
// (SetSSHPubkey) go through s's gateway.
func (s *SDK) BindSpec(sp Spec) *Spec {
	sp.sdk = s
	return &sp
}
