package node

import (
	"context"
	"net/netip"
	"time"

	"github.com/ivrd/ivrd/sip"
	"github.com/ivrd/ivrd/store"
)

// storeBindings keeps the registrar's bindings in the store (sip.Bindings):
// on PostgreSQL every node of a cluster reads the others', so a call any
// node handles reaches a phone registered through any other (README,
// "Running several nodes").
type storeBindings struct{ st *store.Store }

func (s storeBindings) Bind(ctx context.Context, b sip.Binding, now time.Time) error {
	src := ""
	if b.Source.IsValid() {
		src = b.Source.String()
	}
	return s.st.PutBinding(ctx, store.Binding{AOR: b.AOR, Contact: b.Contact, Path: b.Path, Source: src,
		Node: b.Node, Expires: b.Expires}, now)
}

func (s storeBindings) Unbind(ctx context.Context, aor, contact string) error {
	return s.st.RemoveBinding(ctx, aor, contact)
}

func (s storeBindings) Bound(ctx context.Context, aor string, now time.Time) ([]sip.Binding, error) {
	list, err := s.st.Bindings(ctx, aor, now)
	out := make([]sip.Binding, 0, len(list))
	for _, b := range list {
		out = append(out, fromStoreBinding(b))
	}
	return out, err
}

func (s storeBindings) BindingOf(ctx context.Context, contact string, now time.Time) (sip.Binding, bool, error) {
	b, ok, err := s.st.BindingOf(ctx, contact, now)
	return fromStoreBinding(b), ok, err
}

// fromStoreBinding: a source the store cannot give back as an address
// is none (the phone is then not trusted by where its calls come from).
func fromStoreBinding(b store.Binding) sip.Binding {
	src, _ := netip.ParseAddrPort(b.Source) // "" (through a proxy) or unreadable: none
	return sip.Binding{AOR: b.AOR, Contact: b.Contact, Path: b.Path, Source: src, Node: b.Node, Expires: b.Expires}
}
