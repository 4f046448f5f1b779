package ivrload

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// offer is our SDP offer: the codec (PCMU or G722, RTP clock 8000 for
// both), and telephone-event at pt (0: none); RTP/SAVP with keys'
// a=crypto line when keys are given.
func offer(ip netip.Addr, port uint16, pt uint8, sessID uint64, codec string, keys *callKeys) []byte {
	proto := "RTP/AVP"
	if keys != nil {
		proto = "RTP/SAVP"
	}
	cpt := payloadType(codec)
	name := "PCMU"
	if codec == CodecG722 {
		name = "G722"
	}
	fmts := strconv.Itoa(int(cpt))
	te := ""
	if pt != 0 {
		fmts = fmt.Sprintf("%d %d", cpt, pt)
		te = fmt.Sprintf("a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", pt, pt)
	}
	return fmt.Appendf(nil, "v=0\r\no=ivrload %d %d IN IP4 %s\r\ns=ivrload\r\nc=IN IP4 %s\r\nt=0 0\r\n"+
		"m=audio %d %s %s\r\na=rtpmap:%d %s/8000\r\n%s%sa=ptime:20\r\na=sendrecv\r\n",
		sessID, sessID, ip, ip, port, proto, fmts, cpt, name, te, keys.cryptoAttr())
}

// answer is what we need of the target's SDP answer.
type answer struct {
	media   netip.AddrPort // where to send RTP (session or media c= line)
	pcmu    bool           // PCMU accepted
	g722    bool           // G722 accepted
	eventPT uint8          // telephone-event payload type, 0 if none
	crypto  string         // the first a=crypto value ("": none)
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
			if !inAudio || !strings.HasPrefix(val, "rtpmap:") {
				continue
			}
			f := strings.Fields(strings.TrimPrefix(val, "rtpmap:"))
			if len(f) == 2 && strings.HasPrefix(strings.ToLower(f[1]), "telephone-event/") {
				if pt, err := strconv.Atoi(f[0]); err == nil && pt >= 96 && pt <= 127 {
					a.eventPT = uint8(pt)
				}
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
