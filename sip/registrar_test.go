package sip

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/media"
	"github.com/ivrd/ivrd/sip/siptest"
)

// registrarRig is a rig whose extension 1001 has password alice-secret;
// calls go to handler (nil: the test handler).
func registrarRig(t *testing.T, handler Handler) (*rig, *sipgo.Client) {
	r := newRigWith(t, func(c *Config, _ *media.EngineConfig) {
		c.Credentials = func(ext string) (string, bool) {
			if ext == "1001" {
				return "alice-secret", true
			}
			return "", false
		}
	}, handler)
	ua, err := sipgo.NewUA()
	require.NoError(t, err)
	t.Cleanup(func() { ua.Close() })
	cl, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	require.NoError(t, err)
	return r, cl
}

// register sends a REGISTER for ext with contact, answering the challenge.
func register(t *testing.T, r *rig, cl *sipgo.Client, ext, password, contact string, expires int, hdrs ...sip.Header) *sip.Response {
	t.Helper()
	dst := sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: int(r.srv.Addr("udp").Port())}
	req := sip.NewRequest(sip.REGISTER, dst)
	aor := fmt.Sprintf("<sip:%s@127.0.0.1>", ext)
	req.AppendHeader(sip.NewHeader("To", aor))
	req.AppendHeader(sip.NewHeader("From", aor+";tag=reg"+ext))
	req.AppendHeader(sip.NewHeader("Contact", contact))
	req.AppendHeader(sip.NewHeader("Expires", fmt.Sprint(expires)))
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	res, err := cl.Do(ctx5(t), req)
	require.NoError(t, err)
	if res.StatusCode != 401 {
		return res
	}
	res, err = cl.DoDigestAuth(ctx5(t), req, res, sipgo.DigestAuth{Username: ext, Password: password})
	require.NoError(t, err)
	return res
}

func TestRegisterExpiryAndUnregister(t *testing.T) {
	t.Parallel()
	r, cl := registrarRig(t, nil)
	res := register(t, r, cl, "1001", "alice-secret", "<sip:alice@127.0.0.1:5081>", 300)
	require.Equal(t, 200, res.StatusCode)
	res = register(t, r, cl, "1001", "alice-secret", "<sip:alice@127.0.0.1:5082>", 300)
	require.Equal(t, 200, res.StatusCode)
	assert.ElementsMatch(t, []string{"sip:alice@127.0.0.1:5081", "sip:alice@127.0.0.1:5082"}, r.srv.Contacts("1001"), "several contacts")
	assert.Len(t, res.GetHeaders("Contact"), 2)

	// Expiry is honoured.
	r.srv.reg.mu.Lock()
	r.srv.reg.now = func() time.Time { return time.Now().Add(301 * time.Second) }
	r.srv.reg.mu.Unlock()
	assert.Empty(t, r.srv.Contacts("1001"))
	r.srv.reg.mu.Lock()
	r.srv.reg.now = time.Now
	r.srv.reg.mu.Unlock()

	// un-REGISTER one contact, then all.
	require.Equal(t, 200, register(t, r, cl, "1001", "alice-secret", "<sip:alice@127.0.0.1:5081>;expires=0", 300).StatusCode)
	assert.Equal(t, []string{"sip:alice@127.0.0.1:5082"}, r.srv.Contacts("1001"))
	require.Equal(t, 200, register(t, r, cl, "1001", "alice-secret", "*", 0).StatusCode)
	assert.Empty(t, r.srv.Contacts("1001"))

	// An unknown user is challenged and refused like a wrong password
	// (issue 13 point 5: it used to get 404, telling svwar who exists).
	assert.Equal(t, 403, register(t, r, cl, "9999", "x", "<sip:x@127.0.0.1>", 60).StatusCode)
}

func TestRegisterWrongPasswordRefusedAndThrottled(t *testing.T) {
	t.Parallel()
	r, cl := registrarRig(t, nil)
	for i := 0; i < maxFailures; i++ {
		assert.Equal(t, 403, register(t, r, cl, "1001", "guess", "<sip:eve@127.0.0.1:5090>", 60).StatusCode)
	}
	assert.Empty(t, r.srv.Contacts("1001"))
	// The burst is throttled: even the right password is refused for now.
	res := register(t, r, cl, "1001", "alice-secret", "<sip:alice@127.0.0.1:5081>", 60)
	assert.Equal(t, 403, res.StatusCode)
	assert.NotNil(t, res.GetHeader("Retry-After"))
}

func TestForkRingsAllContactsFirstAnswerWins(t *testing.T) {
	t.Parallel()
	var srv atomic.Pointer[Server]
	h := newBridgeHandler(Outbound{RingTimeout: 5 * time.Second})
	h.contacts = func() []string { return srv.Load().Contacts("1001") }
	r, cl := registrarRig(t, h)
	srv.Store(r.srv)
	ringing := siptest.NewFarEnd(t, "noanswer")
	answering := siptest.NewFarEnd(t, "answer")
	require.Equal(t, 200, register(t, r, cl, "1001", "alice-secret", "<"+ringing.URI()+">", 300).StatusCode)
	require.Equal(t, 200, register(t, r, cl, "1001", "alice-secret", "<"+answering.URI()+">", 300).StatusCode)
	c := r.caller("udp")
	_, err := c.Call(context.Background(), r.srv.Addr("udp"), "100")
	require.NoError(t, err)
	<-h.calls
	require.NoError(t, <-h.result)
	assert.NotNil(t, answering.Dialog())
	select {
	case <-ringing.Cancel:
	case <-time.After(3 * time.Second):
		t.Fatal("the other contact got no CANCEL")
	}
}
