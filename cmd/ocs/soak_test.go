package main

// Soak test: several ocs runs at once on one state directory, each booting
// nodes from its cells, for a few rounds. The state's lock, its atomic
// writes and the loopback address allocation are exercised by real
// processes racing each other, and the test checks that nothing is lost,
// shared, corrupted or left behind.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"ocs/kernel/kerneltest"
	"ocs/kernel/vcp"
	"ocs/notebook"
	"ocs/runner"
)

const (
	soakProcs  = 8 // concurrent ocs runs per round
	soakRounds = 2
	soakNodes  = 2 // nodes in each run's unit
)

// soakCells is the template every run executes. The parameters name the
// run's unit group and the barrier directory. Between booting and reading
// back, each run says it is ready and waits for the test's go, so that all
// groups of a round are alive at once when the test inspects the state and
// when the runs read their marks back over OpenSSH by address: a node given
// to two groups, or an address given twice, shows there.
var soakCells = []string{
	`group := "soak"  // unit group of this run
barrier := ""     // directory of the ready files and the go file`,

	`import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"ocs/vcp"
)

// The mark names the group and the ocs process (the worker's parent).
mark := fmt.Sprintf("%s ocs-pid=%d", group, os.Getppid())
mark`,

	`sdk := vcp.MustSDK(vcp.New(""))
ug := vcp.MustUGroup(sdk.CreateUGroup(group))
spec := vcp.MustSpec(sdk.GetSpec("local", "small"))
spec.NumNodes = ` + strconv.Itoa(soakNodes) + `
unit := vcp.MustUnit(ug.CreateUnit("web", spec))
nodes := vcp.MustNodes(unit.FindNodes())
len(nodes)`,

	`fmt.Print(vcp.MustString(sdk.SSH(group+"/web", "echo '"+mark+"' > ~/mark && cat ~/mark")))`,

	// A function, since yaegi cannot declare two values with := in a block
	// at a cell's top level.
	`func waitForGo(dir string, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go")); err == nil {
			return
		}
		if time.Now().After(deadline) {
			panic(fmt.Sprintf("no go from the soak test within %v", limit))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
vcp.Check(os.WriteFile(filepath.Join(barrier, "ready-"+group), nil, 0o644))
waitForGo(barrier, 60*time.Second)`,

	`cfg := ug.SSHConfig()
for _, n := range nodes {
	got := !ssh -F {cfg} {n.CloudInstanceAddress} 'cat ~/mark'
	if strings.Join(got, "\n") != mark {
		panic(fmt.Sprintf("node %s at %s answered %q, want %q", n.Name, n.CloudInstanceAddress, got, mark))
	}
	fmt.Printf("readback %s:%d %s\n", n.CloudInstanceAddress, n.Port, mark)
}`,

	`vcp.Check(ug.Cleanup())
if vcp.MustUGroup(sdk.GetUGroup(group)) != nil {
	panic("unit group " + group + " is still there")
}
"cleaned up"`,
}

// soakRun is one ocs run of a round.
type soakRun struct {
	group, rec string
	cmd        *exec.Cmd
	stderr     syncBuffer
	done       chan struct{}
	err        error
}

