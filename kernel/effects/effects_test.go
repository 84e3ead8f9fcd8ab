package effects

import (
	"context"
	"errors"
	"testing"
)

type recordingGateway struct{ ops []string }

func (g *recordingGateway) Do(ctx context.Context, op string, args map[string]any, live func(context.Context) (map[string]any, error)) (map[string]any, error) {
	g.ops = append(g.ops, op)
	return live(ctx)
}

func TestDoUsesInstalledGateway(t *testing.T) {
	if _, err := Do("x", nil, nil); !errors.Is(err, ErrNoCell) {
		t.Fatalf("without a cell: err = %v, want ErrNoCell", err)
	}
	g := &recordingGateway{}
	uninstall := Install(context.Background(), g)
	res, err := Do("vcp.create_unit", map[string]any{"name": "a"}, func(context.Context) (map[string]any, error) {
		return map[string]any{"ok": true}, nil
	})
	if err != nil || res["ok"] != true || len(g.ops) != 1 || g.ops[0] != "vcp.create_unit" {
		t.Fatalf("res = %v, err = %v, ops = %v", res, err, g.ops)
	}
	uninstall()
	if _, _, ok := Current(); ok {
		t.Error("gateway still installed after uninstall")
	}
}
