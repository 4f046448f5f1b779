package sip

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
)

func offer(lines ...string) []byte {
	base := []string{"v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "c=IN IP4 192.0.2.1", "t=0 0"}
	return []byte(strings.Join(append(base, lines...), "\r\n") + "\r\n")
}

var ourCodecs = []audio.Codec{audio.PCMU, audio.PCMA}

func TestNegotiatePicksOurFirstCodecTheOfferHas(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		body    []byte
		codec   audio.Codec
		eventPT uint8
	}{
		{"pcmu and 101", offer("m=audio 4000 RTP/AVP 0 8 101", "a=rtpmap:101 telephone-event/8000"), audio.PCMU, 101},
		{"offer prefers pcma, we prefer pcmu", offer("m=audio 4000 RTP/AVP 8 0 96", "a=rtpmap:96 telephone-event/8000"), audio.PCMU, 96},
		{"pcma only", offer("m=audio 4000 RTP/AVP 8", "a=rtpmap:8 PCMA/8000"), audio.PCMA, 0},
		{"static types without rtpmap", offer("m=audio 4000 RTP/AVP 18 8"), audio.PCMA, 0},
		{"several event rates", offer("m=audio 4000 RTP/AVP 9 0 100 101", "a=rtpmap:100 telephone-event/16000", "a=rtpmap:101 telephone-event/8000"), audio.PCMU, 101},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sd, err := ParseSDP(tc.body)
			require.NoError(t, err)
			mc, err := Negotiate(sd, ourCodecs)
			require.NoError(t, err)
			assert.Equal(t, tc.codec, mc.Codec)
			assert.Equal(t, tc.eventPT, mc.EventPT)
			assert.Equal(t, netip.MustParseAddrPort("192.0.2.1:4000"), mc.Remote)
			assert.Equal(t, SendRecv, mc.Direction)
		})
	}
}

func TestNegotiateNoCommonCodec(t *testing.T) {
	t.Parallel()
	sd, err := ParseSDP(offer("m=audio 4000 RTP/AVP 9 18 101", "a=rtpmap:101 telephone-event/8000"))
	require.NoError(t, err)
	_, err = Negotiate(sd, ourCodecs)
	assert.ErrorIs(t, err, ErrNoCommonCodec)
	assert.ErrorContains(t, err, "want PCMU or PCMA", "the refusal names the codecs configured")
	_, err = Negotiate(sd, []audio.Codec{audio.PCMA})
	assert.ErrorContains(t, err, "(want PCMA)")
}

func TestNegotiateMirrorsHoldDirections(t *testing.T) {
	t.Parallel()
	for offered, want := range map[string]Direction{"sendonly": RecvOnly, "inactive": Inactive, "recvonly": SendOnly, "sendrecv": SendRecv} {
		sd, err := ParseSDP(offer("m=audio 4000 RTP/AVP 0", "a="+offered))
		require.NoError(t, err)
		mc, err := Negotiate(sd, ourCodecs)
		require.NoError(t, err)
		assert.Equal(t, want, mc.Direction, offered)
		assert.Equal(t, want == SendRecv || want == SendOnly, mc.Direction.weSend(), offered)
	}
	// RFC 2543 hold: c=0.0.0.0
	sd, err := ParseSDP([]byte("v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"))
	require.NoError(t, err)
	mc, _ := Negotiate(sd, ourCodecs)
	assert.False(t, mc.Direction.weSend())
}

func TestParseSDPMediaLevelConnectionAndSecondStream(t *testing.T) {
	t.Parallel()
	body := offer("m=video 5000 RTP/AVP 96", "a=rtpmap:96 H264/90000", "c=IN IP4 192.0.2.9",
		"m=audio 4002 RTP/AVP 8", "c=IN IP4 192.0.2.7", "a=sendonly", "m=audio 6000 RTP/AVP 0")
	sd, err := ParseSDP(body)
	require.NoError(t, err)
	assert.Equal(t, netip.MustParseAddr("192.0.2.7"), sd.Addr)
	assert.Equal(t, 4002, sd.Port)
	assert.Equal(t, SendOnly, sd.Direction)
	require.Len(t, sd.Formats, 1)
	assert.Equal(t, "PCMA", sd.Formats[0].Name)
}

func TestParseSDPRejectsMalformedWithReason(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"":                               "empty body",
		"v=0\r\nhello\r\n":               "not a type=value line",
		"v=0\r\nc=IN IP4 1.2.3.4\r\n":    "no audio m= line",
		"v=0\r\nm=audio 1 RTP/AVP 0\r\n": "no c= connection",
		"v=0\r\nc=IN IP4 nope\r\nm=audio 1 RTP/AVP 0\r\n":                       "bad c= address",
		"v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio x RTP/AVP 0\r\n":                    "bad port",
		"v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 1 RTP/AVP 300\r\n":                  "bad payload type",
		"v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 1 UDP/TLS 0\r\n":                    "unsupported transport",
		"c=IN IP4 1.2.3.4\r\nm=audio 1 RTP/AVP 0\r\n":                           "missing v=",
		"v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n": "no clock rate",
		"v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 1 RTP/AVP 0\r\na=rtcp:0\r\n":        "bad a=rtcp port",
		"v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 1 RTP/AVP 0\r\na=rtcp:9 IN\r\n":     "bad a=rtcp",
	}
	for body, want := range cases {
		_, err := ParseSDP([]byte(body))
		if assert.Error(t, err, body) {
			assert.Contains(t, err.Error(), want, body)
		}
	}
}

