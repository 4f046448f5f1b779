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

// Register registers user (digest, with password) at server for 300 s
// from the caller's own SIP socket, as a phone does: its calls then come
// from the address the registration names. It returns the final status.
func (c *Caller) Register(ctx context.Context, server netip.AddrPort, user, password string) (int, error) {
	dst := sip.Uri{Scheme: "sip", Host: server.Addr().String(), Port: int(server.Port())}
	if c.Network != "udp" {
		dst.UriParams = sip.NewParams()
		dst.UriParams.Add("transport", c.Network)
	}
	req := sip.NewRequest(sip.REGISTER, dst)
	aor := fmt.Sprintf("<sip:%s@%s>", user, server.Addr())
	req.AppendHeader(sip.NewHeader("To", aor))
	req.AppendHeader(sip.NewHeader("From", aor+";tag=reg"+user))
	contact := c.dlgUA.ContactHDR.Address
	contact.User = user
	req.AppendHeader(sip.NewHeader("Contact", "<"+contact.String()+">"))
	req.AppendHeader(sip.NewHeader("Expires", "300"))
	if c.SIPAddr.IsValid() {
		// From the caller's listening socket, not an ephemeral one.
		req.Laddr = sip.Addr{IP: net.IP(c.SIPAddr.Addr().AsSlice()), Port: int(c.SIPAddr.Port())}
	}
	res, err := c.client.Do(ctx, req)
	// The caller's socket is handed to sipgo's transport by ServeUDP in
	// its own goroutine: until it is, the client tries to bind the port
	// itself and fails. Wait for that (bounded), not a fixed time.
	for tries := 0; err != nil && strings.Contains(err.Error(), "address already in use") && tries < 100; tries++ {
		select {
		case <-ctx.Done():
			return 0, err
		case <-time.After(20 * time.Millisecond):
		}
		res, err = c.client.Do(ctx, req.Clone())
	}
	if err != nil {
		return 0, err
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		res, err = c.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: password})
		if err != nil {
			return 0, err
		}
	}
	return res.StatusCode, nil
}

// From is a From header naming user at this caller, for Invite: a call
// that says which extension places it.
func (c *Caller) From(user string) sip.Header {
	return sip.NewHeader("From", fmt.Sprintf("<sip:%s@127.0.0.1:%d>;tag=%s", user, c.SIPAddr.Port(), sip.GenerateTagN(8)))
}
