package sip

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mLines are the m= lines of an SDP body.
func mLines(sdp string) []string {
	var out []string
	for _, l := range strings.Split(sdp, "\r\n") {
		if strings.HasPrefix(l, "m=") {
			out = append(out, l)
		}
	}
	return out
}

// TestAnswerHasEveryOfferedMediaLine (RFC 3264 section 6; issue 13 point
// 14: three m= lines got an answer with one): the audio stream is taken,
// the others refused with port 0, in the offer's order.
func TestAnswerHasEveryOfferedMediaLine(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	dst := r.srv.Addr("udp")
	u := newRawUDP(t, "127.0.0.1")
	offer := "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=video 41002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n" +
		"m=audio 41000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n" +
		"m=application 41004 UDP/BFCP *\r\n"
	u.send(dst, rawRequest("INVITE", "sip:100@127.0.0.1", u.local(), "three-lines", 1, nil, offer))
	res := u.final(5 * time.Second)
	require.Equal(t, 200, codeOf(res), res)
	lines := mLines(bodyOf(res))
	require.Len(t, lines, 3, "one answer line for each offered one: %q", bodyOf(res))
	assert.Equal(t, "m=video 0 RTP/AVP 96", lines[0])
	assert.Regexp(t, `^m=audio [1-9][0-9]* RTP/AVP 0 101$`, lines[1])
	assert.Equal(t, "m=application 0 UDP/BFCP *", lines[2])
	audio := bodyOf(res)[strings.Index(bodyOf(res), lines[1]):]
	assert.Contains(t, audio[:strings.Index(audio, "m=application")], "a=rtpmap:0 PCMU/8000", "audio attributes under the audio line")
	to := headerOf(res, "To")
	ack := strings.Replace(rawRequest("ACK", "sip:100@127.0.0.1", u.local(), "three-lines", 1, nil, ""), "To: <sip:100@127.0.0.1>", "To: "+to, 1)
	u.send(dst, ack)
	r.nextCall()
	bye := strings.Replace(rawRequest("BYE", "sip:100@127.0.0.1", u.local(), "three-lines", 2, nil, ""), "To: <sip:100@127.0.0.1>", "To: "+to, 1)
	u.send(dst, bye)
	assert.Equal(t, 200, codeOf(u.final(5*time.Second)))
}

// TestProtocolEdgesAnswered (issue 13 point 14): an IPv6-only offer gets
// 488 with a Warning (media binds IPv4), SIP/3.0 gets 505, a CANCEL for
// no call 481, a Content-Length that is not a number or runs past the
// datagram 400; none of them allocates a call.
func TestProtocolEdgesAnswered(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	dst := r.srv.Addr("udp")
	u := newRawUDP(t, "127.0.0.1")
	ask := func(msg string) string {
		u.send(dst, msg)
		return u.final(3 * time.Second)
	}

	v6 := "v=0\r\no=x 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\nm=audio 41000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
	res := ask(rawRequest("INVITE", "sip:100@127.0.0.1", u.local(), "v6-only", 1, nil, v6))
	assert.Equal(t, 488, codeOf(res), res)
	assert.True(t, strings.HasPrefix(headerOf(res, "Warning"), "301 "), "Warning 301: %q", headerOf(res, "Warning"))

	v3 := strings.Replace(rawRequest("OPTIONS", "sip:127.0.0.1", u.local(), "sip3", 1, nil, ""), "OPTIONS sip:127.0.0.1 SIP/2.0", "OPTIONS sip:127.0.0.1 SIP/3.0", 1)
	res = ask(v3)
	assert.Equal(t, 505, codeOf(res), res)
	assert.True(t, strings.HasPrefix(res, "SIP/2.0 505 "), "answered in SIP/2.0: %q", res)

	res = ask(rawRequest("CANCEL", "sip:100@127.0.0.1", u.local(), "no-such-call", 1, nil, ""))
	assert.Equal(t, 481, codeOf(res), res)

	for _, c := range []struct{ name, length string }{{"not a number", "abc"}, {"past the datagram", "500"}, {"negative", "-1"}} {
		msg := rawRequest("OPTIONS", "sip:127.0.0.1", u.local(), "cl-"+c.length, 1, nil, "")
		msg = strings.Replace(msg, "Content-Length: 0\r\n\r\n", "Content-Length: "+c.length+"\r\n\r\nv=0\r\n", 1)
		res = ask(msg)
		assert.Equal(t, 400, codeOf(res), "Content-Length %s: %q", c.name, res)
		assert.Equal(t, "cl-"+c.length, headerOf(res, "Call-ID"), "the 400 names its request")
		assert.Contains(t, headerOf(res, "To"), ";tag=", "the 400 adds a To tag")
		assert.NotEmpty(t, headerOf(res, "Warning"))
	}
	assert.Zero(t, r.srv.ActiveCalls())
	// The server serves on.
	res = ask(rawRequest("OPTIONS", "sip:127.0.0.1", u.local(), "after-edges", 1, nil, ""))
	assert.Equal(t, 200, codeOf(res), fmt.Sprintf("%q", res))
}
