package sip

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/media"
)

// TestInviteFloodFromOneSourceLeavesRoomForOthers: one address floods
// INVITEs it never ACKs (issue 13 point 3: 200/s from one address took
// every RTP port). It gets at most CallsInSetup answered, the rest 503
// with Retry-After before a port is taken, and a caller from another
// address is answered.
func TestInviteFloodFromOneSourceLeavesRoomForOthers(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	dst := r.srv.Addr("udp")
	flood := newRawUDP(t, "127.0.0.2")
	const n = 60
	for i := 0; i < n; i++ {
		flood.send(dst, rawRequest("INVITE", "sip:100@127.0.0.1", flood.local(), fmt.Sprintf("flood-inv-%d", i), 1, nil,
			audioOffer("127.0.0.2", 40000+2*i)))
	}
	final := map[string]int{}   // by Call-ID: retransmitted 200s count once
	okTo := map[string]string{} // the To (with tag) of each 200, to end those calls
	noRetry := 0
	for {
		m := flood.read(1500 * time.Millisecond)
		if m == "" {
			break
		}
		code := codeOf(m)
		if code < 200 {
			continue
		}
		final[headerOf(m, "Call-ID")] = code
		if code == 200 {
			okTo[headerOf(m, "Call-ID")] = headerOf(m, "To")
		}
		if code == 503 && headerOf(m, "Retry-After") == "" {
			noRetry++
		}
	}
	answered, refused := 0, 0
	for _, code := range final {
		switch code {
		case 200:
			answered++
		case 503:
			refused++
		}
	}
	// The answered ones hold RTP ports until ACKed (or for 32 s): end
	// them, so that the tests after this one find their ports free.
	defer func() {
		for id, to := range okTo {
			ack := rawRequest("ACK", "sip:100@127.0.0.1", flood.local(), id, 1, nil, "")
			flood.send(dst, strings.Replace(ack, "To: <sip:100@127.0.0.1>", "To: "+to, 1))
			bye := rawRequest("BYE", "sip:100@127.0.0.1", flood.local(), id, 2, nil, "")
			flood.send(dst, strings.Replace(bye, "To: <sip:100@127.0.0.1>", "To: "+to, 1))
		}
		waitFor(t, "the flood's calls ended", func() bool { return r.srv.ActiveCalls() == 0 })
	}()
	t.Logf("flood of %d INVITEs from one address: %d answered, %d refused 503", n, answered, refused)
	assert.LessOrEqual(t, answered, defaultCallsInSetup, "no more calls in setup than the limit")
	assert.GreaterOrEqual(t, refused, n-defaultInviteBurst, "the rest refused")
	assert.Zero(t, noRetry, "every 503 says when to retry")

	caller := newRawUDP(t, "127.0.0.3")
	invite := rawRequest("INVITE", "sip:100@127.0.0.1", caller.local(), "other-caller", 1, nil, audioOffer("127.0.0.3", 41000))
	caller.send(dst, invite)
	res := caller.final(5 * time.Second)
	require.Equal(t, 200, codeOf(res), "a caller from another address is answered: %q", res)
	to := headerOf(res, "To")
	ack := strings.Replace(rawRequest("ACK", "sip:100@127.0.0.1", caller.local(), "other-caller", 1, nil, ""),
		"To: <sip:100@127.0.0.1>", "To: "+to, 1)
	caller.send(dst, ack)
	call := r.nextCall()
	assert.Equal(t, "other-caller", call.ID)
	bye := strings.Replace(rawRequest("BYE", "sip:100@127.0.0.1", caller.local(), "other-caller", 2, nil, ""),
		"To: <sip:100@127.0.0.1>", "To: "+to, 1)
	caller.send(dst, bye)
	assert.Equal(t, 200, codeOf(caller.final(5*time.Second)), "BYE")
}

// TestCallsPerSourceCapped: answered calls count toward their source's
// Calls limit while they last, and free it when they end.
func TestCallsPerSourceCapped(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(c *Config, _ *media.EngineConfig) { c.Limits.Calls = 2 })
	c := r.caller("udp")
	first, err := c.Call(ctx5(t), r.srv.Addr("udp"), "100")
	require.NoError(t, err)
	r.nextCall()
	_, err = c.Call(ctx5(t), r.srv.Addr("udp"), "100")
	require.NoError(t, err)
	r.nextCall()
	_, err = c.Call(ctx5(t), r.srv.Addr("udp"), "100")
	require.Error(t, err, "a third call from the same address")
	assert.Equal(t, 503, statusOf(err))

	require.NoError(t, first.Dialog.Bye(ctx5(t)))
	waitFor(t, "the first call over", func() bool { return r.srv.ActiveCalls() == 1 })
	waitFor(t, "its place freed", func() bool {
		r.srv.limits.mu.Lock()
		defer r.srv.limits.mu.Unlock()
		return r.srv.limits.calls[netip.MustParseAddr("127.0.0.1")] == 1
	})
	_, err = c.Call(ctx5(t), r.srv.Addr("udp"), "100")
	require.NoError(t, err, "a call again once one ended")
	r.nextCall()
}

// TestLimiterExemptsTrunksAndForgetsIdleSources: a source Admit names as
// a trunk is never limited; the bucket table stays within its size.
func TestLimiterExemptsTrunksAndForgetsIdleSources(t *testing.T) {
	t.Parallel()
	trunk := netip.MustParseAddr("192.0.2.10")
	l := newLimiter(Limits{InviteRate: 1, InviteBurst: 1, CallsInSetup: 1, Calls: 1, PacketRate: 1, PacketBurst: 1},
		func(a netip.Addr) (string, bool) { return map[bool]string{true: "pbx"}[a == trunk], true })
	now := time.Now()
	for i := 0; i < 10; i++ {
		release, why, _ := l.admitCall(trunk, now)
		require.NotNil(t, release, why)
		defer release()
		assert.True(t, l.packet(trunk, now))
	}
	assert.True(t, l.busy(trunk), "a trunk's calls are counted, not limited")
	other := netip.MustParseAddr("192.0.2.11")
	release, _, _ := l.admitCall(other, now)
	require.NotNil(t, release)
	_, why, retry := l.admitCall(other, now.Add(2*time.Second))
	assert.Equal(t, refusedSetup, why)
	assert.Equal(t, "5", retryAfter(retry))
	release()
	release() // twice is once
	_, ok := l.setup[other]
	assert.False(t, ok, "no entry kept for a source without calls")

	b := newBuckets(1, 1, 16)
	for i := 0; i < 1000; i++ {
		b.take(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), now)
	}
	assert.LessOrEqual(t, len(b.m), 16)
}