// TestSoakConcurrentRuns runs soakProcs ocs processes at once, soakRounds
// times, on one state directory, and checks every record, the state while
// the nodes run and after, and that no process is left.
func TestSoakConcurrentRuns(t *testing.T) {
	kerneltest.NeedTool(t, "ssh")
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	// Registered first, so it runs last: after the runs are stopped, remove
	// whatever a failed run left and kill any process of the state.
	t.Cleanup(func() { soakCleanup(t, state) })

	nb := filepath.Join(dir, "soak.ipynb")
	writeGoNotebook(t, nb, soakCells...)
	tagParameters(t, nb)
	env := faultEnv(t, state)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}

	sampler := sampleProcs(state)
	t.Cleanup(func() { sampler.stop() })
	booted := 0
	for round := 0; round < soakRounds; round++ {
		roundStart := time.Now()
		barrier := filepath.Join(dir, fmt.Sprintf("barrier-%d", round))
		if err := os.Mkdir(barrier, 0o755); err != nil {
			t.Fatal(err)
		}
		runs := make([]*soakRun, soakProcs)
		for i := range runs {
			r := &soakRun{
				group: fmt.Sprintf("soak-r%d-p%d", round, i),
				rec:   filepath.Join(dir, fmt.Sprintf("record-r%d-p%d.ipynb", round, i)),
				done:  make(chan struct{}),
			}
			r.cmd = exec.CommandContext(ctx, exe, "run", "--quiet", "-o", r.rec,
				"-p", "group="+r.group, "-p", "barrier="+barrier, nb)
			r.cmd.Env = env
			r.cmd.Stderr = &r.stderr
			r.cmd.WaitDelay = 5 * time.Second
			if err := r.cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { r.err = r.cmd.Wait(); close(r.done) }()
			// On a failure below, the deadline's cancel kills the run;
			// wait for it so that its worker is gone before the state
			// cleanup.
			t.Cleanup(func() { cancel(); <-r.done })
			runs[i] = r
		}

		// Every run has booted and marked its nodes: inspect the state
		// while all of them run, then let the runs go on.
		waitReady(t, ctx, barrier, runs)
		live := inspectLiveState(t, ctx, exe, state, env, runs)
		booted += len(live)
		if err := os.WriteFile(filepath.Join(barrier, "go"), nil, 0o644); err != nil {
			t.Fatal(err)
		}

		var recs []string
		for _, r := range runs {
			select {
			case <-r.done:
			case <-ctx.Done():
				t.Fatalf("round %d: run %s did not finish before the deadline; stderr:\n%s", round, r.group, tail(r.stderr.String(), 2000))
			}
			if r.err != nil {
				t.Fatalf("round %d: run %s: %v; stderr:\n%s", round, r.group, r.err, tail(r.stderr.String(), 2000))
			}
			recs = append(recs, r.rec)
		}
		requireValidRecords(t, recs)
		for _, r := range runs {
			checkSoakRecord(t, r, live)
		}
		if groups := vcpList(t, ctx, exe, env); len(groups) != 0 {
			t.Fatalf("round %d: unit groups left after every run cleaned up: %+v", round, groups)
		}
		t.Logf("round %d: %d runs, %d nodes, %.1fs", round, soakProcs, len(live), time.Since(roundStart).Seconds())
	}

	checkEmptyState(t, state)
	waitNoProcesses(t, state, 10*time.Second)
	// The peaks are sampled, so only a figure for the log; the barrier
	// check above is what asserts that every node ran at once.
	peakNodes, peakOthers := sampler.stop()
	t.Logf("soak: %d rounds x %d runs, %d nodes booted, peak %d node processes and %d other processes of the state at once (sampled), %.1fs",
		soakRounds, soakProcs, booted, peakNodes, peakOthers, time.Since(start).Seconds())
}

