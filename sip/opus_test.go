package sip

import (
	"fmt"
	"net"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/media"
)

// Opus offers as softphones and browsers write them: a dynamic payload
// type (96 from baresip and linphone, 111 from a browser), opus/48000/2,
// telephone-event at 8000 or at Opus's 48000.
func TestNegotiateOpus(t *testing.T) {
	t.Parallel()
	wide := []audio.Codec{audio.Opus, audio.G722, audio.PCMU}
	cases := []struct {
		name       string
		body       []byte
		prefs      []audio.Codec
		codec      audio.Codec
		pt, evPT   uint8
		eventClock int
	}{
		{"baresip", offer("m=audio 4000 RTP/AVP 96 9 0 8 101", "a=rtpmap:96 opus/48000/2", "a=fmtp:96 stereo=1;sprop-stereo=1",
			"a=rtpmap:9 G722/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15"), wide, audio.Opus, 96, 101, 8000},
		{"browser", offer("m=audio 4000 RTP/AVP 111 0 8 126 110", "a=rtpmap:111 opus/48000/2", "a=fmtp:111 minptime=10;useinbandfec=1",
			"a=rtpmap:126 telephone-event/8000", "a=rtpmap:110 telephone-event/48000"), wide, audio.Opus, 111, 110, 48000},
		{"we prefer G722", offer("m=audio 4000 RTP/AVP 96 9 101", "a=rtpmap:96 OPUS/48000/2", "a=rtpmap:101 telephone-event/8000"),
			[]audio.Codec{audio.G722, audio.Opus}, audio.G722, 9, 101, 8000},
		{"opus at another clock is not Opus", offer("m=audio 4000 RTP/AVP 97 0", "a=rtpmap:97 opus/16000"), wide, audio.PCMU, 0, 0, 0},
		{"dynamic number without rtpmap", offer("m=audio 4000 RTP/AVP 111 0"), wide, audio.PCMU, 0, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sd, err := ParseSDP(tc.body)
			require.NoError(t, err)
			mc, err := Negotiate(sd, tc.prefs)
			require.NoError(t, err)
			assert.Equal(t, tc.codec, mc.Codec)
			assert.Equal(t, tc.pt, mc.PT)
			assert.Equal(t, tc.evPT, mc.EventPT)
			assert.Equal(t, tc.eventClock, mc.EventClock)
			assert.Equal(t, tc.pt, mc.params(true).PT, "the media session sends and takes the agreed number")
		})
	}
	sd, err := ParseSDP(offer("m=audio 4000 RTP/AVP 96", "a=rtpmap:96 opus/48000/2"))
	require.NoError(t, err)
	_, err = Negotiate(sd, ourCodecs)
	require.ErrorIs(t, err, ErrNoCommonCodec, "Opus is not taken unless configured")
}

// The answer names Opus under the offer's number, as opus/48000/2 with
// ivrd's parameters, and telephone-event at the agreed clock; an offer
// ivrd makes lists Opus at 111, and reads back as Opus.
func TestOpusAnswerAndOffer(t *testing.T) {
	t.Parallel()
	sd, err := ParseSDP(offer("m=audio 4000 RTP/AVP 111 0 110", "a=rtpmap:111 opus/48000/2", "a=rtpmap:110 telephone-event/48000"))
	require.NoError(t, err)
	mc, err := Negotiate(sd, []audio.Codec{audio.Opus, audio.PCMU})
	require.NoError(t, err)
	ans := string(SessionDescription{Addr: netip.MustParseAddr("192.0.2.9"), Port: 5000}.WithChoice(mc).Marshal())
	assert.Contains(t, ans, "m=audio 5000 RTP/AVP 111 110\r\n")
	assert.Contains(t, ans, "a=rtpmap:111 opus/48000/2\r\n")
	assert.Contains(t, ans, "a=fmtp:111 maxplaybackrate=16000;sprop-maxcapturerate=16000;stereo=0;sprop-stereo=0;useinbandfec=1\r\n")
	assert.Contains(t, ans, "a=rtpmap:110 telephone-event/48000\r\n")

	ours := SessionDescription{Addr: netip.MustParseAddr("192.0.2.9"), Port: 5000}.WithMedia([]audio.Codec{audio.Opus, audio.G722, audio.PCMU}, 101).Marshal()
	assert.Contains(t, string(ours), "m=audio 5000 RTP/AVP 111 9 0 101\r\n")
	back, err := ParseSDP(ours)
	require.NoError(t, err)
	mc, err = Negotiate(back, []audio.Codec{audio.Opus})
	require.NoError(t, err)
	assert.Equal(t, uint8(111), mc.PT)
}

