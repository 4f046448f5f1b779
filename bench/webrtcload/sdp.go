package main

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Payload types offered, as Chromium numbers them.
const (
	ptPCMU  = 0
	ptPCMA  = 8
	ptOpus  = 111
	ptEvent = 126
)

// offer is what a call's offer says of it.
type offer struct {
	Port        int // the call's UDP port (its one host candidate)
	Ufrag, Pwd  string
	Fingerprint string // sha-256, colon-separated hex
	Opus        bool   // offer Opus first, as browsers do
	SSRC        uint32
	SessionID   uint64
}

// sdp is the offer as a browser writes one: one audio stream, bundled,
// rtcp-mux, a=setup:actpass, one host candidate on loopback.
func (o offer) sdp() []byte {
	pts := "0 8 126"
	if o.Opus {
		pts = "111 0 8 126"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=- %d 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\na=msid-semantic: WMS\r\n", o.SessionID)
	fmt.Fprintf(&b, "m=audio 9 UDP/TLS/RTP/SAVPF %s\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n", pts)
	fmt.Fprintf(&b, "a=candidate:1 1 udp 2122260223 127.0.0.1 %d typ host generation 0\r\n", o.Port)
	fmt.Fprintf(&b, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=fingerprint:sha-256 %s\r\na=setup:actpass\r\na=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\n",
		o.Ufrag, o.Pwd, o.Fingerprint)
	if o.Opus {
		b.WriteString("a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n")
	}
	b.WriteString("a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:126 telephone-event/8000\r\n")
	fmt.Fprintf(&b, "a=ssrc:%d cname:webrtcload\r\n", o.SSRC)
	return []byte(b.String())
}

// answer is what a caller needs of the server's answer.
type answer struct {
	PT          uint8          // the codec chosen: the m= line's first format
	Ufrag, Pwd  string         // the server's ICE credentials
	Fingerprint string         // its certificate's, "sha-256 AB:CD:..."
	To          netip.AddrPort // its host candidate (else c= and m=)
}

// parseAnswer reads the answer; an error names what it lacks.
func parseAnswer(body []byte) (answer, error) {
	var a answer
	var conn netip.Addr
	port, havePT := 0, false
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.HasPrefix(line, "m=audio "):
			f := strings.Fields(line)
			if len(f) < 4 {
				return a, fmt.Errorf("sdp: short m= line %.60q", line)
			}
			p, err1 := strconv.Atoi(f[1])
			pt, err2 := strconv.ParseUint(f[3], 10, 7)
			if err1 != nil || err2 != nil {
				return a, fmt.Errorf("sdp: bad m= line %.60q", line)
			}
			port, a.PT, havePT = p, uint8(pt), true
		case strings.HasPrefix(line, "c=IN IP4 "):
			conn, _ = netip.ParseAddr(strings.TrimSpace(line[len("c=IN IP4 "):]))
		case strings.HasPrefix(line, "a=ice-ufrag:"):
			a.Ufrag = strings.TrimSpace(line[len("a=ice-ufrag:"):])
		case strings.HasPrefix(line, "a=ice-pwd:"):
			a.Pwd = strings.TrimSpace(line[len("a=ice-pwd:"):])
		case strings.HasPrefix(line, "a=fingerprint:"):
			a.Fingerprint = strings.TrimSpace(line[len("a=fingerprint:"):])
		case strings.HasPrefix(line, "a=candidate:") && !a.To.IsValid():
			a.To = hostCandidate(line)
		}
	}
	if !havePT {
		return a, errors.New("sdp: no m=audio line")
	}
	if a.Ufrag == "" || a.Pwd == "" || a.Fingerprint == "" {
		return a, errors.New("sdp: no a=ice-ufrag, a=ice-pwd or a=fingerprint")
	}
	if !a.To.IsValid() && conn.IsValid() && port > 0 && port < 65536 {
		a.To = netip.AddrPortFrom(conn, uint16(port))
	}
	if !a.To.IsValid() {
		return a, errors.New("sdp: no candidate and no usable c= and m= address")
	}
	return a, nil
}

// hostCandidate is a UDP candidate's address (invalid for any other).
func hostCandidate(line string) netip.AddrPort {
	f := strings.Fields(line)
	if len(f) < 6 || !strings.EqualFold(f[2], "udp") {
		return netip.AddrPort{}
	}
	ip, err := netip.ParseAddr(f[4])
	p, err2 := strconv.ParseUint(f[5], 10, 16)
	if err != nil || err2 != nil || p == 0 {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ip, uint16(p))
}
