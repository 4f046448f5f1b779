package node

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/require"
)

// phone is a SIP phone registered to ivrd (digest), which records the
// NOTIFYs it gets: a message waiting lamp.
type phone struct {
	addr    netip.AddrPort
	notifys chan *sip.Request
}

// registerPhone registers extension ext (with password) to ivrd from a
// UA listening on its own loopback port.
func registerPhone(t *testing.T, svc *Node, ext, password string) *phone {
	t.Helper()
	ua, err := sipgo.NewUA()
	require.NoError(t, err)
	srv, err := sipgo.NewServer(ua)
	require.NoError(t, err)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &phone{addr: pc.LocalAddr().(*net.UDPAddr).AddrPort(), notifys: make(chan *sip.Request, 16)}
	srv.OnNotify(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		p.notifys <- req
	})
	go func() { _ = srv.ServeUDP(pc) }()
	t.Cleanup(func() { pc.Close(); ua.Close() })
	cl, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	require.NoError(t, err)
	dst := sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: int(svc.sip.Addr("udp").Port())}
	req := sip.NewRequest(sip.REGISTER, dst)
	aor := fmt.Sprintf("<sip:%s@127.0.0.1>", ext)
	req.AppendHeader(sip.NewHeader("To", aor))
	req.AppendHeader(sip.NewHeader("From", aor+";tag=ph"+ext))
	req.AppendHeader(sip.NewHeader("Contact", fmt.Sprintf("<sip:%s@%s>", ext, p.addr)))
	req.AppendHeader(sip.NewHeader("Expires", "300"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := cl.Do(ctx, req)
	require.NoError(t, err)
	if res.StatusCode == 401 {
		res, err = cl.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: ext, Password: password})
		require.NoError(t, err)
	}
	require.Equal(t, 200, res.StatusCode, "REGISTER")
	return p
}

// nextNotify waits (bounded) for the phone's next NOTIFY.
func (p *phone) nextNotify(t *testing.T) *sip.Request {
	t.Helper()
	select {
	case n := <-p.notifys:
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("the phone got no NOTIFY")
		return nil
	}
}