// A server with Opus first answers a softphone's Opus offer with Opus and
// sends its packets under the offer's payload type: 80 bytes each,
// timestamps 960 apart.
func TestServerAnswersOpusWhenConfigured(t *testing.T) {
	r := newRig(t, func(c *Config, _ *media.EngineConfig) {
		c.Codecs = []audio.Codec{audio.Opus, audio.G722, audio.PCMU}
	})
	c := r.caller("udp")
	port := c.RTP.LocalAddr().(*net.UDPAddr).Port
	body := fmt.Sprintf("v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 98 0 101\r\na=rtpmap:98 opus/48000/2\r\na=fmtp:98 useinbandfec=1\r\n"+
		"a=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\na=sendrecv\r\n", port)
	d, err := c.Invite(ctx5(t), r.srv.Addr("udp"), "100", []byte(body))
	require.NoError(t, err)
	ans := string(d.InviteResponse.Body())
	assert.Contains(t, ans, "RTP/AVP 98 101\r\n")
	assert.Contains(t, ans, "a=rtpmap:98 opus/48000/2")
	require.NoError(t, d.Ack(ctx5(t)))
	call := r.nextCall()
	assert.Equal(t, audio.Opus, call.Negotiated().Codec)
	waitFor(t, "Opus packets", func() bool {
		var last uint32
		n := 0
		for _, p := range c.Packets() {
			if p.Header.PayloadType != 98 || len(p.Payload) != audio.OpusFrameBytes {
				continue
			}
			if n > 0 && p.Header.Timestamp-last != 960 {
				return false
			}
			last = p.Header.Timestamp
			n++
		}
		return n >= 3
	})
	require.NoError(t, d.Bye(ctx5(t)))
}

// A trunk whose codecs list Opus alone gets Opus for its calls whatever
// the server's list says, and refuses an offer without it.
func TestTrunkPrefersOpus(t *testing.T) {
	r := newRig(t, func(c *Config, _ *media.EngineConfig) {
		c.Admit = func(netip.Addr) (string, bool) { return "webrtc-gw", true }
		c.TrunkCodecs = func(trunk string) []audio.Codec {
			if trunk == "webrtc-gw" {
				return []audio.Codec{audio.Opus}
			}
			return nil
		}
	})
	c := r.caller("udp")
	port := c.RTP.LocalAddr().(*net.UDPAddr).Port
	body := fmt.Sprintf("v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 0 111\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:111 opus/48000/2\r\na=sendrecv\r\n", port)
	d, err := c.Invite(ctx5(t), r.srv.Addr("udp"), "100", []byte(body))
	require.NoError(t, err)
	assert.Contains(t, string(d.InviteResponse.Body()), "RTP/AVP 111\r\n", "the trunk's Opus, not the server's PCMU")
	require.NoError(t, d.Ack(ctx5(t)))
	assert.Equal(t, audio.Opus, r.nextCall().Negotiated().Codec)
	require.NoError(t, d.Bye(ctx5(t)))

	_, err = c.Invite(ctx5(t), r.srv.Addr("udp"), "100", c.Offer("", 0, 8))
	assert.Equal(t, 488, statusOf(err), "the trunk takes Opus only")
}