// TestParseSDPRTCPAttribute: a=rtcp (RFC 3605) moves the peer's RTCP off
// RTP port + 1, with or without its own address; Negotiate carries it.
func TestParseSDPRTCPAttribute(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ attr, want string }{
		{"", ""},
		{"a=rtcp:53020", "192.0.2.5:53020"},
		{"a=rtcp:53020 IN IP4 198.51.100.7", "198.51.100.7:53020"},
	} {
		lines := []string{"m=audio 4000 RTP/AVP 0"}
		if c.attr != "" {
			lines = append(lines, c.attr)
		}
		body := strings.Replace(string(offer(lines...)), "c=IN IP4 192.0.2.1", "c=IN IP4 192.0.2.5", 1)
		sd, err := ParseSDP([]byte(body))
		require.NoError(t, err, c.attr)
		mc, err := Negotiate(sd, ourCodecs)
		require.NoError(t, err)
		if c.want == "" {
			assert.False(t, mc.RTCP.IsValid(), "no a=rtcp: RTP port + 1 is implied")
			continue
		}
		assert.Equal(t, c.want, mc.RTCP.String(), c.attr)
	}
}

func TestMarshalAnswerRoundTrips(t *testing.T) {
	t.Parallel()
	p := SessionDescription{SessionID: 7, Version: 1, Addr: netip.MustParseAddr("127.0.0.1"), Port: 20000,
		Direction: RecvOnly}.WithMedia([]audio.Codec{audio.PCMA}, 96)
	body := p.Marshal()
	assert.Contains(t, string(body), "a=ptime:20\r\n")
	assert.Contains(t, string(body), "a=fmtp:96 0-16\r\n")
	sd, err := ParseSDP(body)
	require.NoError(t, err)
	mc, err := Negotiate(sd, ourCodecs)
	require.NoError(t, err)
	assert.Equal(t, audio.PCMA, mc.Codec)
	assert.Equal(t, uint8(96), mc.EventPT)
	assert.Equal(t, RecvOnly, sd.Direction)
	assert.Equal(t, 20000, sd.Port)
}

func FuzzParseSDP(f *testing.F) {
	f.Add(offer("m=audio 4000 RTP/AVP 0 8 101", "a=rtpmap:101 telephone-event/8000", "a=sendonly"))
	f.Add([]byte("v=0\nc=IN IP6 ::1\nm=audio 0 RTP/AVP 8\n"))
	f.Add([]byte("v=0\r\nm=audio 1/2 RTP/AVP 0\r\nc=IN IP4 1.2.3.4/127\r\n"))
	f.Add(chromeOffer(50000)) // webrtc_test.go
	f.Add([]byte("v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=candidate:x 1 udp 1 not-an-ip 9 typ host\r\na=candidate:\r\na=fingerprint:\r\na=group:BUNDLE\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		sd, err := ParseSDP(body)
		if err != nil {
			return
		}
		mc, err := Negotiate(sd, ourCodecs)
		if err != nil {
			return
		}
		if mc.Codec != audio.PCMU && mc.Codec != audio.PCMA {
			t.Fatalf("negotiated codec %d", mc.Codec)
		}
		// Our answer to anything we accepted must itself parse.
		ans := SessionDescription{Addr: netip.MustParseAddr("127.0.0.1"), Port: 1, Direction: mc.Direction}.WithMedia([]audio.Codec{mc.Codec}, mc.EventPT)
		if _, err := ParseSDP(ans.Marshal()); err != nil {
			t.Fatalf("our answer does not parse: %v", err)
		}
	})
}

func TestParseSipfrag(t *testing.T) {
	t.Parallel()
	code, err := parseSipfrag([]byte("SIP/2.0 200 OK\r\n"))
	require.NoError(t, err)
	assert.Equal(t, 200, code)
	code, err = parseSipfrag([]byte("SIP/2.0 100 Trying"))
	require.NoError(t, err)
	assert.Equal(t, 100, code)
	_, err = parseSipfrag([]byte("hello"))
	assert.ErrorContains(t, err, "status line")
	_, err = parseSipfrag([]byte("SIP/2.0 99x"))
	assert.ErrorContains(t, err, "bad status")
}

func FuzzParseSipfrag(f *testing.F) {
	f.Add([]byte("SIP/2.0 603 Declined\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		code, err := parseSipfrag(b)
		if err == nil && (code < 100 || code > 699) {
			t.Fatalf("code %d accepted", code)
		}
	})
}
