package sip

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ivrd/ivrd/audio"
)

// FuzzDatagramFault: any datagram is judged without panicking, and a
// stateless response written for it (400, or the 401 to a REGISTER) is
// one response with a status line and no stray CRLF pair before its end.
func FuzzDatagramFault(f *testing.F) {
	f.Add([]byte("OPTIONS sip:a SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nTo: <sip:a>\r\nCSeq: 1 OPTIONS\r\nContent-Length: 9\r\n\r\nv=0\r\n"))
	f.Add([]byte("INVITE sip:a SIP/2.0\r\nv: x\r\n folded\r\nl: abc\r\nl: 3\r\ncseq: 1 ACK\r\n\r\n"))
	f.Add([]byte("SIP/2.0 200 OK\r\nContent-Length: 99\r\n\r\n"))
	f.Add([]byte("\r\n\r\n"))
	f.Add([]byte("REGISTER sip:a SIP/2.0\r\nVia: SIP/2.0/UDP h;rport;branch=z9hG4bKx, SIP/2.0/UDP g\r\nf: <sip:a>;tag=1\r\nt: <sip:a>\r\ni: x\r\nCSeq: 1 REGISTER\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		src := netip.MustParseAddrPort("192.0.2.1:5060")
		info, fault := datagramFault(data)
		res := badRequest(info, fault, src)
		if fault == "" {
			// What a REGISTER without credentials would be answered.
			res = statelessResponse(info, "401 Unauthorized", []string{"WWW-Authenticate: Digest"}, src)
		}
		if res == nil {
			return
		}
		s := string(res)
		if !strings.HasPrefix(s, "SIP/2.0 4") || strings.Index(s, "\r\n\r\n") != len(s)-4 {
			t.Fatalf("bad stateless response: %q", s)
		}
	})
}

// FuzzStreamFramer: the framer ends in the same state whatever the
// chunks the stream arrives in, and never panics.
func FuzzStreamFramer(f *testing.F) {
	f.Add([]byte("\r\n\r\nOPTIONS sip:a SIP/2.0\r\nContent-Length: 3\r\n\r\nabcBYE sip:a SIP/2.0\r\nl: 0\r\n\r\n"), uint8(3))
	f.Add([]byte("INVITE sip:a SIP/2.0\r\nContent-Length: 10\r\n\r\nv=0"), uint8(1))
	f.Add([]byte("X\r\n\r"), uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		var whole, chunked streamFramer
		whole.feed(data)
		n := int(step%16) + 1
		for i := 0; i < len(data); i += n {
			chunked.feed(data[i:min(i+n, len(data))])
		}
		if whole.state != chunked.state || whole.bodyLeft != chunked.bodyLeft || whole.started != chunked.started {
			t.Fatalf("whole %+v, in %d-byte chunks %+v", whole, n, chunked)
		}
	})
}

// FuzzNonceCheck: a nonce we did not issue is never taken as fresh or
// stale, whatever it looks like.
func FuzzNonceCheck(f *testing.F) {
	n := newNonceSigner(nonceLife)
	src := netip.MustParseAddr("192.0.2.1")
	now := time.Unix(1.8e9, 0)
	f.Add(n.issue(netip.MustParseAddr("192.0.2.2"), now))
	f.Add(strings.Repeat("0", nonceLen))
	f.Add("zz")
	f.Fuzz(func(t *testing.T, nonce string) {
		if n.check(nonce, src, now) != nonceBad {
			t.Fatalf("forged nonce %q accepted", nonce)
		}
	})
}

// FuzzSDPAnswerLines: an answer to any offer we accept has as many m=
// lines as the offer, and reads back as SDP.
func FuzzSDPAnswerLines(f *testing.F) {
	f.Add("v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 5 RTP/AVP 31\r\nm=audio 4000 RTP/AVP 0\r\nm=image 6 udptl t38\r\n")
	f.Add("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 0\r\nm=audio 4002 RTP/AVP 8\r\n")
	f.Fuzz(func(t *testing.T, body string) {
		offer, err := ParseSDP([]byte(body))
		if err != nil {
			return
		}
		mc, err := Negotiate(offer, []audio.Codec{audio.PCMU, audio.PCMA})
		if err != nil {
			return
		}
		ans := SessionDescription{Addr: netip.MustParseAddr("127.0.0.1"), Port: 4000,
			Direction: mc.Direction, Lines: mc.Lines}.WithMedia([]audio.Codec{mc.Codec}, 0).Marshal()
		count := func(s string) int {
			n := 0
			for _, l := range strings.Split(s, "\n") {
				if strings.HasPrefix(strings.TrimSpace(l), "m=") {
					n++
				}
			}
			return n
		}
		if count(body) != count(string(ans)) {
			t.Fatalf("offer has %d m= lines, answer %d:\n%s", count(body), count(string(ans)), ans)
		}
		if _, err := ParseSDP(ans); err != nil {
			t.Fatalf("our answer does not parse: %v\n%s", err, ans)
		}
	})
}
