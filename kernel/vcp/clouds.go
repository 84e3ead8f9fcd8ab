package vcp

import (
	"fmt"
	"net"
	"os"
	"slices"
	"sort"
	"strings"
)

// Cloud providers that templates name (VCP's aws, azure, ...) are not in
// this build: a unit on one runs only when a ProviderMap sends it to a
// provider that is (local, onpremises). Their flavors are known all the
// same, so that a template's parameter checks (df_flavors, get_spec) pass
// and so that a mapped unit keeps the flavor it asked for.

// cloudFlavors are the flavor tables of the cloud providers templates name:
// the columns VCP's df_flavors shows for each, first the flavor name.
var cloudFlavors = map[string]struct {
	columns []string
	rows    [][]string
}{
	"aws": {[]string{"flavor", "instance_type", "volume_size", "volume_type"}, [][]string{
		{"small", "m4.large", "8", "gp2"}, {"medium", "m4.xlarge", "40", "gp2"},
		{"large", "m4.2xlarge", "100", "gp2"}, {"gpu", "p2.xlarge", "40", "gp2"},
	}},
	"aws_spot": {[]string{"flavor", "instance_type", "volume_size", "volume_type", "spot_price"}, [][]string{
		{"small", "m4.large", "8", "gp2", "0.1"}, {"medium", "m4.xlarge", "40", "gp2", "0.2"},
		{"large", "m4.2xlarge", "100", "gp2", "0.4"}, {"gpu", "p2.xlarge", "40", "gp2", "0.9"},
	}},
	"aws_disk": {[]string{"flavor", "size", "type"}, [][]string{
		{"small", "8", "gp2"}, {"medium", "32", "gp2"}, {"large", "128", "gp2"},
	}},
	"azure": {[]string{"flavor", "vm_size", "disk_size_gb", "managed_disk_type"}, [][]string{
		{"small", "Standard_B1s", "30", "Standard_LRS"}, {"medium", "Standard_D3_v2", "40", "Standard_LRS"},
		{"large", "Standard_D4_v2", "100", "Standard_LRS"}, {"gpu", "Standard_NC6", "40", "Standard_LRS"},
	}},
	"azure_disk": {[]string{"flavor", "disk_size_gb", "managed_disk_type"}, [][]string{
		{"small", "8", "Standard_LRS"}, {"medium", "32", "Standard_LRS"}, {"large", "128", "Standard_LRS"},
	}},
	"oracle": {[]string{"flavor", "shape", "boot_volume_size_in_gbs"}, [][]string{
		{"small", "VM.Standard2.1", "50"}, {"medium", "VM.Standard2.2", "60"},
		{"large", "VM.Standard2.4", "100"}, {"gpu", "VM.GPU2.1", "100"},
	}},
	"sakura": {[]string{"flavor", "server_plan_core", "server_plan_memory", "disk_size"}, [][]string{
		{"small", "1", "2", "20"}, {"medium", "2", "4", "40"}, {"large", "4", "8", "100"},
	}},
}

