package vcp

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

type effect struct {
	Op     string
	Args   map[string]any
	Result map[string]any
	Err    string
}

// recorder journals every call as the kernel will, through JSON.
type recorder struct{ journal []effect }

func (r *recorder) Do(ctx context.Context, op string, args map[string]any, live func(context.Context) (map[string]any, error)) (map[string]any, error) {
	res, err := live(ctx)
	e := effect{Op: op, Args: roundTrip(args), Result: roundTrip(res)}
	if err != nil {
		e.Err = err.Error()
	}
	r.journal = append(r.journal, e)
	return res, err
}

// replayer answers from a journal and never runs anything.
type replayer struct {
	journal []effect
	t       *testing.T
}

func (r *replayer) Do(ctx context.Context, op string, args map[string]any, live func(context.Context) (map[string]any, error)) (map[string]any, error) {
	if len(r.journal) == 0 {
		r.t.Fatalf("replay: %s not in journal", op)
	}
	e := r.journal[0]
	r.journal = r.journal[1:]
	if e.Op != op || !reflect.DeepEqual(e.Args, roundTrip(args)) {
		r.t.Fatalf("replay diverged: %s %v, journal holds %s %v", op, args, e.Op, e.Args)
	}
	var err error
	if e.Err != "" {
		err = fmt.Errorf("%s", e.Err)
	}
	return e.Result, err
}

func roundTrip(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// script is a cell's worth of SDK calls; it returns what they returned,
// with the SDK pointers cleared so that values can be compared.
func script(t *testing.T, s *SDK) []any {
	var out []any
	must := func(v any, err error) any {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	ug := must(s.CreateUGroup("gw")).(*UnitGroup)
	spec := must(s.GetSpec("local", "medium")).(*Spec)
	spec.ParamsE = []string{"A=1"}
	unit := must(ug.CreateUnit("one", spec)).(*Unit)
	nodes := must(unit.FindNodes()).([]*Node)
	ips := must(ug.FindIPAddresses(NodeState("RUNNING"))).([]string)
	again := must(ug.GetUnit("one")).(*Unit)
	missing := must(ug.GetUnit("nope")).(*Unit)
	none := must(s.GetUGroup("nope")).(*UnitGroup)
	tab := must(ug.DFNodes()).(*Table)
	added := must(unit.AddNodes()).([]*Node)
	_, derr := unit.DeleteNodes(IPAddress("10.0.0.1"))
	if err := ug.Cleanup(); err != nil {
		t.Fatal(err)
	}
	g, sp, u, u2 := *ug, *spec, *unit, *again
	g.sdk, sp.sdk, u.sdk, u2.sdk = nil, nil, nil, nil
	return append(out, g, sp, u, nodes, ips, u2, missing == nil, none == nil, tab, added, derr.Error())
}

func TestGatewayReplayYieldsEqualObjects(t *testing.T) {
	rec := &recorder{}
	live := script(t, newTestSDK(t, rec))
	if len(rec.journal) < 10 {
		t.Fatalf("journal has %d effects", len(rec.journal))
	}
	ops := map[string]bool{}
	for _, e := range rec.journal {
		ops[e.Op] = true
	}
	for _, op := range []string{"vcp.create_ugroup", "vcp.get_spec", "vcp.create_unit", "vcp.find_nodes", "vcp.df_nodes", "vcp.add_nodes", "vcp.delete_nodes", "vcp.cleanup", "vcp.get_ugroup", "vcp.get_unit"} {
		if !ops[op] {
			t.Errorf("no %s effect in %v", op, ops)
		}
	}
	// Replay on an empty state: nothing may run, results must be equal.
	rep := &replayer{journal: rec.journal, t: t}
	replayed := script(t, newTestSDK(t, rep))
	if !reflect.DeepEqual(live, replayed) {
		t.Fatalf("replayed objects differ:\nlive   %#v\nreplay %#v", live, replayed)
	}
	if len(rep.journal) != 0 {
		t.Errorf("%d effects not replayed", len(rep.journal))
	}
}

func TestNilObjectsGiveErrors(t *testing.T) {
	var ug *UnitGroup
	if _, err := ug.CreateUnit("x", nil); err == nil {
		t.Error("CreateUnit on nil group: no error")
	}
	if err := ug.Cleanup(); err == nil {
		t.Error("Cleanup on nil group: no error")
	}
	var u *Unit
	if _, err := u.FindIPAddresses(); err == nil {
		t.Error("FindIPAddresses on nil unit: no error")
	}
	var sp *Spec
	if err := sp.SetSSHPubkey("/nonexistent"); err == nil {
		t.Error("SetSSHPubkey on nil spec: no error")
	}
}

// CreateUnit that makes no unit returns the reason, never (nil, nil).
func TestCreateUnitWithoutUnitReturnsError(t *testing.T) {
	s := newTestSDK(t, nil)
	ug, err := s.CreateUGroup("nounit")
	if err != nil {
		t.Fatal(err)
	}
	onprem, _ := s.GetSpec("onpremises", "default")
	local, _ := s.GetSpec("local", "small")
	local.NumNodes = 0
	for _, tc := range []struct {
		name, unit string
		spec       *Spec
		want       string
	}{
		{"onpremises without ip_addresses", "op", onprem, "needs spec ip_addresses"},
		{"invalid unit name", "bad/name", local, `invalid unit name "bad/name"`},
		{"local with ip_addresses", "ips", &Spec{Provider: "local", Flavor: "small", IPAddresses: []string{"10.0.0.1"}, sdk: s}, "cannot be honoured"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := ug.CreateUnit(tc.unit, tc.spec)
			if u != nil || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CreateUnit = %v, %v; want no unit and an error saying %q", u, err, tc.want)
			}
		})
	}
	if _, err := ug.CreateUnit("dup", local); err != nil {
		t.Fatal(err)
	}
	u, err := ug.CreateUnit("dup", local)
	if u != nil || err == nil || !strings.Contains(err.Error(), `unit "dup" already exists`) {
		t.Fatalf("duplicate CreateUnit = %v, %v", u, err)
	}
}
