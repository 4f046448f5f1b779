package sip

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Binding is one registered contact of an extension.
type Binding struct {
	AOR     string // the extension
	Contact string // the URI the phone is called at
	// Path are the Path header values of the REGISTER (RFC 3327), first
	// first: a proxy in front of the nodes (Kamailio) adds one naming
	// itself, and every request to the contact is sent with them as its
	// Route, so it reaches the phone the way the REGISTER came.
	Path []string
	// Source is where the REGISTER came from; the zero value when it came
	// through a proxy (the proxy's address says nothing of the phone).
	Source  netip.AddrPort
	Node    string // the node that took the REGISTER
	Expires time.Time
}

// Bindings keeps the registrar's bindings. Config.Bindings puts them in
// the store every node of a cluster shares; without it a server keeps
// its own in memory.
type Bindings interface {
	// Bind adds or refreshes b (one per AOR and contact).
	Bind(ctx context.Context, b Binding, now time.Time) error
	// Unbind removes aor's binding of contact; contact "": all of aor's.
	Unbind(ctx context.Context, aor, contact string) error
	// Bound are aor's bindings unexpired at now.
	Bound(ctx context.Context, aor string, now time.Time) ([]Binding, error)
	// BindingOf is an unexpired binding of contact, ok false for none.
	BindingOf(ctx context.Context, contact string, now time.Time) (b Binding, ok bool, err error)
}

// bindingsTimeout bounds one look-up or change of the bindings: a store
// that does not answer fails a REGISTER (500) or a call attempt, never
// holds it.
const bindingsTimeout = 5 * time.Second

// memBindings is a server's own bindings, in memory.
type memBindings struct {
	mu   sync.Mutex
	byAO map[string][]Binding
}

func newMemBindings() *memBindings { return &memBindings{byAO: map[string][]Binding{}} }

func (m *memBindings) Bind(_ context.Context, b Binding, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	list := slices.DeleteFunc(slices.Clone(m.byAO[b.AOR]), func(o Binding) bool {
		return o.Contact == b.Contact || !o.Expires.After(now)
	})
	m.byAO[b.AOR] = append(list, b)
	return nil
}

func (m *memBindings) Unbind(_ context.Context, aor, contact string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if contact == "" {
		delete(m.byAO, aor)
		return nil
	}
	m.byAO[aor] = slices.DeleteFunc(slices.Clone(m.byAO[aor]), func(o Binding) bool { return o.Contact == contact })
	return nil
}

func (m *memBindings) Bound(_ context.Context, aor string, now time.Time) ([]Binding, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Binding
	for _, b := range m.byAO[aor] {
		if b.Expires.After(now) {
			out = append(out, b)
		}
	}
	return out, nil
}

func (m *memBindings) BindingOf(_ context.Context, contact string, now time.Time) (Binding, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, list := range m.byAO {
		for _, b := range list {
			if b.Contact == contact && b.Expires.After(now) {
				return b, true, nil
			}
		}
	}
	return Binding{}, false, nil
}
