package gokernel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"ocs/kernel"
	"ocs/kernel/gokernel"
	"ocs/kernel/gokernel/standby"
	"ocs/kernel/kerneltest"
)

// syncLog is a log sink a test reads while the kernel writes to it.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// line returns the fields of the first log line with this message.
func (l *syncLog) line(t *testing.T, msg string) map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range strings.Split(l.buf.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(s), &m) == nil && m["message"] == msg {
			return m
		}
	}
	t.Fatalf("no %q in the log:\n%s", msg, l.buf.String())
	return nil
}

// startWithStandby launches a standby worker (this test binary, as
// TestMain makes it), then a kernel with the default worker command, which
// may adopt it.
func startWithStandby(t *testing.T, dir string, env []string) (*gokernel.Kernel, *syncLog) {
	t.Helper()
	if err := standby.Launch(); err != nil {
		t.Fatalf("launch a standby: %v", err)
	}
	t.Cleanup(standby.Discard)
	sink := &syncLog{}
	log := zerolog.New(sink).Level(zerolog.DebugLevel)
	k, err := gokernel.Start(context.Background(), gokernel.Options{Dir: dir, Env: env, Logger: &log})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { _ = k.Close() })
	return k, sink
}

func resultOf(t *testing.T, k *gokernel.Kernel, src string) string {
	t.Helper()
	rec := &kerneltest.Recorder{}
	if err := k.Execute(context.Background(), kernel.Cell{Source: src, Count: 1}, rec); err != nil {
		t.Fatalf("execute %q: %v (outputs %+v)", src, err, rec.Outputs())
	}
	out, ok := rec.Find(kernel.Result)
	if !ok {
		t.Fatalf("%q: no result in %+v", src, rec.Outputs())
	}
	return out.Data["text/plain"].(string)
}

func withoutVar(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// The kernel adopts a standby that fits, configured with the kernel's
// directory and environment: its cells see those, as a fresh worker's do.
func TestStandbyAdopted(t *testing.T) {
	dir := t.TempDir()
	env := append(withoutVar(os.Environ(), "GOMAXPROCS"), "STANDBY_PROBE=adopted", "STANDBY_PROBE=last wins")
	k, log := startWithStandby(t, dir, env)
	if err := k.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ready := log.line(t, "go kernel worker ready"); ready["standby"] != true {
		t.Fatalf("the worker was not the standby: %v", ready)
	}
	cases := []struct{ src, want string }{
		{"import \"os\"\nos.Getenv(\"STANDBY_PROBE\")", `"last wins"`},
		{"import \"ocs/testsdk\"\ntestsdk.ProcessGetenv(\"STANDBY_PROBE\")", `"last wins"`},
		{"wd, _ := os.Getwd()\nwd", `"` + dir + `"`},
		{"import \"runtime\"\nruntime.GOMAXPROCS(0)", "1"},
		{"testsdk.ProcessGetenv(\"" + standby.WorkerEnv + "\")", `"1"`},
	}
	for _, c := range cases {
		if got := resultOf(t, k, c.src); got != c.want {
			t.Errorf("%q = %s, want %s", c.src, got, c.want)
		}
	}
}

// A kernel whose environment differs from the standby's in a variable the
// Go runtime reads at start gets a fresh worker, and the standby is gone.
func TestStandbyNotAdoptedWhenRuntimeEnvDiffers(t *testing.T) {
	procs := "3"
	if os.Getenv("GOMAXPROCS") == procs {
		procs = "2"
	}
	env := append(withoutVar(os.Environ(), "GOMAXPROCS"), "GOMAXPROCS="+procs)
	k, log := startWithStandby(t, t.TempDir(), env)
	if err := k.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	not := log.line(t, "go kernel standby worker not adopted")
	if not["reason"] != "GOMAXPROCS differs" {
		t.Errorf("reason %v, want GOMAXPROCS differs", not["reason"])
	}
	if ready := log.line(t, "go kernel worker ready"); ready["standby"] != false {
		t.Errorf("ready line %v, want standby false", ready)
	}
	if got := resultOf(t, k, "import \"runtime\"\nruntime.GOMAXPROCS(0)"); got != procs {
		t.Errorf("GOMAXPROCS in the cell = %s, want %s", got, procs)
	}
	kerneltest.WaitGone(t, int(not["pid"].(float64)), 2*time.Second, "the standby not adopted")
}
