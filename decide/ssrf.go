package decide

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// cgnat is 100.64.0.0/10 (shared address space; some clouds' metadata
// services live there).
const cgnat = "100.64.0.0/10"

// Private reports whether an address is one an ask may not reach by
// default: loopback, private (RFC 1918, ULA), link-local (169.254/16,
// where cloud metadata services answer, and fe80::/10), CGNAT,
// unspecified or multicast.
func Private(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() || netip.MustParsePrefix(cgnat).Contains(a)
}

// RefusePrivate is refusePrivate for another client that dials on a
// call's behalf (package stream's WebSockets): a net.Dialer's
// ControlContext that refuses what Private names, after DNS.
func RefusePrivate(ctx context.Context, network, address string, c syscall.RawConn) error {
	return refusePrivate(ctx, network, address, c)
}

// refusePrivate is the dialer's check of the address it is about to
// connect to: after DNS, so a name resolving to a private address is
// refused too (and a rebinding name cannot slip past a check made
// earlier).
func refusePrivate(_ context.Context, _, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrRefusedTarget, address)
	}
	a, err := netip.ParseAddr(host)
	if err != nil || Private(a) {
		return fmt.Errorf("%w: %s", ErrRefusedTarget, host)
	}
	return nil
}
