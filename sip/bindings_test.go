package sip

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/media"
)

// sharedRig is a registrar rig on bindings shared with other rigs (the
// store every node of a cluster uses), named node.
func sharedRig(t *testing.T, shared Bindings, node string) *rig {
	return newRigWith(t, func(c *Config, _ *media.EngineConfig) {
		c.Bindings, c.Node = shared, node
		c.Credentials = func(ext string) (string, bool) { return "alice-secret", ext == "1001" }
	}, nil)
}

// A phone registers on node A through a proxy that adds a Path: node B
// sees the contact, and what it sends the phone (an MWI NOTIFY) goes to
// the proxy with the Path as its Route, addressed to the contact; the
// proxy's address does not make a call "from the registered phone"; an
// un-REGISTER through B removes the binding for A.
func TestBindingsSharedAcrossServersFollowPath(t *testing.T) {
	t.Parallel()
	shared := newMemBindings()
	a, b := sharedRig(t, shared, "node-a"), sharedRig(t, shared, "node-b")
	proxy, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { proxy.Close() })
	path := "<sip:" + proxy.LocalAddr().String() + ";lr;received=sip:127.0.0.1:5099>"
	contact := "sip:1001@127.0.0.1:5099"

	ua, err := sipgo.NewUA()
	require.NoError(t, err)
	t.Cleanup(func() { ua.Close() })
	cl, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	require.NoError(t, err)
	res := register(t, a, cl, "1001", "alice-secret", "<"+contact+">", 300, sip.NewHeader("Path", path))
	require.Equal(t, 200, res.StatusCode)
	assert.Equal(t, []string{contact}, b.srv.Contacts("1001"), "node B sees node A's registration")
	bound, err := shared.Bound(context.Background(), "1001", time.Now())
	require.NoError(t, err)
	require.Len(t, bound, 1)
	assert.Equal(t, "node-a", bound[0].Node)
	assert.Equal(t, []string{path}, bound[0].Path)
	assert.False(t, bound[0].Source.IsValid(), "no source kept through a proxy")
	for _, srv := range []*Server{a.srv, b.srv} {
		assert.False(t, srv.FromRegisteredPhone("1001", netip.MustParseAddrPort(proxy.LocalAddr().String())),
			"a call through the proxy is not from the phone")
	}

	notified := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		notified <- b.srv.NotifyMWI(ctx, contact, MessageSummary{Account: "1001", New: 2})
	}()
	require.NoError(t, proxy.SetReadDeadline(time.Now().Add(5*time.Second)))
	buf := make([]byte, 4096)
	n, from, err := proxy.ReadFrom(buf)
	require.NoError(t, err, "the NOTIFY reaches the proxy of the Path")
	msg := string(buf[:n])
	assert.True(t, strings.HasPrefix(msg, "NOTIFY "+contact+" SIP/2.0\r\n"), "addressed to the contact:\n%s", msg)
	assert.Contains(t, msg, "\r\nRoute: "+path+"\r\n", "with the Path as its Route")
	assert.Contains(t, msg, "Voice-Message: 2/0")
	assert.Equal(t, b.srv.Addr("udp").String(), from.String(), "from node B")
	_, err = proxy.WriteTo([]byte(rawAnswer(msg, 200, "OK")), from)
	require.NoError(t, err)
	require.NoError(t, <-notified)

	res = register(t, b, cl, "1001", "alice-secret", "<"+contact+">", 0)
	require.Equal(t, 200, res.StatusCode)
	assert.Empty(t, a.srv.Contacts("1001"), "Expires: 0 on node B removed it for node A")
}

// FuzzCheckPath: a Path value from the network is refused with an error
// or accepted, never a panic; one accepted reads back as a Route with a
// host, which is what requests to the contact are sent with.
func FuzzCheckPath(f *testing.F) {
	for _, s := range []string{"<sip:10.0.0.1:5060;lr;received=sip:192.0.2.7:5062>", "<sip:a;lr>", "sip:x", "<>", "<sip:a>,<sip:b>", "<sips:[::1]:5061;lr>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, err := checkPath(v)
		if err != nil {
			return
		}
		req := sip.NewRequest(sip.NOTIFY, sip.Uri{Scheme: "sip", Host: "127.0.0.1"})
		req.AppendHeader(sip.NewHeader("Route", got))
		r := req.Route()
		if r == nil || r.Address.Host == "" {
			t.Fatalf("accepted %q, which is no Route", v)
		}
	})
}

// A Path that is no SIP URI is refused with 400 naming it, and nothing
// is bound.
func TestRegisterBadPathRefused(t *testing.T) {
	t.Parallel()
	r, cl := registrarRig(t, nil)
	res := register(t, r, cl, "1001", "alice-secret", "<sip:alice@127.0.0.1:5081>", 300, sip.NewHeader("Path", "not a uri"))
	assert.Equal(t, 400, res.StatusCode)
	assert.Contains(t, res.GetHeader("Warning").Value(), "bad Path")
	assert.Empty(t, r.srv.Contacts("1001"))
}
