package sip

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/media"
)

// noCalls routes nothing: the registrar peer only takes REGISTERs.
type noCalls struct{}

func (noCalls) Route(string) bool                  { return false }
func (noCalls) Serve(ctx context.Context, _ *Call) { <-ctx.Done() }

// newRegistrarPeer is a second ivrd signalling server acting as a trunk
// provider's registrar: ext may REGISTER with password.
func newRegistrarPeer(t *testing.T, listen, ext, password string) *Server {
	t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	cfg := Config{Listen: []string{listen},
		Credentials: func(e string) (string, bool) { return password, e == ext }}
	srv, err := NewServer(cfg, nil, noCalls{}, log)
	require.NoError(t, err)
	require.NoError(t, srv.Start(context.Background()))
	t.Cleanup(func() { srv.Close() })
	return srv
}

// allCalls routes every number and hands each call to the test.
type allCalls struct{ calls chan *Call }

func (allCalls) Route(string) bool { return true }
func (h allCalls) Serve(ctx context.Context, c *Call) {
	h.calls <- c
	<-ctx.Done()
}

// guarded admits only 10.9.9.9 (as trunk "other") and whatever trusted
// lists, as inbound_from would.
func guarded(trusted map[netip.Addr]string) func(netip.Addr) (string, bool) {
	return func(a netip.Addr) (string, bool) {
		if a == netip.MustParseAddr("10.9.9.9") {
			return "other", true
		}
		name, ok := trusted[a]
		return name, ok
	}
}

func registrationState(srv *Server, trunk string) RegistrationState {
	for _, st := range srv.Registrations() {
		if st.Trunk == trunk {
			return st
		}
	}
	return RegistrationState{}
}

func TestRegistrationWithARegistrarThenACallOnIt(t *testing.T) {
	registrar := newRegistrarPeer(t, "udp://127.0.0.1:0", "acme", "s3cret")
	h := allCalls{calls: make(chan *Call, 2)}
	r := newRigWith(t, func(c *Config, _ *media.EngineConfig) {
		c.Admit = guarded(nil) // 127.0.0.1 is no inbound_from source
		c.Trunks = []Trunk{{Name: "provider", URI: "sip:127.0.0.1", Registration: &Registration{
			Registrar: "sip:" + registrar.Addr("udp").String(), Username: "acme", Password: "s3cret", Expires: 300 * time.Second}}}
	}, h)
	waitFor(t, "registered", func() bool { return registrationState(r.srv, "provider").Status == RegRegistered })
	st := registrationState(r.srv, "provider")
	assert.Equal(t, 200, st.LastCode)
	assert.Empty(t, st.LastError)
	assert.WithinDuration(t, time.Now().Add(300*time.Second), st.Expires, 5*time.Second, "the interval granted")
	assert.True(t, st.NextAttempt.After(time.Now().Add(200*time.Second)), "refresh well before expiry, not now: %v", st.NextAttempt)
	assert.True(t, st.NextAttempt.Before(st.Expires))

	contacts := registrar.Contacts("acme")
	require.Len(t, contacts, 1)
	want := fmt.Sprintf("sip:acme@%s", r.srv.Addr("udp"))
	assert.Equal(t, want, contacts[0], "the contact is our UDP listener")

	// The provider calls the registered contact, from the registrar's
	// address: admitted as the trunk although no inbound_from lists it.
	caller := r.caller("udp")
	d, err := caller.Invite(ctx5(t), r.srv.Addr("udp"), "acme", caller.Offer("", 0))
	require.NoError(t, err)
	require.NoError(t, d.Ack(ctx5(t)))
	select {
	case c := <-h.calls:
		assert.Equal(t, "provider", c.Trunk)
	case <-time.After(5 * time.Second):
		t.Fatal("the call on the registration never reached the handler")
	}

	// Drain removes the binding (Expires: 0) at the registrar.
	r.srv.Drain()
	waitFor(t, "unregistered", func() bool { return len(registrar.Contacts("acme")) == 0 })
	waitFor(t, "state unregistered", func() bool { return registrationState(r.srv, "provider").Status == RegUnregistered })
}

