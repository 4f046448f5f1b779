package sip

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/media"
)

func TestReinviteHoldStopsAudioAndResumeContinues(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	c := r.caller("udp")
	d, err := c.Invite(ctx5(t), r.srv.Addr("udp"), "100", c.Offer("", 0, 101))
	require.NoError(t, err)
	require.NoError(t, d.Ack(ctx5(t)))
	r.nextCall()
	waitFor(t, "RTP", func() bool { return len(c.Packets()) >= 5 })

	res := reinvite(t, d, c.Offer("sendonly", 0, 101))
	assert.Equal(t, 200, res.StatusCode)
	assert.Contains(t, string(res.Body()), "a=recvonly")
	held := time.Now()
	// Held for a while (the scenario): at most the packet of the tick
	// under way when the re-INVITE was answered arrives in it.
	time.Sleep(300 * time.Millisecond)
	var whileHeld int
	for _, p := range c.Packets() {
		if p.At.After(held) {
			whileHeld++
		}
	}
	assert.LessOrEqual(t, whileHeld, 1, "no audio while held")
	c.ResetPackets()

	res = reinvite(t, d, c.Offer("sendrecv", 0, 101))
	assert.Contains(t, string(res.Body()), "a=sendrecv")
	waitFor(t, "RTP after unhold", func() bool { return len(c.Packets()) >= 5 })
	require.NoError(t, d.Bye(ctx5(t)))
}

func TestSessionTimerRefreshAndExpiry(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(c *Config, _ *media.EngineConfig) { c.MinSE = time.Second })
	c := r.caller("udp")
	d, err := c.Invite(ctx5(t), r.srv.Addr("udp"), "100", c.Offer("", 0),
		sip.NewHeader("Session-Expires", "3;refresher=uac"), sip.NewHeader("Supported", "timer"))
	require.NoError(t, err)
	se := d.InviteResponse.GetHeader("Session-Expires")
	require.NotNil(t, se)
	assert.Equal(t, "3;refresher=uac", se.Value())
	require.NotNil(t, d.InviteResponse.GetHeader("Require"))
	require.NoError(t, d.Ack(ctx5(t)))
	call := r.nextCall()

	// A refresh by UPDATE keeps the call up past the first deadline (2 s).
	// The sleeps are the time the session timer measures (it has no
	// clock of its own to move): the scenario, not a wait.
	time.Sleep(1500 * time.Millisecond)
	upd := sip.NewRequest(sip.UPDATE, d.InviteResponse.Contact().Address)
	upd.AppendHeader(sip.NewHeader("Session-Expires", "3;refresher=uac"))
	upd.AppendHeader(sip.NewHeader("Supported", "timer"))
	res, err := d.Do(ctx5(t), upd)
	require.NoError(t, err)
	assert.Equal(t, 200, res.StatusCode)
	assert.Nil(t, res.GetHeader("Content-Type"), "UPDATE without offer is answered without SDP")
	time.Sleep(1000 * time.Millisecond)
	assert.Equal(t, 1, r.srv.ActiveCalls(), "refreshed call still up")

	// Then no refresh: ivrd ends the call with a BYE.
	bye, err := c.WaitRequest(sip.BYE, 4*time.Second)
	require.NoError(t, err)
	assert.NotNil(t, bye)
	waitFor(t, "call end", func() bool { return r.srv.ActiveCalls() == 0 })
	assert.Equal(t, EndSessionExpired, call.EndCause())
}

func TestInfoDigitsAndMalformedInfo(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	c := r.caller("udp")
	d, err := c.Invite(ctx5(t), r.srv.Addr("udp"), "100", c.Offer("", 0))
	require.NoError(t, err)
	require.NoError(t, d.Ack(ctx5(t)))
	call := r.nextCall()
	info := func(ct, body string) int {
		req := sip.NewRequest(sip.INFO, d.InviteResponse.Contact().Address)
		req.AppendHeader(sip.NewHeader("Content-Type", ct))
		req.SetBody([]byte(body))
		res, err := d.Do(ctx5(t), req)
		require.NoError(t, err)
		return res.StatusCode
	}
	assert.Equal(t, 200, info("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n"))
	assert.Equal(t, 400, info("application/dtmf-relay", "Signal=\r\n"))
	assert.Equal(t, 415, info("text/plain", "hello"))
	assert.Equal(t, 200, info("application/dtmf", "#"))
	var got []string
	for i := 0; i < 2; i++ {
		select {
		case dg := <-r.handler.digitsOf(call):
			got = append(got, string(dg.Key)+"/"+dg.Method.String())
		case <-time.After(2 * time.Second):
			t.Fatal("digit not delivered")
		}
	}
	assert.Equal(t, []string{"5/info", "#/info"}, got)
	// A PBX sends each INFO when the last one is answered: the keys
	// arrive in that order, never overtaking one another.
	const keys = "0123456789*#"
	for _, k := range keys {
		require.Equal(t, 200, info("application/dtmf", string(k)))
	}
	got = got[:0]
	for range keys {
		select {
		case dg := <-r.handler.digitsOf(call):
			got = append(got, string(dg.Key))
		case <-time.After(2 * time.Second):
			t.Fatal("digit not delivered")
		}
	}
	assert.Equal(t, keys, strings.Join(got, ""))
	require.NoError(t, d.Bye(ctx5(t)))
}

func TestRecordRouteHonouredOnOurBye(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	// A fake proxy socket: ivrd's in-dialog requests must go there.
	proxy, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer proxy.Close()
	conn, err := net.Dial("udp", r.srv.Addr("udp").String())
	require.NoError(t, err)
	defer conn.Close()
	rr := "<sip:" + proxy.LocalAddr().String() + ";lr>"
	c := r.caller("udp")
	ok := rawInvite(t, conn, "rrtest1", c.Offer("", 0), 1, "Record-Route: "+rr)
	assert.Contains(t, ok, "Record-Route: "+rr, "2xx keeps the Record-Route")
	call := r.nextCall()
	go call.Hangup()
	buf := make([]byte, 4096)
	proxy.SetReadDeadline(time.Now().Add(3 * time.Second))
	n, _, err := proxy.ReadFrom(buf)
	require.NoError(t, err, "BYE reaches the Record-Route hop")
	bye := string(buf[:n])
	assert.True(t, strings.HasPrefix(bye, "BYE sip:alice@"), bye)
	assert.Contains(t, bye, "Route: "+rr)
}
