package vcp

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Provider creates and manages the nodes of units. The manager records a
// node in the state before it calls Boot, and calls every method with the
// node's record, which the provider may update (port, pid, host key).
type Provider interface {
	// Name is the provider name used in GetSpec, e.g. "local".
	Name() string
	// Flavors lists the flavors GetSpec accepts, first the default.
	Flavors() []Flavor
	// Plan checks spec for n new nodes and returns their addresses (used
	// holds the addresses already recorded anywhere in the state) and notes
	// on spec fields the provider cannot honour.
	Plan(spec *SpecRecord, n int, used map[string]bool) (addrs []string, notes []string, err error)
	// Boot starts the recorded node and fills in how to reach it.
	Boot(ctx context.Context, env *NodeEnv, n *NodeRecord) error
	// Delete stops the node and removes what the provider made for it.
	Delete(ctx context.Context, env *NodeEnv, n *NodeRecord) error
	// PowerOff stops the node and keeps its disk.
	PowerOff(ctx context.Context, env *NodeEnv, n *NodeRecord) error
	// PowerOn starts a powered-off node again, at the same address.
	PowerOn(ctx context.Context, env *NodeEnv, n *NodeRecord) error
	// Status is the node's current state (one of the State constants).
	Status(ctx context.Context, env *NodeEnv, n *NodeRecord) string
}

// loopbackAllocator is implemented by providers whose node addresses ocs
// chooses on this host; the manager claims them in the host-wide address
// book so that no other state directory takes them.
type loopbackAllocator interface{ allocatesLoopback() }

// Flavor is one size a provider offers.
type Flavor struct {
	Name        string `json:"flavor"`
	Description string `json:"description"`
}

// NodeEnv is what a provider may use for one node besides its record.
type NodeEnv struct {
	Group        string
	Unit         *UnitRecord
	Dir          string // the node's directory in the state
	GroupKeyPath string // the group's private key file
	GroupKeyPub  string // its public key line
	NodeCommand  NodeCommand
	// SecretEnv are the withheld ParamsE entries (never written to a
	// file); MissingEnv names those this process does not hold.
	SecretEnv  []string
	MissingEnv []string
}

// ErrNotSupported is wrapped by errors for operations a provider cannot do.
var ErrNotSupported = errors.New("not supported")

// ErrUnavailable is wrapped by the error for a provider that this build of
// ocs does not have.
var ErrUnavailable = errors.New("provider not available")

var (
	registryMu sync.Mutex
	registry   = map[string]func() Provider{}
)

// RegisterProvider makes a provider available under its name. It replaces
// an earlier registration with the same name.
func RegisterProvider(name string, f func() Provider) {
	registryMu.Lock()
	defer registryMu.Unlock()
	registry[name] = f
}

// Providers lists the names of the registered providers, sorted.
func Providers() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	var names []string
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupProvider returns the named provider, or an error wrapping
// ErrUnavailable that names it and lists the available ones.
func LookupProvider(name string) (Provider, error) {
	registryMu.Lock()
	f := registry[name]
	registryMu.Unlock()
	if f == nil {
		return nil, fmt.Errorf("provider %q is not available in this build of ocs (available: %s): %w", name, strings.Join(Providers(), ", "), ErrUnavailable)
	}
	return f(), nil
}

func init() {
	RegisterProvider("local", func() Provider { return localProvider{} })
	RegisterProvider("onpremises", func() Provider { return onpremProvider{} })
}

// ErrNotFound is wrapped by errors for a unit group, unit or node that is
// not in the state.
var ErrNotFound = errors.New("does not exist")
