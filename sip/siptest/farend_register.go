package siptest

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Register registers the phone as user (digest, with password) at
// server (a registrar, or a proxy in front of one) for expires seconds
// (0: unregister), from its own SIP socket with Contact
// sip:USER@127.0.0.1:PORT, as a desk phone does. It returns the final
// status and the response.
func (f *FarEnd) Register(ctx context.Context, server netip.AddrPort, user, password string, expires int) (*sip.Response, error) {
	dst := sip.Uri{Scheme: "sip", Host: server.Addr().String(), Port: int(server.Port())}
	req := sip.NewRequest(sip.REGISTER, dst)
	aor := fmt.Sprintf("<sip:%s@%s>", user, server.Addr())
	req.AppendHeader(sip.NewHeader("To", aor))
	req.AppendHeader(sip.NewHeader("From", aor+";tag=far"+user))
	// One Call-ID for all of the phone's registrations (RFC 3261 10.2):
	// a proxy that picks a node by it keeps them on one.
	req.AppendHeader(sip.NewHeader("Call-ID", fmt.Sprintf("far-%s-%d@127.0.0.1", user, f.addr.Port())))
	req.AppendHeader(sip.NewHeader("Contact", fmt.Sprintf("<%s>", f.ContactOf(user))))
	req.AppendHeader(sip.NewHeader("Expires", fmt.Sprint(expires)))
	req.Laddr = sip.Addr{IP: net.IP(f.addr.Addr().AsSlice()), Port: int(f.addr.Port())}
	res, err := f.client.Do(ctx, req)
	// The socket is handed to sipgo's transport by ServeUDP in its own
	// goroutine: until it is, the client tries to bind the port itself
	// and fails. Wait for that (bounded), not a fixed time.
	for tries := 0; err != nil && strings.Contains(err.Error(), "address already in use") && tries < 100; tries++ {
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(20 * time.Millisecond):
		}
		res, err = f.client.Do(ctx, req.Clone())
	}
	if err != nil {
		return nil, err
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		return f.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: password})
	}
	return res, nil
}

// ContactOf is the Contact the phone registers user with.
func (f *FarEnd) ContactOf(user string) string { return fmt.Sprintf("sip:%s@%s", user, f.addr) }

// onNotify answers a NOTIFY 200 and keeps it for the test.
func (f *FarEnd) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	select {
	case f.Notifys <- req:
	default:
	}
}
