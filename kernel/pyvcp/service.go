// Package pyvcp gives Python cells the VCP SDK that OCS templates import
// (`from vcpsdk.vcpsdk import VcpSDK`, `from common import logsetting`):
// thin Python modules, embedded in the binary and installed in the kernel
// through pybridge, whose every call crosses the bridge to the handler here,
// which runs it on the Go SDK (package ocs/kernel/vcp) through the running
// cell's effects gateway. So a Python cell's units are journaled and
// replayed like a Go cell's (no node is made twice on --resume), and both
// see the same state (`ocs vcp ls`).
//
// The Python side keeps argument shapes and return objects (keyword names,
// DataFrames, node objects, print(spec)); the logic stays in Go.
package pyvcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/rs/zerolog"

	"ocs/kernel/effects"
	"ocs/kernel/vcp"
)

// ControllerVersion is the VC controller version version() reports:
// templates require at least 25.04 (the API this package implements).
const ControllerVersion = "25.04.0+ocs"

// Options configure a Service.
type Options struct {
	// StateDir is the VCP state directory ("" for vcp.DefaultStateDir).
	StateDir string
	// Providers maps the providers templates name to those of this build.
	Providers vcp.ProviderMap
	// NodeCommand starts local node processes (nil: this executable).
	NodeCommand *vcp.NodeCommand
	// Version is ocs's version, shown by version().
	Version string
}

// Service serves the Python SDK's calls.
type Service struct {
	o Options
}

// New returns a Service.
func New(o Options) *Service {
	if o.Providers == nil {
		o.Providers = vcp.ProviderMap{}
	}
	return &Service{o: o}
}

// Error is a failure the Python side raises as the SDK's own exception
// (VcpSDKError), or NotImplementedError when Name says so.
type Error struct {
	Name string
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// request is every argument any method takes; each reads its own.
type request struct {
	Method      string         `json:"method"`
	Provider    string         `json:"provider"`
	Flavor      string         `json:"flavor"`
	Name        string         `json:"name"`
	UGroupType  string         `json:"ugroup_type"`
	UGroup      *vcp.UnitGroup `json:"ugroup"`
	Unit        *vcp.Unit      `json:"unit"`
	Spec        *vcp.Spec      `json:"spec"`
	NodeState   string         `json:"node_state"`
	UnitName    string         `json:"unit_name"`
	Count       int            `json:"count"`
	IPAddresses []string       `json:"ip_addresses"`
	NodeNos     []int          `json:"node_nos"`
	Force       bool           `json:"force"`
	Path        string         `json:"path"`
}

// Serve runs one call of the Python SDK: args["method"] names it. Progress
// (BOOTING ... N sec) and warnings are written to out as log lines.
func (s *Service) Serve(ctx context.Context, args map[string]any, out io.Writer) (map[string]any, error) {
	data, err := json.Marshal(args)
	if err != nil {
		return nil, fmt.Errorf("vcp call: %w", err)
	}
	var r request
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, &Error{Msg: fmt.Sprintf("vcp call: bad arguments: %v", err)}
	}
	m, ok := methods[r.Method]
	if !ok {
		return nil, &Error{Name: "NotImplementedError", Msg: fmt.Sprintf("VcpSDK: %q is not implemented by ocs", r.Method)}
	}
	if out == nil {
		out = io.Discard
	}
	log := zerolog.New(&logLines{w: out}).With().Timestamp().Logger()
	ctx = log.WithContext(ctx)
	sdk, err := vcp.NewWithOptions("", vcp.Options{
		StateDir: s.o.StateDir, Gateway: gateway{ctx}, Context: func() context.Context { return ctx },
		NodeCommand: s.o.NodeCommand, Providers: s.o.Providers,
	})
	if err != nil {
		return nil, err
	}
	res, err := m(&call{s: s, sdk: sdk, r: &r, ctx: ctx})
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			err = &Error{Msg: err.Error()}
		}
	}
	return res, err
}

// gateway sends every SDK operation through the running cell's effects
// gateway, but runs it with the call's context: the cell's, with the log
// that streams progress to the Python caller.
type gateway struct{ ctx context.Context }