// A call to the registration's contact user from a source that is
// neither the registrar nor admitted by the configuration is refused:
// registering never opens the server to anyone who learns the user.
func TestRegistrationDoesNotAdmitStrangers(t *testing.T) {
	registrar := newRegistrarPeer(t, "udp://127.0.0.1:0", "acme", "s3cret")
	r := newRigWith(t, func(c *Config, _ *media.EngineConfig) {
		c.Admit = guarded(nil)
		c.Trunks = []Trunk{{Name: "provider", Registration: &Registration{
			Registrar: "sip:" + registrar.Addr("udp").String(), Username: "acme", Password: "s3cret"}}}
	}, allCalls{calls: make(chan *Call, 1)})
	waitFor(t, "registered", func() bool { return registrationState(r.srv, "provider").Status == RegRegistered })
	stranger := newRawUDP(t, "127.0.0.3")
	stranger.send(r.srv.Addr("udp"), rawRequest("INVITE", "sip:acme@"+r.srv.Addr("udp").String(), stranger.local(), "stranger-1", 1, nil, audioOffer("127.0.0.3", 4000)))
	assert.Equal(t, 403, codeOf(stranger.final(5*time.Second)))
}

// A registrar answering 403: the trunk shows failed with the reason and
// retries with back-off, and calls from its inbound_from sources still
// come in as the trunk.
func TestRegistrationRefused403(t *testing.T) {
	registrar := newRegistrarPeer(t, "udp://127.0.0.2:0", "acme", "right")
	h := allCalls{calls: make(chan *Call, 1)}
	r := newRigWith(t, func(c *Config, _ *media.EngineConfig) {
		c.Admit = guarded(map[netip.Addr]string{netip.MustParseAddr("127.0.0.1"): "provider"})
		c.Trunks = []Trunk{{Name: "provider", Registration: &Registration{
			Registrar: "sip:" + registrar.Addr("udp").String(), Username: "acme", Password: "wrong"}}}
	}, h)
	waitFor(t, "failed", func() bool { return registrationState(r.srv, "provider").Status == RegFailed })
	st := registrationState(r.srv, "provider")
	assert.Equal(t, 403, st.LastCode)
	assert.Contains(t, st.LastError, "403")
	assert.True(t, st.Expires.IsZero())
	assert.True(t, st.NextAttempt.After(time.Now()), "a retry is planned")
	assert.NotContains(t, st.LastError, "wrong", "the password is never shown")
	// Retried with back-off: a second failure within the first back-off
	// (at most 2 s), then a longer wait.
	require.Eventually(t, func() bool { return registrationState(r.srv, "provider").Failures >= 2 }, 8*time.Second, 20*time.Millisecond)
	st = registrationState(r.srv, "provider")
	assert.Equal(t, RegFailed, st.Status)

	caller := r.caller("udp")
	_, err := caller.Call(ctx5(t), r.srv.Addr("udp"), "100")
	require.NoError(t, err)
	select {
	case c := <-h.calls:
		assert.Equal(t, "provider", c.Trunk, "inbound_from still admits the trunk")
	case <-time.After(5 * time.Second):
		t.Fatal("no call")
	}
}

