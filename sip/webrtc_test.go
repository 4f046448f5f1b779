package sip

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/media"
)

// chromeOffer is an offer as Chromium writes it for one microphone track
// (trimmed of the attributes ivrd does not read).
func chromeOffer(rtpPort int) []byte {
	return []byte(strings.Join([]string{
		"v=0",
		"o=- 4611731400430051336 2 IN IP4 127.0.0.1",
		"s=-",
		"t=0 0",
		"a=group:BUNDLE 0",
		"a=extmap-allow-mixed",
		"a=msid-semantic: WMS stream",
		"m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
		"c=IN IP4 0.0.0.0",
		"a=rtcp:9 IN IP4 0.0.0.0",
		"a=candidate:1 1 udp 2113937151 127.0.0.1 " + strconv.Itoa(rtpPort) + " typ host generation 0 network-cost 999",
		"a=candidate:2 1 udp 2113939711 0c3a.local 50001 typ host generation 0",
		"a=ice-ufrag:Ab1c",
		"a=ice-pwd:0123456789abcdefghijklmn",
		"a=ice-options:trickle",
		"a=fingerprint:sha-256 0F:74:31:25:CB:A2:13:EC:28:6F:6D:2C:61:FF:5D:C2:BC:B9:DB:3D:98:14:8D:1A:BB:EA:33:0C:A4:60:A8:8E",
		"a=setup:actpass",
		"a=mid:0",
		"a=sendrecv",
		"a=msid:stream track",
		"a=rtcp-mux",
		"a=rtpmap:111 opus/48000/2",
		"a=rtcp-fb:111 transport-cc",
		"a=fmtp:111 minptime=10;useinbandfec=1",
		"a=rtpmap:63 red/48000/2",
		"a=rtpmap:9 G722/8000",
		"a=rtpmap:0 PCMU/8000",
		"a=rtpmap:8 PCMA/8000",
		"a=rtpmap:13 CN/8000",
		"a=rtpmap:110 telephone-event/48000",
		"a=rtpmap:126 telephone-event/8000",
		"a=ssrc:1234 cname:abc",
	}, "\r\n") + "\r\n")
}

func TestParseWebRTCOffer(t *testing.T) {
	t.Parallel()
	sd, err := ParseSDP(chromeOffer(50000))
	require.NoError(t, err)
	assert.Equal(t, "UDP/TLS/RTP/SAVPF", sd.Proto)
	w := sd.WebRTC
	assert.Equal(t, "Ab1c", w.Ufrag)
	assert.Equal(t, "0123456789abcdefghijklmn", w.Pwd)
	assert.Equal(t, "sha-256", w.FingerprintHash)
	assert.Equal(t, "actpass", w.Setup)
	assert.Equal(t, "0", w.Mid)
	assert.True(t, w.Bundle)
	assert.True(t, w.Mux)
	assert.Equal(t, "127.0.0.1", w.Candidates, "the mDNS candidate is left out")
	assert.Equal(t, 1, w.RejectedCandidate)
	assert.Equal(t, SendRecv, sd.Direction, "0.0.0.0 with ICE is not a hold")
	mc, err := Negotiate(sd, ourCodecs)
	require.NoError(t, err)
	assert.Equal(t, uint8(126), mc.EventPT, "telephone-event at 8 kHz, not the 48 kHz one")
	require.NoError(t, answerSRTP(sd, srtpTerms{mode: SRTPOff}, media.SRTPKeys{}, &mc), "DTLS-SRTP whatever the SDES mode")

	for name, drop := range map[string]string{"no ice-pwd": "a=ice-pwd:", "no fingerprint": "a=fingerprint:", "no rtcp-mux": "a=rtcp-mux"} {
		var kept []string
		for _, l := range strings.Split(string(chromeOffer(50000)), "\r\n") {
			if !strings.HasPrefix(l, drop) {
				kept = append(kept, l)
			}
		}
		sd, err := ParseSDP([]byte(strings.Join(kept, "\r\n")))
		require.NoError(t, err)
		mc := MediaChoice{}
		var se *SRTPError
		require.ErrorAs(t, answerSRTP(sd, srtpTerms{}, media.SRTPKeys{}, &mc), &se, name)
	}
}

// A browser's offer over ws:// is answered as ICE-lite with DTLS; a
// browser that never completes the DTLS handshake has its call released
// within the un-ACKed call timeout and the RTP ports freed.
func TestWebRTCCallWithoutHandshakeReleased(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(c *Config, _ *media.EngineConfig) {
		c.Listen = []string{"udp://127.0.0.1:0", "ws://127.0.0.1:0"}
		c.AckTimeout = 500 * time.Millisecond
	})
	c := r.caller("ws")
	d, err := c.Invite(ctx5(t), r.srv.Addr("ws"), "100", chromeOffer(c.RTP.LocalAddr().(*net.UDPAddr).Port))
	require.NoError(t, err)
	body := string(d.InviteResponse.Body())
	for _, want := range []string{"a=ice-lite\r\n", "a=group:BUNDLE 0\r\n", "m=audio ", " UDP/TLS/RTP/SAVPF 0 126\r\n", "a=mid:0\r\n",
		"a=setup:passive\r\n", "a=rtcp-mux\r\n", "a=fingerprint:sha-256 ", "a=ice-ufrag:", "a=ice-pwd:", " typ host\r\n"} {
		assert.Contains(t, body, want)
	}
	assert.NotContains(t, body, "a=crypto")
	require.NoError(t, d.Ack(ctx5(t)))
	bye, err := c.WaitRequest("BYE", 5*time.Second)
	require.NoError(t, err, "no BYE for a call whose DTLS never came")
	require.NotNil(t, bye)
	waitFor(t, "the ports freed", func() bool { n, _ := r.engine.Ports(); return n == 0 })
	assert.Equal(t, 0, r.srv.ActiveCalls())
}