func (g gateway) Do(_ context.Context, op string, args map[string]any, live func(ctx context.Context) (map[string]any, error)) (map[string]any, error) {
	return effects.Do(op, args, func(context.Context) (map[string]any, error) { return live(g.ctx) })
}

type call struct {
	s   *Service
	sdk *vcp.SDK
	r   *request
	ctx context.Context
}

var methods = map[string]func(c *call) (map[string]any, error){
	"version":           (*call).version,
	"vcc_info":          (*call).vccInfo,
	"get_publickey":     (*call).publicKey,
	"get_vpn_catalog":   (*call).vpnCatalog,
	"df_ugroups":        func(c *call) (map[string]any, error) { return table(c.sdk.DFUGroups()) },
	"df_flavors":        func(c *call) (map[string]any, error) { return table(c.sdk.DFFlavors(c.r.Provider)) },
	"get_spec":          (*call).getSpec,
	"read_pubkey":       (*call).readPubkey,
	"create_ugroup":     (*call).createUGroup,
	"get_ugroup":        (*call).getUGroup,
	"create_unit":       (*call).createUnit,
	"get_unit":          (*call).getUnit,
	"find_units":        (*call).findUnits,
	"find_nodes":        (*call).findNodes,
	"find_ip_addresses": (*call).findIPAddresses,
	"df_units": func(c *call) (map[string]any, error) {
		return c.withGroup(func(ug *vcp.UnitGroup) (map[string]any, error) { return table(ug.DFUnits()) })
	},
	"df_nodes":        (*call).dfNodes,
	"delete_units":    (*call).deleteUnits,
	"cleanup":         (*call).cleanup,
	"add_nodes":       (*call).nodeOp,
	"delete_nodes":    (*call).nodeOp,
	"power_on_nodes":  (*call).nodeOp,
	"power_off_nodes": (*call).nodeOp,
}

func table(t *vcp.Table, err error) (map[string]any, error) {
	if err != nil {
		return nil, err
	}
	return map[string]any{"columns": t.Columns, "rows": t.Rows}, nil
}

func (c *call) version() (map[string]any, error) {
	v := c.s.o.Version
	if v == "" {
		v = "dev"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "vcpsdk:\n  version: %s\n  implementation: ocs %s\n", ControllerVersion, v)
	fmt.Fprintf(&b, "vc_controller:\n  vc_controller: %s\n  providers: [%s]\n", ControllerVersion, strings.Join(vcp.Providers(), ", "))
	if len(c.s.o.Providers) > 0 {
		fmt.Fprintf(&b, "  provider_mapping: %q\n", c.s.o.Providers.String())
	}
	b.WriteString("plugins: {}\n")
	return map[string]any{"yaml": b.String()}, nil
}

func (c *call) vccInfo() (map[string]any, error) {
	// There is no VC controller: the host is this one, and no Vault or
	// registry runs (templates that store secrets there fail at that cell).
	return map[string]any{
		"host": "localhost", "vault_url": "http://localhost:8200", "docker_registry": "localhost:5000",
		"implementation": "ocs",
	}, nil
}

// controllerKey is the key that stands for the VC controller's: templates
// authorize get_publickey() on existing servers, and onpremises units reach
// them with it when their spec names no key.
func (c *call) controllerKey() (string, error) {
	m := c.sdk.Manager()
	path := filepath.Join(m.Store.Dir, "controller_id_ed25519")
	return path, vcp.EnsureKey(path, "ocs-vc-controller")
}

func (c *call) publicKey() (map[string]any, error) {
	path, err := c.controllerKey()
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path + ".pub")
	if err != nil {
		return nil, fmt.Errorf("controller public key: %w", err)
	}
	return map[string]any{"publickey": strings.TrimSpace(string(data))}, nil
}

func (c *call) vpnCatalog() (map[string]any, error) {
	if _, err := vcp.FlavorTable(c.r.Provider); err != nil {
		return nil, err
	}
	runsOn := c.sdk.RunsOn(c.r.Provider)
	if _, err := vcp.LookupProvider(runsOn); err != nil {
		return nil, err
	}
	return map[string]any{"catalog": map[string]any{
		"provider": c.r.Provider, "runs_on": runsOn, "private_network_ipmask": vcp.PrivateNetwork(runsOn),
	}}, nil
}

