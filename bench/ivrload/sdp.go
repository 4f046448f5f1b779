package ivrload

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// offer is our SDP offer: the codec (PCMU or G722, RTP clock 8000 for
// both; opus/48000/2 at 111), and telephone-event at pt (0: none);
// RTP/SAVP with keys' a=crypto line when keys are given.
func offer(ip netip.Addr, port uint16, pt uint8, sessID uint64, codec string, keys *callKeys) []byte {
	proto := "RTP/AVP"
	if keys != nil {
		proto = "RTP/SAVP"
	}
	cpt := payloadType(codec)
	enc, fmtp := rtpmap(codec)
	if fmtp != "" {
		fmtp = fmt.Sprintf("a=fmtp:%d %s\r\n", cpt, fmtp)
	}
	fmts := strconv.Itoa(int(cpt))
	te := ""
	if pt != 0 {
		fmts = fmt.Sprintf("%d %d", cpt, pt)
		te = fmt.Sprintf("a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", pt, pt)
	}
	return fmt.Appendf(nil, "v=0\r\no=ivrload %d %d IN IP4 %s\r\ns=ivrload\r\nc=IN IP4 %s\r\nt=0 0\r\n"+
		"m=audio %d %s %s\r\na=rtpmap:%d %s\r\n%s%s%sa=ptime:20\r\na=sendrecv\r\n",
		sessID, sessID, ip, ip, port, proto, fmts, cpt, enc, fmtp, te, keys.cryptoAttr())
}

// answer is what we need of the target's SDP answer.
type answer struct {
	media   netip.AddrPort // where to send RTP (session or media c= line)
	pcmu    bool           // PCMU accepted
	g722    bool           // G722 accepted
	opusPT  uint8          // Opus's payload type in the answer (0: not accepted)
	eventPT uint8          // telephone-event payload type, 0 if none
	crypto  string         // the first a=crypto value ("": none)
}

// rtpmap notes a dynamic payload type we use: telephone-event's, Opus's.
func (a *answer) rtpmap(val string) {
	f := strings.Fields(val)
	if len(f) != 2 {
		return
	}
	pt, err := strconv.Atoi(f[0])
	if err != nil || pt < 96 || pt > 127 {
		return
	}
	switch enc := strings.ToLower(f[1]); {
	case strings.HasPrefix(enc, "telephone-event/"):
		a.eventPT = uint8(pt)
	case strings.HasPrefix(enc, "opus/48000"):
		a.opusPT = uint8(pt)
	}
}

// parseAnswer reads the first audio stream of an SDP answer. It is
// lenient where real servers differ (LF or CRLF, spaces, a media-level c=
// overriding the session one) and strict about what we cannot use: no
// IPv4 address, no port, port 0 (stream refused).
func parseAnswer(sdp []byte) (answer, error) {
	var a answer
	var sessIP, mediaIP netip.Addr
	port := -1
	inAudio, seenAudio := false, false
	for _, line := range strings.Split(string(sdp), "\n") {
		line = strings.TrimSpace(line)
		if len(line) < 2 || line[1] != '=' {
			continue
		}
		val := line[2:]
		switch line[0] {
		case 'm':
			inAudio = false
			if seenAudio {
				continue
			}
			f := strings.Fields(val)
			if len(f) < 4 || f[0] != "audio" {
				continue
			}
			p, err := strconv.Atoi(strings.SplitN(f[1], "/", 2)[0])
			if err != nil || p < 0 || p > 65535 {
				return a, fmt.Errorf("sdp: bad audio port %q", f[1])
			}
			port, inAudio, seenAudio = p, true, true
			for _, pt := range f[3:] {
				switch pt {
				case "0":
					a.pcmu = true
				case "9":
					a.g722 = true
				}
			}
		case 'c':
			f := strings.Fields(val)
			if len(f) < 3 || f[0] != "IN" || f[1] != "IP4" {
				continue
			}
			ip, err := netip.ParseAddr(strings.SplitN(f[2], "/", 2)[0])
			if err != nil || !ip.Is4() {
				continue
			}
			if inAudio {
				mediaIP = ip
			} else if !seenAudio {
				sessIP = ip
			}
		case 'a':
			if c, ok := strings.CutPrefix(val, "crypto:"); ok && inAudio && a.crypto == "" {
				a.crypto = c
				continue
			}
			if rm, ok := strings.CutPrefix(val, "rtpmap:"); ok && inAudio {
				a.rtpmap(rm)
			}
		}
	}
	ip := mediaIP
	if !ip.IsValid() {
		ip = sessIP
	}
	switch {
	case port < 0:
		return a, fmt.Errorf("sdp: no audio stream")
	case port == 0:
		return a, fmt.Errorf("sdp: audio stream refused (port 0)")
	case !ip.IsValid():
		return a, fmt.Errorf("sdp: no IPv4 connection address")
	}
	a.media = netip.AddrPortFrom(ip, uint16(port))
	return a, nil
}