// requireValidRecords is kerneltest.RequireValid, except that without the
// referee outside CI it notes that and goes on: RequireValid would skip the
// rest of the soak, and with it the checks of the state.
func requireValidRecords(t *testing.T, files []string) {
	t.Helper()
	verdicts, err := kerneltest.Check(files...)
	if errors.Is(err, kerneltest.ErrNoReferee) && os.Getenv("CI") != "true" {
		t.Logf("records not checked by nbformat: %v", err)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	for file, v := range verdicts {
		if !v.Valid {
			t.Errorf("%s: nbformat says invalid: %s", file, v.Error)
		}
	}
}

// tagParameters tags the notebook's first cell "parameters", so that -p
// values replace its defaults.
func tagParameters(t *testing.T, path string) {
	t.Helper()
	nb, err := notebook.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	nb.Cells[0].Metadata["tags"] = []any{"parameters"}
	if err := nb.WriteFile(path); err != nil {
		t.Fatal(err)
	}
}

// waitReady waits until every run has written its ready file; a run that
// ends before that fails the test at once rather than at the deadline.
func waitReady(t *testing.T, ctx context.Context, barrier string, runs []*soakRun) {
	t.Helper()
	for {
		ready := 0
		for _, r := range runs {
			if _, err := os.Stat(filepath.Join(barrier, "ready-"+r.group)); err == nil {
				ready++
			}
			select {
			case <-r.done:
				t.Fatalf("run %s ended before it was ready: %v; stderr:\n%s", r.group, r.err, tail(r.stderr.String(), 2000))
			default:
			}
		}
		if ready == len(runs) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d of %d runs ready at the deadline", ready, len(runs))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// vcpList runs `ocs vcp ls --json` as its own process, as a user would
// while the runs hold the state.
func vcpList(t *testing.T, ctx context.Context, exe string, env []string) []vcp.GroupView {
	t.Helper()
	cmd := exec.CommandContext(ctx, exe, "vcp", "ls", "--json")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ocs vcp ls --json: %v; stderr:\n%s", err, stderr.String())
	}
	var groups []vcp.GroupView
	if err := json.Unmarshal(out, &groups); err != nil {
		t.Fatalf("ocs vcp ls --json: %v; output:\n%s", err, out)
	}
	return groups
}

// liveNode is a node as the state showed it while every run was at the
// barrier.
type liveNode struct {
	group, id string
	no, port  int
	pid       int
}

// inspectLiveState checks the state while every run of the round is at the
// barrier: each run's group is there with its own nodes, all running, each
// on its own address, each a process of its own. It returns the
// nodes by address.
func inspectLiveState(t *testing.T, ctx context.Context, exe, state string, env []string, runs []*soakRun) map[string]liveNode {
	t.Helper()
	groups := vcpList(t, ctx, exe, env)
	byName := map[string]vcp.GroupView{}
	for _, g := range groups {
		byName[g.Name] = g
	}
	live := map[string]liveNode{}
	pids := map[int]string{}
	for _, r := range runs {
		g, ok := byName[r.group]
		if !ok {
			t.Errorf("unit group %s of a ready run is not in the state", r.group)
			continue
		}
		delete(byName, r.group)
		if len(g.Nodes) != soakNodes {
			t.Errorf("unit group %s has %d nodes, want %d: %+v", r.group, len(g.Nodes), soakNodes, g.Nodes)
		}
		for _, n := range g.Nodes {
			if n.Live != vcp.StateRunning || n.Port == 0 || n.PID <= 0 {
				t.Errorf("node %s of %s: live state %s, port %d, pid %d; want a running node", n.Name, r.group, n.Live, n.Port, n.PID)
			}
			// Each local node has a loopback address of its own, so a
			// distinct port does not excuse a shared address.
			if other, dup := live[n.Address]; dup {
				t.Errorf("address %s is given to node %d of %s (port %d) and to node %d of %s (port %d)", n.Address, other.no, other.group, other.port, n.No, r.group, n.Port)
			}
			if other, dup := pids[n.PID]; dup && n.PID > 0 {
				t.Errorf("pid %d is recorded for a node of %s and one of %s", n.PID, other, r.group)
			}
			live[n.Address] = liveNode{group: r.group, id: n.ID, no: n.No, port: n.Port, pid: n.PID}
			pids[n.PID] = r.group
		}
	}
	for name := range byName {
		t.Errorf("unit group %s in the state belongs to no run of this round", name)
	}
	// The node processes that run are exactly the recorded ones: none
	// lost, none started twice, none left from an earlier round.
	nodes, _ := stateProcs(state)
	for _, pid := range nodes {
		if _, ok := pids[pid]; !ok {
			cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
			t.Errorf("node process %d is in no group's record: %q", pid, strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	if len(nodes) != len(pids) {
		t.Errorf("%d node processes run for %d recorded nodes", len(nodes), len(pids))
	}
	return live
}

// checkSoakRecord checks a run's record: every cell completed, the nodes
// the run found are the ones the state showed for its group, and each
// answered with the run's own mark, over the SDK and over OpenSSH.
func checkSoakRecord(t *testing.T, r *soakRun, live map[string]liveNode) {
	t.Helper()
	nb, err := notebook.ReadFile(r.rec)
	if err != nil {
		t.Fatal(err)
	}
	mark := fmt.Sprintf("%s ocs-pid=%d", r.group, r.cmd.Process.Pid)
	var found []map[string]any
	var text strings.Builder
	for i, c := range nb.Cells {
		if c.Type != notebook.Code {
			continue
		}
		meta, _ := c.Metadata[notebook.OCSKey].(map[string]any)
		if meta["status"] != string(runner.Completed) {
			t.Errorf("%s: cell %d has status %v, want %s", r.group, i, meta["status"], runner.Completed)
		}
		effects, _ := meta["effects"].([]any)
		for _, e := range effects {
			e, _ := e.(map[string]any)
			if e["op"] != "vcp.find_nodes" {
				continue
			}
			res, _ := e["result"].(map[string]any)
			ns, _ := res["nodes"].([]any)
			for _, n := range ns {
				if n, ok := n.(map[string]any); ok {
					found = append(found, n)
				}
			}
		}
		for _, o := range c.Outputs {
			if o.Type == notebook.StreamOutput {
				text.WriteString(o.Text.String())
			}
		}
	}
	if len(found) != soakNodes {
		t.Errorf("%s: the journal's vcp.find_nodes lists %d nodes, want %d", r.group, len(found), soakNodes)
	}
	out := text.String()
	for _, n := range found {
		no, port := jsonInt(n["no"]), jsonInt(n["port"])
		addr, _ := n["cloud_instance_address"].(string)
		hp := fmt.Sprintf("%s:%d", addr, port)
		if l, ok := live[addr]; !ok || l.group != r.group || l.id != n["id"] || l.no != no || l.port != port {
			t.Errorf("%s: the journal has node %v at %s; the state showed %+v there", r.group, n["name"], hp, l)
		}
		if want := fmt.Sprintf("%s/web/%d | %s\n", r.group, no, mark); !strings.Contains(out, want) {
			t.Errorf("%s: no %q in the output of the SDK's SSH", r.group, want)
		}
		if want := fmt.Sprintf("readback %s %s\n", hp, mark); !strings.Contains(out, want) {
			t.Errorf("%s: no %q in the output of the OpenSSH readback", r.group, want)
		}
	}
	if t.Failed() {
		t.Logf("%s: output:\n%s", r.group, tail(out, 2000))
	}
}

// jsonInt is a whole number from a record's JSON, however the notebook
// package decoded it; -1 when it is none.
func jsonInt(v any) int {
	n, err := strconv.Atoi(fmt.Sprint(v))
	if err != nil {
		return -1
	}
	return n
}

// checkEmptyState checks that the state directory holds only what
// kernel/vcp keeps when no group is left: the lock file and the empty
// ugroups directory. A leftover temporary file of an atomic write, a node
// directory or a group directory would show here.
func checkEmptyState(t *testing.T, state string) {
	t.Helper()
	var stray []string
	err := filepath.WalkDir(state, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(state, path)
		switch {
		case rel == ".", rel == "ugroups" && d.IsDir(), rel == "lock" && d.Type().IsRegular():
		default:
			stray = append(stray, rel)
		}
		return nil
	})
	if err != nil {
		t.Errorf("walk the state directory: %v", err)
	}
	if len(stray) > 0 {
		sort.Strings(stray)
		t.Errorf("stray files in the emptied state directory: %v", stray)
	}
}

// stateProcs lists live processes that belong to the state directory:
// node processes by their --dir argument, and anything else (ocs runs,
// kernel workers, ssh clients) by OCS_STATE_DIR in its environment.
func stateProcs(state string) (nodes, others []int) {
	nodeArg := []byte("\x00--dir\x00" + state + string(filepath.Separator))
	envVar := []byte("OCS_STATE_DIR=" + state + "\x00")
	ents, _ := os.ReadDir("/proc")
	self := os.Getpid()
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self || !processAliveNotZombie(pid) {
			continue
		}
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if bytes.Contains(cmdline, nodeArg) {
			nodes = append(nodes, pid)
			continue
		}
		environ, _ := os.ReadFile("/proc/" + e.Name() + "/environ")
		if bytes.Contains(environ, envVar) {
			others = append(others, pid)
		}
	}
	return nodes, others
}

// processAliveNotZombie reports whether pid exists and has not exited.
func processAliveNotZombie(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i > 0 && i+2 < len(stat) && stat[i+2] != 'Z' && stat[i+2] != 'X'
}

// waitNoProcesses waits (at most limit) until no process of the state runs;
// the runs have exited, so only a process that outlives them is left.
func waitNoProcesses(t *testing.T, state string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		nodes, others := stateProcs(state)
		if len(nodes)+len(others) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, pid := range append(nodes, others...) {
				cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
				t.Errorf("process %d of the state left: %q", pid, strings.ReplaceAll(string(cmdline), "\x00", " "))
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// procSampler counts the processes of the state over time.
type procSampler struct {
	mu                    sync.Mutex
	peakNodes, peakOthers int
	quit, done            chan struct{}
	once                  sync.Once
}

func sampleProcs(state string) *procSampler {
	s := &procSampler{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			nodes, others := stateProcs(state)
			s.mu.Lock()
			s.peakNodes = max(s.peakNodes, len(nodes))
			s.peakOthers = max(s.peakOthers, len(others))
			s.mu.Unlock()
			select {
			case <-s.quit:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *procSampler) stop() (peakNodes, peakOthers int) {
	s.once.Do(func() { close(s.quit) })
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peakNodes, s.peakOthers
}

// soakCleanup removes every unit group left in the state and kills any
// process of it still running, so that a failed soak leaves nothing behind.
func soakCleanup(t *testing.T, state string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := os.Stat(state); errors.Is(err, os.ErrNotExist) {
		return
	}
	removeGroups(t, ctx, state)
	nodes, others := stateProcs(state)
	for _, pid := range append(nodes, others...) {
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill()
		}
	}
}
