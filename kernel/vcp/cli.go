package vcp

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// ParseTarget parses "GROUP[/UNIT[/N]]" as `ocs vcp ssh` and the power
// verbs take it; no is 0 when N is absent.
func ParseTarget(s string) (group, unit string, no int, err error) {
	parts := strings.Split(s, "/")
	if len(parts) > 3 {
		return "", "", 0, fmt.Errorf("invalid target %q (want GROUP[/UNIT[/N]])", s)
	}
	group = parts[0]
	if err := checkName("unit group", group); err != nil {
		return "", "", 0, fmt.Errorf("invalid target %q: %w", s, err)
	}
	if len(parts) > 1 {
		unit = parts[1]
		if err := checkName("unit", unit); err != nil {
			return "", "", 0, fmt.Errorf("invalid target %q: %w", s, err)
		}
	}
	if len(parts) > 2 {
		no, err = strconv.Atoi(parts[2])
		if err != nil || no < 1 {
			return "", "", 0, fmt.Errorf("invalid target %q: node number %q is not a positive integer", s, parts[2])
		}
	}
	return group, unit, no, nil
}

// GroupView is a unit group with its nodes, as `ocs vcp ls --json` shows it.
type GroupView struct {
	Name      string     `json:"name"`
	ID        string     `json:"id"`
	Created   string     `json:"created"`
	Units     []string   `json:"units"`
	Nodes     []NodeView `json:"nodes"`
	SSHConfig string     `json:"ssh_config"`
	Inventory string     `json:"inventory"`
	// Corrupt says why the group's state file could not be read (the other
	// fields are then empty); `ocs vcp rm` quarantines such a group.
	Corrupt string `json:"corrupt,omitempty"`
}

// List returns every unit group with its nodes' live states; a group whose
// state file is corrupt is listed with Corrupt set.
func (m *Manager) List(ctx context.Context) ([]GroupView, error) {
	gs, bad, err := m.Store.Groups(ctx)
	if err != nil {
		return nil, err
	}
	out := []GroupView{}
	for _, g := range gs {
		v := GroupView{Name: g.Name, ID: g.ID, Created: g.Created.Format("2006-01-02T15:04:05Z"), Units: []string{}, Nodes: m.Nodes(ctx, g),
			SSHConfig: m.Store.SSHConfigPath(g.Name), Inventory: m.Store.InventoryPath(g.Name)}
		if v.Nodes == nil {
			v.Nodes = []NodeView{}
		}
		for _, u := range g.Units {
			v.Units = append(v.Units, u.Name)
		}
		out = append(out, v)
	}
	for _, ce := range bad {
		out = append(out, GroupView{Name: ce.Group, Units: []string{}, Nodes: []NodeView{}, Corrupt: ce.Error()})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// GroupNodes returns the nodes of one group with their live states.
func (m *Manager) GroupNodes(ctx context.Context, group string) ([]NodeView, error) {
	g, err := m.mustGroup(ctx, group)
	if err != nil {
		return nil, err
	}
	out := m.Nodes(ctx, g)
	if out == nil {
		out = []NodeView{}
	}
	return out, nil
}

// AccessFile rewrites the group's SSH and Ansible files from the state and
// returns the path and contents of the one asked for ("ssh_config" or
// "inventory").
func (m *Manager) AccessFile(ctx context.Context, group, which string) (string, []byte, error) {
	g, err := m.mustGroup(ctx, group)
	if err != nil {
		return "", nil, err
	}
	if err := m.Store.writeAccess(g); err != nil {
		return "", nil, err
	}
	path := m.Store.SSHConfigPath(group)
	if which == "inventory" {
		path = m.Store.InventoryPath(group)
	}
	data, err := os.ReadFile(path)
	return path, data, err
}

// PowerTarget powers the nodes named by a target on or off: a whole group,
// a unit, or one node.
func (m *Manager) PowerTarget(ctx context.Context, target string, on bool) ([]*NodeRecord, error) {
	group, unit, no, err := ParseTarget(target)
	if err != nil {
		return nil, err
	}
	g, err := m.mustGroup(ctx, group)
	if err != nil {
		return nil, err
	}
	var out []*NodeRecord
	found := false
	for _, u := range g.Units {
		if unit != "" && u.Name != unit {
			continue
		}
		found = true
		sel := Selection{}
		if no != 0 {
			sel.NodeNos = []int{no}
		}
		ns, err := m.Power(ctx, group, u.Name, sel, on)
		out = append(out, ns...)
		if err != nil {
			return out, err
		}
	}
	if !found {
		return nil, fmt.Errorf("unit %q of unit group %q %w", unit, group, ErrNotFound)
	}
	return out, nil
}
