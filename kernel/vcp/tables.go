package vcp

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

func unitState(states []string) string {
	if len(states) == 0 {
		return "EMPTY"
	}
	all := func(s string) bool {
		for _, x := range states {
			if x != s {
				return false
			}
		}
		return true
	}
	for _, s := range []string{StateRunning, StatePowerOff, StateBooting, StateDeleting} {
		if all(s) {
			return s
		}
	}
	for _, x := range states {
		if x == StateError || x == StateDown || x == "UNKNOWN" {
			return StateError
		}
	}
	return "PARTIAL"
}

// GroupsTable lists every unit group (vcno, vctype, vcname, state, vcid,
// cdate, units, nodes).
func (m *Manager) GroupsTable(ctx context.Context) (*Table, error) {
	views, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	t := &Table{Columns: []string{"vcno", "vctype", "vcname", "state", "vcid", "cdate", "units", "nodes"}}
	for i, v := range views {
		if v.Corrupt != "" {
			t.Rows = append(t.Rows, []string{strconv.Itoa(i + 1), "compute", v.Name, StateCorrupt, "", "", "", ""})
			continue
		}
		var states []string
		for _, n := range v.Nodes {
			states = append(states, n.Live)
		}
		created := v.Created
		if c, err := time.Parse(time.RFC3339, v.Created); err == nil {
			created = c.Format(time.DateTime)
		}
		t.Rows = append(t.Rows, []string{
			strconv.Itoa(i + 1), "compute", v.Name, unitState(states), v.ID, created,
			strconv.Itoa(len(v.Units)), strconv.Itoa(len(states)),
		})
	}
	return t, nil
}

func (m *Manager) mustGroup(ctx context.Context, group string) (*GroupRecord, error) {
	g, err := m.Store.Group(ctx, group)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, fmt.Errorf("unit group %q %w", group, ErrNotFound)
	}
	return g, nil
}

// UnitsTable lists the units of a group.
func (m *Manager) UnitsTable(ctx context.Context, group string) (*Table, error) {
	g, err := m.mustGroup(ctx, group)
	if err != nil {
		return nil, err
	}
	views := m.Nodes(ctx, g)
	t := &Table{Columns: []string{"vctype", "vcno", "vcname", "vc_state", "vcid", "cdate", "unit_name", "unit_state", "provider", "flavor", "nodes"}}
	var all []string
	for _, v := range views {
		all = append(all, v.Live)
	}
	for _, u := range g.Units {
		var states []string
		for _, v := range views {
			if v.Unit == u.Name {
				states = append(states, v.Live)
			}
		}
		t.Rows = append(t.Rows, []string{
			"compute", "1", g.Name, unitState(all), g.ID, u.Created.Format(time.DateTime), u.Name, unitState(states),
			providerLabel(u), u.Flavor, strconv.Itoa(len(states)),
		})
	}
	return t, nil
}

// NodesTable lists the nodes of a group (unit "" for all units), with the
// spec fields their provider could not honour in "notes".
func (m *Manager) NodesTable(ctx context.Context, group, unit string) (*Table, error) {
	g, err := m.mustGroup(ctx, group)
	if err != nil {
		return nil, err
	}
	views := m.Nodes(ctx, g)
	t := &Table{Columns: []string{
		"vcname", "unit_name", "unit_state", "node_no", "node_id", "node_state", "cloud_instance_address",
		"cloud_instance_id", "cloud_instance_name", "ssh_port", "provider", "volumes", "notes",
	}}
	for _, u := range g.Units {
		if unit != "" && u.Name != unit {
			continue
		}
		var states []string
		for _, v := range views {
			if v.Unit == u.Name {
				states = append(states, v.Live)
			}
		}
		for _, v := range views {
			if v.Unit != u.Name {
				continue
			}
			id := v.ID
			if v.PID > 0 && v.Live == StateRunning {
				id += " (pid " + strconv.Itoa(v.PID) + ")"
			}
			t.Rows = append(t.Rows, []string{
				g.Name, u.Name, unitState(states), strconv.Itoa(v.No), v.ID, v.Live, v.Address,
				id, v.Name, strconv.Itoa(v.Port), providerLabel(u), strings.Join(u.Spec.ParamsV, ","), strings.Join(v.Notes, "; "),
			})
		}
	}
	if unit != "" && g.unit(unit) == nil {
		return nil, fmt.Errorf("unit %q of unit group %q %w", unit, group, ErrNotFound)
	}
	return t, nil
}

// providerLabel shows where a unit runs, and what it asked for when a
// provider mapping chose another: "aws->local".
func providerLabel(u *UnitRecord) string {
	if u.AskedProvider != "" && u.AskedProvider != u.Provider {
		return u.AskedProvider + "->" + u.Provider
	}
	return u.Provider
}