// A registrar that wants a longer interval answers 423 with Min-Expires;
// the next REGISTER asks for that and is accepted.
func TestRegistrationFollows423(t *testing.T) {
	reg := newRawUDP(t, "127.0.0.1")
	r := newRigWith(t, func(c *Config, _ *media.EngineConfig) {
		c.Trunks = []Trunk{{Name: "p", Registration: &Registration{Registrar: "sip:" + reg.addr().String(), Username: "u", Expires: 60 * time.Second}}}
	}, allCalls{calls: make(chan *Call, 1)})
	var asked []string
	for len(asked) < 2 {
		req, from := reg.readFrom(5 * time.Second)
		require.True(t, strings.HasPrefix(req, "REGISTER "), "got %q", req)
		asked = append(asked, headerOf(req, "Expires"))
		if headerOf(req, "Expires") == "60" {
			reg.send(from, rawAnswer(req, 423, "Interval Too Brief", "Min-Expires: 3600"))
			continue
		}
		reg.send(from, rawAnswer(req, 200, "OK", fmt.Sprintf("Contact: %s;expires=1800", headerOf(req, "Contact"))))
	}
	assert.Equal(t, []string{"60", "3600"}, asked)
	waitFor(t, "registered", func() bool { return registrationState(r.srv, "p").Status == RegRegistered })
	st := registrationState(r.srv, "p")
	assert.WithinDuration(t, time.Now().Add(1800*time.Second), st.Expires, 5*time.Second, "the Contact's expires is what was granted")
	// Close unregisters: one more REGISTER, Expires: 0.
	done := make(chan struct{})
	go func() { r.srv.Close(); close(done) }()
	req, from := reg.readFrom(5 * time.Second)
	require.True(t, strings.HasPrefix(req, "REGISTER "), "got %q", req)
	assert.Equal(t, "0", headerOf(req, "Expires"))
	reg.send(from, rawAnswer(req, 200, "OK"))
	<-done
}

func TestBackoffAndRefreshBounds(t *testing.T) {
	for n, want := range map[int][2]time.Duration{
		1:  {time.Second, 2 * time.Second},
		2:  {2 * time.Second, 4 * time.Second},
		5:  {16 * time.Second, 32 * time.Second},
		20: {regBackoffMax / 2, regBackoffMax},
	} {
		for range 50 {
			d := backoff(n)
			assert.True(t, d >= want[0] && d <= want[1], "backoff(%d) = %v, want in %v", n, d, want)
		}
	}
	for range 50 {
		d := refreshIn(600 * time.Second)
		assert.True(t, d >= 480*time.Second && d <= 540*time.Second, "refresh of 600 s at %v", d)
		assert.True(t, refreshIn(2*time.Second) <= time.Second, "a tiny grant is refreshed before it ends")
	}
}

// A registrar granting 2 s gets the refresh before the 2 s are over: the
// same Call-ID, the next CSeq, the same contact.
func TestRegistrationRefreshedBeforeExpiry(t *testing.T) {
	reg := newRawUDP(t, "127.0.0.1")
	r := newRigWith(t, func(c *Config, _ *media.EngineConfig) {
		c.Trunks = []Trunk{{Name: "p", Registration: &Registration{Registrar: "sip:" + reg.addr().String(), Username: "u"}}}
	}, allCalls{calls: make(chan *Call, 1)})
	first, from := reg.readFrom(5 * time.Second)
	require.True(t, strings.HasPrefix(first, "REGISTER "), "got %q", first)
	reg.send(from, rawAnswer(first, 200, "OK", fmt.Sprintf("Contact: %s;expires=2", headerOf(first, "Contact"))))
	waitFor(t, "registered", func() bool { return registrationState(r.srv, "p").Status == RegRegistered })
	st := registrationState(r.srv, "p")
	assert.True(t, st.NextAttempt.Before(st.Expires), "the refresh is planned before the binding expires: %v, %v", st.NextAttempt, st.Expires)
	second, _ := reg.readFrom(5 * time.Second)
	require.True(t, strings.HasPrefix(second, "REGISTER "), "got %q", second)
	assert.Equal(t, headerOf(first, "Call-ID"), headerOf(second, "Call-ID"))
	assert.Equal(t, headerOf(first, "Contact"), headerOf(second, "Contact"))
	var n1, n2 int
	_, err := fmt.Sscanf(headerOf(first, "CSeq"), "%d REGISTER", &n1)
	require.NoError(t, err)
	_, err = fmt.Sscanf(headerOf(second, "CSeq"), "%d REGISTER", &n2)
	require.NoError(t, err)
	assert.Equal(t, n1+1, n2)
	reg.send(from, rawAnswer(second, 200, "OK", fmt.Sprintf("Contact: %s;expires=600", headerOf(second, "Contact"))))
}
