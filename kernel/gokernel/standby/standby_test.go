package standby

import (
	"io"
	"os"
	"os/signal"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

// TestMain makes the test binary a standby's worker: once configured it
// reports its working directory and environment on fd 4 and exits.
func TestMain(m *testing.M) {
	Await()
	if os.Getenv(WorkerEnv) == "1" {
		wd, _ := os.Getwd()
		report := os.NewFile(4, "report")
		_, _ = report.WriteString(wd + "\x00" + strings.Join(os.Environ(), "\x00"))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestWanted(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	none := env()
	cases := []struct {
		name   string
		args   []string
		getenv func(string) string
		want   bool
	}{
		{"run", []string{"ocs", "run", "nb.ipynb"}, none, true},
		{"run with flags", []string{"ocs", "run", "-q", "-o", "x", "nb.ipynb"}, none, true},
		{"global flags first", []string{"ocs", "--log-level", "debug", "--log-format=json", "run", "nb"}, none, true},
		{"flag value named run", []string{"ocs", "--log-level", "run", "status", "x"}, none, false},
		{"other verb", []string{"ocs", "status", "run"}, none, false},
		{"unknown global flag", []string{"ocs", "--quiet", "run", "nb"}, none, false},
		{"no verb", []string{"ocs"}, none, false},
		{"help", []string{"ocs", "run", "--help"}, none, false},
		{"short help", []string{"ocs", "run", "nb", "-h"}, none, false},
		{"help params", []string{"ocs", "run", "nb", "--help-params"}, none, false},
		{"prepare only", []string{"ocs", "run", "nb", "--prepare-only"}, none, false},
		{"help after --", []string{"ocs", "run", "--", "--help"}, none, true},
		{"opted out", []string{"ocs", "run", "nb"}, env(OptOutEnv, "0"), false},
		{"opt-out other value", []string{"ocs", "run", "nb"}, env(OptOutEnv, "1"), true},
		{"a worker", []string{"ocs", "run", "nb"}, env(WorkerEnv, "1"), false},
		{"a standby", []string{"ocs", "run", "nb"}, env(WorkerEnv, "standby"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := wanted(c.args, c.getenv); got != c.want {
				t.Errorf("wanted(%q) = %v, want %v", c.args, got, c.want)
			}
		})
	}
}

func TestDedupEnv(t *testing.T) {
	cases := []struct {
		name    string
		in, out []string
		bad     bool
	}{
		{"plain", []string{"A=1", "B=2"}, []string{"A=1", "B=2"}, false},
		{"last wins at its place", []string{"A=1", "B=2", "A=3"}, []string{"B=2", "A=3"}, false},
		{"empty value", []string{"A="}, []string{"A="}, false},
		{"no equals", []string{"A"}, nil, true},
		{"empty name", []string{"=x"}, nil, true},
		{"empty entry", []string{""}, nil, true},
		{"NUL", []string{"A=x\x00y"}, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := dedupEnv(c.in)
			if (err != nil) != c.bad || !c.bad && !reflect.DeepEqual(got, c.out) {
				t.Errorf("dedupEnv(%q) = %q, %v; want %q, error %v", c.in, got, err, c.out, c.bad)
			}
		})
	}
}

func TestConfigRoundTrip(t *testing.T) {
	cases := []struct {
		dir string
		env []string
	}{
		{"/tmp/x y", []string{"A=1", "PATH=/bin:/usr/bin", "E="}},
		{"", nil},
		{"relative/dir", []string{"ONLY=one"}},
	}
	for _, c := range cases {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := (&Worker{Requests: w}).Configure(c.dir, c.env); err != nil {
			t.Fatal(err)
		}
		_, _ = w.WriteString("after") // the kernel's protocol follows
		w.Close()
		dir, env, err := readConfig(int(r.Fd()))
		if err != nil || dir != c.dir || len(env) != len(c.env) || len(env) > 0 && !reflect.DeepEqual(env, c.env) {
			t.Errorf("read back %q %q %v, want %q %q", dir, env, err, c.dir, c.env)
		}
		rest, _ := io.ReadAll(r)
		if string(rest) != "after" {
			t.Errorf("readConfig left %q, want the protocol's bytes untouched", rest)
		}
		r.Close()
	}
}

func TestReadConfigRefuses(t *testing.T) {
	cases := map[string]string{
		"empty pipe":   "",
		"short header": "\x00\x00\x00",
		"zero length":  "\x00\x00\x00\x00\x00\x00\x00\x00",
		"huge length":  "\x7f\x00\x00\x00\x00\x00\x00\x00",
		"truncated":    "\x00\x00\x00\x00\x00\x00\x00\x09/dir\x00",
		"no final NUL": "\x00\x00\x00\x00\x00\x00\x00\x04/dir",
		"bad entry":    "\x00\x00\x00\x00\x00\x00\x00\x08/d\x00NOEQ\x00",
	}
	for name, input := range cases {
		t.Run(name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			_, _ = w.WriteString(input)
			w.Close()
			if dir, env, err := readConfig(int(r.Fd())); err == nil {
				t.Errorf("readConfig(%q) = %q %q, want an error", input, dir, env)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("/dir\x00A=1\x00B=\x00"))
	f.Add([]byte("\x00"))
	f.Add([]byte("x"))
	f.Fuzz(func(t *testing.T, body []byte) {
		dir, env, err := parseConfig(body)
		if err != nil {
			return
		}
		if strings.Contains(dir, "\x00") {
			t.Fatalf("dir %q has a NUL", dir)
		}
		for _, kv := range env {
			if i := strings.IndexByte(kv, '='); i <= 0 || strings.Contains(kv, "\x00") {
				t.Fatalf("entry %q is not NAME=VALUE", kv)
			}
		}
	})
}

// A launched standby, configured, becomes a worker in the configured
// directory with exactly the configured environment; one whose request
// pipe ends first exits 0; Discard kills and reaps one nobody took.
func TestLaunchConfigureDiscard(t *testing.T) {
	if !supported {
		t.Skip("no standby on this system")
	}
	launchOne := func(t *testing.T) *Worker {
		t.Helper()
		if err := Launch(); err != nil {
			t.Fatal(err)
		}
		w := Take()
		if w == nil {
			t.Fatal("Launch left no standby to take")
		}
		if Take() != nil {
			t.Fatal("a second Take got a standby too")
		}
		t.Cleanup(w.Kill)
		return w
	}
	t.Run("configured", func(t *testing.T) {
		w := launchOne(t)
		dir := t.TempDir()
		env := []string{"B=2", "A=1", "B=3", WorkerEnv + "=1"}
		if ok, why := w.Fits(append(os.Environ(), env...)); !ok {
			t.Fatalf("Fits this process's environment: %s", why)
		}
		if err := w.Configure(dir, env); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(w.Messages)
		if err != nil {
			t.Fatal(err)
		}
		want := dir + "\x00A=1\x00B=3\x00" + WorkerEnv + "=1"
		if string(got) != want {
			t.Errorf("the worker reported %q, want %q", got, want)
		}
		if st, err := w.Process.Wait(); err != nil || !st.Success() {
			t.Errorf("worker ended %v %v", st, err)
		}
	})
	t.Run("request pipe ends first", func(t *testing.T) {
		w := launchOne(t)
		w.Requests.Close()
		st, err := w.Process.Wait()
		if err != nil || !st.Success() {
			t.Errorf("standby ended %v %v, want exit 0", st, err)
		}
		if out, _ := io.ReadAll(w.Output); len(out) != 0 {
			t.Errorf("standby wrote %q", out)
		}
	})
	t.Run("discard", func(t *testing.T) {
		if err := Launch(); err != nil {
			t.Fatal(err)
		}
		w := waiting.Load()
		pid := w.Process.Pid
		Discard()
		if Take() != nil {
			t.Fatal("Discard left a standby to take")
		}
		if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
			t.Errorf("standby %d after Discard: kill 0 = %v, want ESRCH (killed and reaped)", pid, err)
		}
	})
	t.Run("fits", func(t *testing.T) {
		w := launchOne(t)
		name := "GOGC"
		other := "off"
		if v, _ := syscall.Getenv(name); v == other {
			other = "50"
		}
		if ok, _ := w.Fits(append(os.Environ(), name+"="+other)); ok {
			t.Errorf("Fits an environment with %s=%s", name, other)
		}
		// A signal ignored since the standby started would be ignored in
		// a fresh worker, not in the standby.
		signal.Ignore(syscall.SIGUSR2)
		ok, why := w.Fits(os.Environ())
		// Notify, not Reset, puts the Go runtime's handler back.
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGUSR2)
		signal.Stop(c)
		if ok {
			t.Errorf("Fits after SIGUSR2 was ignored")
		} else if why != "ignored signals differ" {
			t.Errorf("reason %q", why)
		}
		if ok, why := w.Fits(os.Environ()); !ok {
			t.Errorf("does not fit once SIGUSR2 is handled again: %s", why)
		}
	})
}
