package vcp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// NodeCommand says how to start a node process: Path and Args are followed
// by NodeSubcommand, "--dir" and the node directory; Env is added to the
// small environment a node gets. The default is the running executable.
type NodeCommand struct {
	Path string
	Args []string
	Env  []string
}

func defaultNodeCommand() (NodeCommand, error) {
	exe, err := os.Executable()
	if err != nil {
		return NodeCommand{}, fmt.Errorf("find the ocs executable: %w", err)
	}
	return NodeCommand{Path: exe}, nil
}

// startNodeProcess starts a detached node process for dir (new session,
// stdio to node.log) and waits until it listens. It returns the port and
// pid. The process outlives the caller.
func startNodeProcess(ctx context.Context, nc NodeCommand, dir string, secretEnv []string) (port, pid int, err error) {
	logf, err := os.OpenFile(filepath.Join(dir, nodeLogFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return 0, 0, fmt.Errorf("open node log: %w", err)
	}
	defer logf.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return 0, 0, err
	}
	defer devnull.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		return 0, 0, fmt.Errorf("node ready pipe: %w", err)
	}
	defer pr.Close()
	args := append(append([]string{}, nc.Args...), NodeSubcommand, "--dir", dir)
	cmd := exec.Command(nc.Path, args...)
	cmd.Dir = dir
	cmd.Env = nodeProcessEnv(nc.Env)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, logf, logf
	// fd 4, only when there are any: the withheld ParamsE entries, as
	// JSON, which no file holds.
	cmd.ExtraFiles = []*os.File{pw}
	var er, ew *os.File
	if len(secretEnv) > 0 {
		if er, ew, err = os.Pipe(); err != nil {
			pw.Close()
			return 0, 0, fmt.Errorf("node env pipe: %w", err)
		}
		cmd.ExtraFiles = append(cmd.ExtraFiles, er)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	pw.Close()
	if er != nil {
		er.Close()
		go func() {
			_ = json.NewEncoder(ew).Encode(secretEnv)
			ew.Close()
		}()
	}
	if err != nil {
		return 0, 0, fmt.Errorf("start node process: %w", err)
	}
	pid = cmd.Process.Pid
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }() // reap it if it dies while we live
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(pr).ReadString('\n')
		line <- s
	}()
	timeout := time.NewTimer(15 * time.Second)
	defer timeout.Stop()
	select {
	case s := <-line:
		var p, q int
		if _, err := fmt.Sscanf(s, "%d %d", &p, &q); err == nil && p > 0 {
			return p, pid, nil
		}
		<-exited
		return 0, pid, fmt.Errorf("node process exited before it listened: %s", lastLogLine(dir))
	case <-timeout.C:
		return 0, pid, errors.New("node process did not listen within 15s")
	case <-ctx.Done():
		return 0, pid, ctx.Err()
	}
}

// nodeProcessEnv is the environment of a node process: only what it needs
// (and ocs's own OCS_* settings), so that no secret of the creating process
// leaks into nodes.
func nodeProcessEnv(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "PATH", k == "LANG", k == "LC_ALL", k == "TZ", strings.HasPrefix(k, "OCS_") && !strings.Contains(k, "TOKEN") && !strings.Contains(k, "SECRET"):
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

func lastLogLine(dir string) string {
	data, _ := os.ReadFile(filepath.Join(dir, nodeLogFile))
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// nodeProcessArg is how a node process is recognised in /proc: its argv
// holds "--dir" followed by its directory.
func nodeProcessArg(dir string) []byte { return []byte("\x00--dir\x00" + dir + "\x00") }

// processOf reports whether pid is a live (not zombie) node process of dir.
func processOf(pid int, dir string) bool {
	if pid <= 0 {
		return false
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || !bytes.Contains(cmdline, nodeProcessArg(dir)) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X') {
		return false
	}
	return true
}

// findNodeProcesses returns the pids of live node processes of dir: the
// recorded pid if it still is one, and any other found in /proc (a node
// started by a process that died before it could record the pid).
func findNodeProcesses(recorded int, dir string) []int {
	var pids []int
	ents, err := os.ReadDir("/proc")
	if err != nil {
		if processOf(recorded, dir) {
			pids = append(pids, recorded)
		}
		return pids
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err == nil && processOf(pid, dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// nodeDirsRunning returns the directories, under prefix, of every live
// node process: the nodes of a group whose state file cannot be read.
func nodeDirsRunning(prefix string) []string {
	var dirs []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		args := strings.Split(string(cmdline), "\x00")
		for i := 0; i+1 < len(args); i++ {
			if args[i] == "--dir" && strings.HasPrefix(args[i+1], prefix) && processOf(pid, args[i+1]) && !slices.Contains(dirs, args[i+1]) {
				dirs = append(dirs, args[i+1])
			}
		}
	}
	return dirs
}

// stopNodeProcesses terminates every node process of dir: SIGTERM, then
// SIGKILL after grace. It returns when none is left or ctx is done.
func stopNodeProcesses(ctx context.Context, recorded int, dir string, grace time.Duration) error {
	pids := findNodeProcesses(recorded, dir)
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGTERM)
	}
	deadline := time.Now().Add(grace)
	killed := false
	for i := 0; ; i++ {
		alive := pids[:0]
		for _, p := range pids {
			if processOf(p, dir) {
				alive = append(alive, p)
			}
		}
		pids = alive
		if len(pids) == 0 {
			return nil
		}
		if !killed && time.Now().After(deadline) {
			for _, p := range pids {
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
			killed = true
			deadline = time.Now().Add(5 * time.Second)
		} else if killed && time.Now().After(deadline) {
			return fmt.Errorf("node process %d did not exit after SIGKILL", pids[0])
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