func (c *call) getSpec() (map[string]any, error) {
	sp, err := c.sdk.GetSpec(c.r.Provider, c.r.Flavor)
	if err != nil {
		return nil, err
	}
	attrs, _ := vcp.FlavorAttrs(sp.Provider, sp.Flavor)
	return map[string]any{"spec": map[string]any{
		"provider": sp.Provider, "flavor": sp.Flavor, "runs_on": c.sdk.RunsOn(sp.Provider), "attrs": attrs,
	}}, nil
}

func (c *call) readPubkey() (map[string]any, error) {
	sp := c.sdk.BindSpec(vcp.Spec{})
	if err := sp.SetSSHPubkey(c.r.Path); err != nil {
		return nil, err
	}
	return map[string]any{"pubkey": sp.SSHPubkey}, nil
}

func groupResult(ug *vcp.UnitGroup, err error) (map[string]any, error) {
	if err != nil {
		return nil, err
	}
	if ug == nil {
		return map[string]any{"ugroup": nil}, nil
	}
	return map[string]any{"ugroup": ug}, nil
}

func (c *call) createUGroup() (map[string]any, error) {
	if t := c.r.UGroupType; t != "" && t != "compute" {
		return nil, &Error{Name: "NotImplementedError", Msg: fmt.Sprintf("create_ugroup: ugroup_type=%q (cloud disks) is not available in ocs; only compute unit groups are", t)}
	}
	return groupResult(c.sdk.CreateUGroup(c.r.Name))
}

func (c *call) getUGroup() (map[string]any, error) {
	return groupResult(c.sdk.GetUGroup(c.r.Name))
}

func (c *call) withGroup(f func(ug *vcp.UnitGroup) (map[string]any, error)) (map[string]any, error) {
	if c.r.UGroup == nil || c.r.UGroup.Name == "" {
		return nil, errors.New("no unit group given")
	}
	return f(c.sdk.BindUGroup(*c.r.UGroup))
}

func (c *call) withUnit(f func(u *vcp.Unit) (map[string]any, error)) (map[string]any, error) {
	if c.r.Unit == nil || c.r.Unit.Name == "" || c.r.Unit.UGroup == "" {
		return nil, errors.New("no unit given")
	}
	return f(c.sdk.BindUnit(*c.r.Unit))
}

func unitResult(u *vcp.Unit, err error) (map[string]any, error) {
	if u == nil {
		return map[string]any{"unit": nil}, err
	}
	return map[string]any{"unit": u}, err
}

func (c *call) createUnit() (map[string]any, error) {
	if c.r.Spec == nil {
		return nil, fmt.Errorf("create_unit %q: no spec", c.r.Name)
	}
	sp := c.sdk.BindSpec(*c.r.Spec)
	if sp.SSHKeyPath == "" && c.sdk.RunsOn(sp.Provider) == "onpremises" {
		// Templates authorize get_publickey() on their servers.
		path, err := c.controllerKey()
		if err != nil {
			return nil, err
		}
		sp.SSHKeyPath = path
	}
	return c.withGroup(func(ug *vcp.UnitGroup) (map[string]any, error) {
		res, err := unitResult(ug.CreateUnit(c.r.Name, sp))
		if err != nil {
			return nil, err // the unit is recorded all the same (ocs vcp ls)
		}
		return res, nil
	})
}

func (c *call) getUnit() (map[string]any, error) {
	return c.withGroup(func(ug *vcp.UnitGroup) (map[string]any, error) { return unitResult(ug.GetUnit(c.r.Name)) })
}

func (c *call) findUnits() (map[string]any, error) {
	return c.withGroup(func(ug *vcp.UnitGroup) (map[string]any, error) {
		us, err := ug.FindUnits()
		if err != nil {
			return nil, err
		}
		if us == nil {
			us = []*vcp.Unit{}
		}
		return map[string]any{"units": us}, nil
	})
}

