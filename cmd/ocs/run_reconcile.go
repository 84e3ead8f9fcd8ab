package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"ocs/kernel/vcp"
	"ocs/runner"
)

// describeUnfinished adds to a resume refused for a VCP operation cut
// short what that operation left in the state dir, so a person can decide
// (remove it and rerun the cell, or keep it).
func describeUnfinished(ctx context.Context, err error) error {
	var u *runner.UnfinishedError
	if !errors.As(err, &u) || u.UGroup() == "" {
		return err
	}
	m, merr := vcp.NewManager("")
	if merr != nil {
		return err
	}
	groups, merr := m.List(ctx)
	if merr != nil {
		return err
	}
	u.Exists = fmt.Sprintf("no unit group %q exists now", u.UGroup())
	for _, g := range groups {
		if g.Name != u.UGroup() {
			continue
		}
		var nodes []string
		for _, n := range g.Nodes {
			nodes = append(nodes, fmt.Sprintf("%s/%s/%d %s", n.UGroup, n.Unit, n.No, strings.ToLower(n.Live)))
		}
		u.Exists = fmt.Sprintf("unit group %q exists with units [%s] and nodes [%s]", g.Name, strings.Join(g.Units, " "), strings.Join(nodes, ", "))
	}
	return err
}