// CloudProviders lists the cloud providers whose flavors ocs knows, sorted.
func CloudProviders() []string {
	var out []string
	for k := range cloudFlavors {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// FlavorTable returns the flavors a provider offers: the cloud catalog for a
// cloud provider, the provider's own list for a registered one. An unknown
// provider is an error.
func FlavorTable(provider string) (*Table, error) {
	if c, ok := cloudFlavors[provider]; ok {
		t := &Table{Columns: slices.Clone(c.columns)}
		for _, r := range c.rows {
			t.Rows = append(t.Rows, slices.Clone(r))
		}
		return t, nil
	}
	p, err := LookupProvider(provider)
	if err != nil {
		return nil, err
	}
	t := &Table{Columns: []string{"flavor", "description"}}
	for _, f := range p.Flavors() {
		t.Rows = append(t.Rows, []string{f.Name, f.Description})
	}
	return t, nil
}

// FlavorAttrs returns the attributes a flavor sets on a spec (for aws
// small: instance_type m4.large, volume_size 8, ...), without the flavor
// name; ok is false when the provider has no such flavor.
func FlavorAttrs(provider, flavor string) (attrs map[string]string, ok bool) {
	t, err := FlavorTable(provider)
	if err != nil {
		return nil, false
	}
	for _, r := range t.Rows {
		if r[0] != flavor {
			continue
		}
		attrs = map[string]string{}
		if _, cloud := cloudFlavors[provider]; cloud {
			for i, c := range t.Columns[1:] {
				attrs[c] = r[i+1]
			}
		}
		return attrs, true
	}
	return nil, false
}

// EnvProviderMap names the environment variable that carries a provider
// mapping (ParseProviderMap's syntax) to every ocs process of a run: the Go
// kernel's worker and the Python kernel's bridge read the same one.
const EnvProviderMap = "OCS_VCP_PROVIDERS"

// ProviderMap sends the units of a provider a template names to a provider
// this build has: {"aws": "local"}; the key "*" maps every provider.
type ProviderMap map[string]string

// ParseProviderMap parses "local" (every provider runs on local) or
// "aws=local,azure=onpremises" (chosen ones). Targets must be providers of
// this build; sources must be cloud or registered providers.
func ParseProviderMap(s string) (ProviderMap, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	m := ProviderMap{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		from, to, found := strings.Cut(part, "=")
		if !found {
			from, to = "*", part
		}
		from, to = strings.TrimSpace(from), strings.TrimSpace(to)
		if _, err := LookupProvider(to); err != nil {
			return nil, fmt.Errorf("provider mapping %q: %w", part, err)
		}
		if from != "*" {
			if _, cloud := cloudFlavors[from]; !cloud {
				if _, err := LookupProvider(from); err != nil {
					return nil, fmt.Errorf("provider mapping %q: unknown provider %q (known: %s)", part, from, strings.Join(append(CloudProviders(), Providers()...), ", "))
				}
			}
		}
		if _, dup := m[from]; dup {
			return nil, fmt.Errorf("provider mapping %q: %q is mapped twice", s, from)
		}
		m[from] = to
	}
	return m, nil
}

// ProviderMapFromEnv reads EnvProviderMap.
func ProviderMapFromEnv() (ProviderMap, error) {
	m, err := ParseProviderMap(os.Getenv(EnvProviderMap))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvProviderMap, err)
	}
	return m, nil
}

// Resolve returns the provider a unit asking for asked runs on, and whether
// a mapping chose it.
func (m ProviderMap) Resolve(asked string) (string, bool) {
	if to, ok := m[asked]; ok {
		return to, to != asked
	}
	if to, ok := m["*"]; ok {
		return to, to != asked
	}
	return asked, false
}

// String is the mapping in ParseProviderMap's syntax, sorted.
func (m ProviderMap) String() string {
	var parts []string
	for k, v := range m {
		if k == "*" {
			parts = append(parts, v)
		} else {
			parts = append(parts, k+"="+v)
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// PrivateNetwork is the network node addresses of a provider come from (as
// VCP's VPN catalog reports it in private_network_ipmask): loopback for
// local, any for onpremises (the servers are the user's).
func PrivateNetwork(provider string) string {
	switch provider {
	case "local":
		return "127.0.0.0/8"
	default:
		return "0.0.0.0/0"
	}
}

// checkLoopback validates an address a spec asks a local node to have.
func checkLoopback(a string) error {
	ip := net.ParseIP(a)
	if ip == nil || ip.To4() == nil || !ip.IsLoopback() {
		return fmt.Errorf("the local provider runs nodes on loopback addresses: %q cannot be honoured; pass a 127.x.y.z address (127.42.0.10, say) as the template's address parameter", a)
	}
	v4 := ip.To4()
	if v4[1] == 0 && v4[2] == 0 && v4[3] <= 1 || v4[3] == 255 {
		return fmt.Errorf("address %q is reserved on this host; pass another 127.x.y.z address (127.42.0.10, say)", a)
	}
	return nil
}
