package jupyter

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func writeSpec(t *testing.T, root, name, body string) {
	t.Helper()
	dir := filepath.Join(root, "kernels", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kernel.json"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFind(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	t.Setenv("JUPYTER_PATH", first+string(os.PathListSeparator)+second)
	t.Setenv("JUPYTER_DATA_DIR", t.TempDir())
	writeSpec(t, first, "mine", `{"argv": ["/opt/py", "-f", "{connection_file}", "{resource_dir}/x"], "display_name": "Mine", "language": "python", "env": {"A": "1"}, "interrupt_mode": "message"}`)
	writeSpec(t, second, "mine", `{"argv": ["/other", "{connection_file}"], "language": "python"}`)
	writeSpec(t, second, "plain", `{"argv": ["/bin/k", "{connection_file}"]}`)
	writeSpec(t, second, "broken", `{"argv": []}`)
	writeSpec(t, second, "noconn", `{"argv": ["/bin/k"]}`)
	writeSpec(t, second, "badmode", `{"argv": ["/bin/k", "{connection_file}"], "interrupt_mode": "shout"}`)

	s, err := Find("mine")
	if err != nil {
		t.Fatal(err)
	}
	// The first folder of the search path wins.
	if s.Argv[0] != "/opt/py" || s.InterruptMode != "message" || s.Env["A"] != "1" || s.Language != "python" {
		t.Errorf("spec = %+v", s)
	}
	if got := s.command("/run/c.json"); !reflect.DeepEqual(got, []string{"/opt/py", "-f", "/run/c.json", filepath.Join(first, "kernels", "mine") + "/x"}) {
		t.Errorf("command = %q", got)
	}
	if s, err := Find("plain"); err != nil || s.InterruptMode != "signal" {
		t.Errorf("plain: %+v, %v (interrupt_mode defaults to signal)", s, err)
	}
	for _, name := range []string{"broken", "noconn", "badmode"} {
		if _, err := Find(name); err == nil || !strings.Contains(err.Error(), filepath.Join(name, "kernel.json")) {
			t.Errorf("Find(%q) = %v, want an error naming its kernel.json", name, err)
		}
	}
	_, err = Find("absent")
	var nie *NotInstalledError
	if !errors.As(err, &nie) {
		t.Fatalf("Find(absent) = %v, want a *NotInstalledError", err)
	}
	if !slices.Contains(nie.Installed, "mine") || !slices.Contains(nie.Installed, "plain") || !strings.Contains(err.Error(), "installed: ") {
		t.Errorf("error %q lists %q", err, nie.Installed)
	}
	if got := SearchPath(); got[0] != filepath.Join(first, "kernels") || got[len(got)-1] != "/usr/share/jupyter/kernels" {
		t.Errorf("search path %q", got)
	}
}

func TestWire(t *testing.T) {
	s := newSigner([]byte("key"))
	in := &message{Identities: [][]byte{[]byte("id")}, Header: newHeader("sess", "execute_request"), Content: json.RawMessage(`{"code":"1"}`)}
	in.Parent = newHeader("sess", "kernel_info_request")
	frames, err := s.encode(in)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).Match(frames[2]) {
		t.Errorf("signature %q is not hex HMAC-SHA256", frames[2])
	}
	out, err := s.decode(frames)
	if err != nil {
		t.Fatal(err)
	}
	if out.Header != in.Header || out.Parent != in.Parent || string(out.Content) != `{"code":"1"}` || string(out.Identities[0]) != "id" {
		t.Errorf("round trip: %+v", out)
	}
	// Another key, or a changed frame, fails verification.
	if _, err := newSigner([]byte("other")).decode(frames); !errors.Is(err, errBadSignature) {
		t.Errorf("other key: %v", err)
	}
	frames[6] = []byte(`{"code":"2"}`)
	if _, err := s.decode(frames); !errors.Is(err, errBadSignature) {
		t.Errorf("changed content: %v", err)
	}
	if _, err := s.decode([][]byte{[]byte("x"), delimiter, []byte("sig")}); err == nil {
		t.Error("short message decoded")
	}
}

func FuzzDecode(f *testing.F) {
	s := newSigner([]byte("k"))
	frames, _ := s.encode(&message{Header: newHeader("s", "status"), Content: json.RawMessage(`{"execution_state":"idle"}`)})
	f.Add(strings.Join(bytesToStrings(frames), "\x00"))
	f.Add("<IDS|MSG>\x00\x00{}\x00{}\x00{}\x00{}")
	f.Fuzz(func(t *testing.T, joined string) {
		var fr [][]byte
		for _, p := range strings.Split(joined, "\x00") {
			fr = append(fr, []byte(p))
		}
		m, err := s.decode(fr)
		if err == nil && m == nil {
			t.Fatal("nil message without error")
		}
		if err == nil {
			// What verified re-encodes to a message that verifies again.
			again, err := s.encode(m)
			if err != nil {
				return
			}
			if _, err := s.decode(again); err != nil {
				t.Fatalf("re-encoded message does not verify: %v", err)
			}
		}
	})
}

func bytesToStrings(b [][]byte) []string {
	out := make([]string, len(b))
	for i, x := range b {
		out[i] = string(x)
	}
	return out
}

func TestGetpassNames(t *testing.T) {
	tests := map[string][]string{
		"password = getpass()":                                 {"password"},
		"from getpass import getpass\npw = getpass('Pass: ')":  {"pw"},
		"import getpass\ntoken = getpass.getpass(prompt='t')":  {"token"},
		"if True:\n    a = getpass()\nb: str = getpass()":      {"a", "b"},
		"x = 1\n# c = getpass()\nprint(getpass)":               nil,
		"a == getpass()":                                       nil,
		"vc_token = getpass()\nprint(1)\nssh_pw = getpass()\n": {"vc_token", "ssh_pw"},
	}
	for src, want := range tests {
		if got := getpassNames(src); !slices.Equal(got, want) {
			t.Errorf("getpassNames(%q) = %q, want %q", src, got, want)
		}
	}
}

func FuzzGetpassNames(f *testing.F) {
	f.Add("password = getpass()")
	f.Add("a: int = getpass.getpass('x')\n")
	ident := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	f.Fuzz(func(t *testing.T, src string) {
		for _, n := range getpassNames(src) {
			if !ident.MatchString(n) || !strings.Contains(src, n) {
				t.Fatalf("name %q from %q", n, src)
			}
		}
	})
}