func (c *call) filters(unit bool) []vcp.Option {
	var opts []vcp.Option
	if c.r.NodeState != "" {
		opts = append(opts, vcp.NodeState(c.r.NodeState))
	}
	if c.r.UnitName != "" && !unit {
		opts = append(opts, vcp.UnitName(c.r.UnitName))
	}
	return opts
}

func (c *call) nodes() ([]*vcp.Node, error) {
	if c.r.Unit != nil {
		return c.sdk.BindUnit(*c.r.Unit).FindNodes(c.filters(true)...)
	}
	var ns []*vcp.Node
	_, err := c.withGroup(func(ug *vcp.UnitGroup) (map[string]any, error) {
		var err error
		ns, err = ug.FindNodes(c.filters(false)...)
		return nil, err
	})
	return ns, err
}

func nodesResult(ns []*vcp.Node, err error) (map[string]any, error) {
	if ns == nil {
		ns = []*vcp.Node{}
	}
	return map[string]any{"nodes": ns}, err
}

func (c *call) findNodes() (map[string]any, error) {
	ns, err := c.nodes()
	if err != nil {
		return nil, err
	}
	return nodesResult(ns, nil)
}

func (c *call) findIPAddresses() (map[string]any, error) {
	ns, err := c.nodes()
	if err != nil {
		return nil, err
	}
	addrs := make([]string, 0, len(ns))
	for _, n := range ns {
		addrs = append(addrs, n.CloudInstanceAddress)
	}
	return map[string]any{"addresses": addrs}, nil
}

// dfNodes is df_nodes with VCP's leading vcno column.
func (c *call) dfNodes() (map[string]any, error) {
	var t *vcp.Table
	var err error
	if c.r.Unit != nil {
		t, err = c.sdk.BindUnit(*c.r.Unit).DFNodes()
	} else {
		_, err = c.withGroup(func(ug *vcp.UnitGroup) (map[string]any, error) {
			var err error
			t, err = ug.DFNodes()
			return nil, err
		})
	}
	if err != nil {
		return nil, err
	}
	t.Columns = append([]string{"vcno"}, t.Columns...)
	for i, r := range t.Rows {
		t.Rows[i] = append([]string{"1"}, r...)
	}
	return table(t, nil)
}

func (c *call) deleteUnits() (map[string]any, error) {
	return c.withGroup(func(ug *vcp.UnitGroup) (map[string]any, error) {
		return map[string]any{}, ug.DeleteUnits(c.r.Name, c.r.Force)
	})
}

func (c *call) cleanup() (map[string]any, error) {
	return c.withGroup(func(ug *vcp.UnitGroup) (map[string]any, error) { return map[string]any{}, ug.Cleanup() })
}

// nodeOp is add_nodes, delete_nodes and power_*_nodes: the Python side has
// already turned num_*_nodes, ip_address(es) and node_no into count,
// ip_addresses and node_nos.
func (c *call) nodeOp() (map[string]any, error) {
	var opts []vcp.Option
	if c.r.Count > 0 {
		opts = append(opts, vcp.Count(c.r.Count))
	}
	if len(c.r.IPAddresses) > 0 {
		opts = append(opts, vcp.IPAddresses(c.r.IPAddresses...))
	}
	if len(c.r.NodeNos) > 0 {
		if c.r.Method == "add_nodes" {
			return nil, errors.New("add_nodes takes no node_no")
		}
		opts = append(opts, vcp.NodeNo(c.r.NodeNos...))
	}
	return c.withUnit(func(u *vcp.Unit) (map[string]any, error) {
		var ns []*vcp.Node
		var err error
		switch c.r.Method {
		case "add_nodes":
			ns, err = u.AddNodes(opts...)
		case "delete_nodes":
			ns, err = u.DeleteNodes(opts...)
		case "power_on_nodes":
			ns, err = u.PowerOnNodes(opts...)
		default:
			ns, err = u.PowerOffNodes(opts...)
		}
		if err != nil {
			return nil, err
		}
		return nodesResult(ns, nil)
	})
}
