package sip

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/media"
)

func TestNegotiateG722(t *testing.T) {
	wide := []audio.Codec{audio.G722, audio.PCMU, audio.PCMA}
	cases := []struct {
		name  string
		body  []byte
		prefs []audio.Codec
		codec audio.Codec
	}{
		{"we prefer G722", offer("m=audio 4000 RTP/AVP 0 9 101", "a=rtpmap:9 G722/8000", "a=rtpmap:101 telephone-event/8000"), wide, audio.G722},
		{"static 9 without rtpmap", offer("m=audio 4000 RTP/AVP 0 9"), wide, audio.G722},
		{"G722/16000 as some phones write it", offer("m=audio 4000 RTP/AVP 9", "a=rtpmap:9 G722/16000"), wide, audio.G722},
		{"we prefer PCMU", offer("m=audio 4000 RTP/AVP 9 0"), []audio.Codec{audio.PCMU, audio.G722}, audio.PCMU},
		{"offer lacks G722", offer("m=audio 4000 RTP/AVP 8 0"), wide, audio.PCMU},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sd, err := ParseSDP(tc.body)
			require.NoError(t, err)
			mc, err := Negotiate(sd, tc.prefs)
			require.NoError(t, err)
			assert.Equal(t, tc.codec, mc.Codec)
		})
	}
	sd, err := ParseSDP(offer("m=audio 4000 RTP/AVP 9"))
	require.NoError(t, err)
	_, err = Negotiate(sd, ourCodecs)
	require.ErrorIs(t, err, ErrNoCommonCodec, "G.722 is not offered unless configured")
	sd, err = ParseSDP(offer("m=audio 4000 RTP/AVP 0"))
	require.NoError(t, err)
	_, err = Negotiate(sd, []audio.Codec{audio.G722})
	assert.ErrorContains(t, err, "(want G722)")

	body := string(SessionDescription{Addr: netip.MustParseAddr("192.0.2.9"), Port: 5000}.WithMedia(wide, 101).Marshal())
	assert.Contains(t, body, "m=audio 5000 RTP/AVP 9 0 8 101\r\n")
	assert.Contains(t, body, "a=rtpmap:9 G722/8000\r\n", "RFC 3551: G.722's RTP clock is 8000")
}

// A server configured with G722 first answers a G.722 offer with G.722
// and sends G.722 packets; the default configuration stays G.711.
func TestServerAnswersG722WhenConfigured(t *testing.T) {
	r := newRig(t, func(c *Config, _ *media.EngineConfig) {
		c.Codecs = []audio.Codec{audio.G722, audio.PCMU, audio.PCMA}
	})
	c := r.caller("udp")
	d, err := c.Invite(ctx5(t), r.srv.Addr("udp"), "100", c.Offer("", 0, 9, 96))
	require.NoError(t, err)
	body := string(d.InviteResponse.Body())
	assert.Contains(t, body, "RTP/AVP 9 96\r\n")
	assert.Contains(t, body, "a=rtpmap:9 G722/8000")
	require.NoError(t, d.Ack(ctx5(t)))
	call := r.nextCall()
	assert.Equal(t, audio.G722, call.Negotiated().Codec)
	waitFor(t, "G.722 packets", func() bool {
		n := 0
		for _, p := range c.Packets() {
			if p.Header.PayloadType == 9 && len(p.Payload) == 160 {
				n++
			}
		}
		return n >= 3
	})
	require.NoError(t, d.Bye(ctx5(t)))

	plain := newRig(t, nil)
	c2 := plain.caller("udp")
	d2, err := c2.Invite(ctx5(t), plain.srv.Addr("udp"), "100", c2.Offer("", 9, 0))
	require.NoError(t, err)
	assert.Contains(t, string(d2.InviteResponse.Body()), "RTP/AVP 0\r\n", "G.722 only when configured")
	require.NoError(t, d2.Ack(ctx5(t)))
	plain.nextCall()
	require.NoError(t, d2.Bye(ctx5(t)))
}

// A trunk's own codec list decides for the calls admitted as that trunk.
func TestTrunkCodecPreference(t *testing.T) {
	r := newRig(t, func(c *Config, _ *media.EngineConfig) {
		c.Admit = func(netip.Addr) (string, bool) { return "wideband-trunk", true }
		c.TrunkCodecs = func(trunk string) []audio.Codec {
			if trunk == "wideband-trunk" {
				return []audio.Codec{audio.G722}
			}
			return nil
		}
	})
	c := r.caller("udp")
	d, err := c.Invite(ctx5(t), r.srv.Addr("udp"), "100", c.Offer("", 0, 9))
	require.NoError(t, err)
	assert.Contains(t, string(d.InviteResponse.Body()), "RTP/AVP 9\r\n", "the trunk's G722, not the server's PCMU")
	require.NoError(t, d.Ack(ctx5(t)))
	call := r.nextCall()
	assert.Equal(t, "wideband-trunk", call.Trunk)
	require.NoError(t, d.Bye(ctx5(t)))

	_, err = c.Invite(ctx5(t), r.srv.Addr("udp"), "100", c.Offer("", 0))
	assert.Equal(t, 488, statusOf(err), "the trunk takes G722 only")
}
