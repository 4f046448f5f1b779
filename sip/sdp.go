package sip

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/media"
)

// Direction is an SDP media direction attribute (RFC 3264 section 6.1).
type Direction string

// Directions as they appear in SDP.
const (
	SendRecv Direction = "sendrecv"
	SendOnly Direction = "sendonly"
	RecvOnly Direction = "recvonly"
	Inactive Direction = "inactive"
)

// reverse is the direction an answerer uses for an offered one.
func (d Direction) reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	case Inactive:
		return Inactive
	}
	return SendRecv
}

// weSend reports whether we may send audio when our side is d.
func (d Direction) weSend() bool { return d == SendRecv || d == SendOnly }

// rtpMap is one payload type of an m= line.
type rtpMap struct {
	PT    uint8
	Name  string // upper case encoding name
	Clock int
}

// Where in an SDP body the parser is.
const (
	atSession = iota
	atAudio
	atOther
)

// SessionDescription is the part of an SDP body ivrd cares about: the
// first audio stream. ParseSDP reads one from a peer's body; Marshal
// writes ivrd's own (WithMedia fills its formats from our codecs).
type SessionDescription struct {
	SessionID uint64 // o= session id and version (written; not kept when parsing)
	Version   uint64
	Addr      netip.Addr // connection address (media level wins over session level)
	Port      int        // 0: stream rejected
	Formats   []rtpMap   // in m= line order
	Direction Direction
	Ptime     int
	RTCP      netip.AddrPort // from a=rtcp (RFC 3605); zero: RTP port + 1
	// Proto is the audio m= line's profile ("" writes RTP/AVP), Crypto its
	// a=crypto values (SDES keys, srtp.go).
	Proto  string
	Crypto CryptoLines
	// WebRTC are the ICE and DTLS attributes of a browser's offer, or of
	// our answer to one (webrtc.go).
	WebRTC WebRTCSDP
	// Lines are all the offer's m= lines, which an answer repeats in
	// order (RFC 3264 section 6), the audio stream we use among them.
	Lines MediaLines
}

// MediaLines lists the m= lines of an offer, one a line: "media proto
// format" for a stream we refuse (answered with port 0), "*" for the audio
// stream we answer. A string, not a slice, so that a MediaChoice stays
// comparable; "" (an offer we make) means our audio line alone.
type MediaLines string

// ourAudio stands for the audio m= line in MediaLines.
const ourAudio = "*"

// refusedLine is the m= line answering an offered one we refuse: the
// same media and transport, port 0, one of its formats (RFC 3264 6).
func refusedLine(fields []string) string {
	return fields[0] + " 0 " + fields[2] + " " + fields[3]
}

// ParseSDP reads an SDP body. It rejects bodies without a usable audio
// stream with an error that says what is missing.
func ParseSDP(body []byte) (*SessionDescription, error) {
	if len(body) == 0 {
		return nil, errors.New("sdp: empty body")
	}
	var (
		rtcpPort int
		rtcpAddr netip.Addr
		sd       SessionDescription
		session  netip.Addr
		media    netip.Addr
		section  = atSession
		haveV    bool
		names    = map[uint8]rtpMap{}
		order    []uint8
		sessDir  Direction
		mediaDir Direction
		lines    []string
	)
	for i, raw := range strings.Split(string(body), "\n") {
		line := strings.TrimRight(raw, "\r")
		if line == "" {
			continue
		}
		if len(line) < 2 || line[1] != '=' {
			return nil, fmt.Errorf("sdp: line %d: not a type=value line: %q", i+1, trimForError(line))
		}
		typ, val := line[0], line[2:]
		if typ == 'v' {
			haveV = true
		}
		if typ == 'm' {
			fields := strings.Fields(val)
			if len(fields) < 4 {
				return nil, fmt.Errorf("sdp: line %d: m= line needs media, port, proto and formats", i+1)
			}
			// Only the first audio stream is used; the others are
			// refused in the answer.
			if fields[0] != "audio" || sd.Formats != nil {
				lines = append(lines, refusedLine(fields))
				section = atOther
				continue
			}
			lines = append(lines, ourAudio)
			section = atAudio
			port, err := strconv.Atoi(strings.SplitN(fields[1], "/", 2)[0])
			if err != nil || port < 0 || port > 65535 {
				return nil, fmt.Errorf("sdp: line %d: bad port %q", i+1, fields[1])
			}
			if !strings.HasPrefix(fields[2], "RTP/AVP") && !isSAVP(fields[2]) && !isDTLSProto(fields[2]) {
				return nil, fmt.Errorf("sdp: line %d: unsupported transport %q", i+1, fields[2])
			}
			sd.Port, sd.Proto = port, fields[2]
			for _, f := range fields[3:] {
				pt, err := strconv.Atoi(f)
				if err != nil || pt < 0 || pt > 127 {
					return nil, fmt.Errorf("sdp: line %d: bad payload type %q", i+1, f)
				}
				order = append(order, uint8(pt))
			}
			sd.Formats = []rtpMap{}
			continue
		}
		if section == atOther {
			continue
		}
		seenM := section == atAudio
		switch typ {
		case 'c':
			addr, err := parseConnection(val)
			if err != nil {
				return nil, fmt.Errorf("sdp: line %d: %w", i+1, err)
			}
			if seenM {
				media = addr
			} else {
				session = addr
			}
		case 'a':
			name, arg, _ := strings.Cut(val, ":")
			switch name {
			case "rtpmap":
				m, err := parseRtpmap(arg)
				if err != nil {
					return nil, fmt.Errorf("sdp: line %d: %w", i+1, err)
				}
				if seenM {
					names[m.PT] = m
				}
			case "crypto":
				if seenM {
					sd.Crypto = append(sd.Crypto, arg) // read by answerSRTP
				}
			case "ptime":
				if p, err := strconv.Atoi(strings.TrimSpace(arg)); err == nil {
					sd.Ptime = p
				}
			case "rtcp":
				if seenM {
					port, addr, err := parseRTCPAttr(arg)
					if err != nil {
						return nil, fmt.Errorf("sdp: line %d: %w", i+1, err)
					}
					rtcpPort, rtcpAddr = port, addr
				}
			case "sendrecv", "sendonly", "recvonly", "inactive":
				if seenM {
					mediaDir = Direction(name)
				} else {
					sessDir = Direction(name)
				}
			default:
				sd.WebRTC.parseAttr(name, arg) // webrtc.go; any other attribute is not ours to read
			}
		}
	}
	if !haveV {
		return nil, errors.New("sdp: missing v= line")
	}
	if sd.Formats == nil {
		return nil, errors.New("sdp: no audio m= line")
	}
	for _, pt := range order {
		m, ok := names[pt]
		if !ok {
			m = staticPayload(pt)
		}
		sd.Formats = append(sd.Formats, m)
	}
	if len(lines) > 1 {
		sd.Lines = MediaLines(strings.Join(lines, "\n"))
	}
	sd.Addr = media
	if !sd.Addr.IsValid() {
		sd.Addr = session
	}
	if !sd.Addr.IsValid() {
		return nil, errors.New("sdp: no c= connection address for audio")
	}
	sd.Direction = SendRecv
	if sessDir != "" {
		sd.Direction = sessDir
	}
	if mediaDir != "" {
		sd.Direction = mediaDir
	}
	if rtcpPort != 0 {
		if !rtcpAddr.IsValid() {
			rtcpAddr = sd.Addr
		}
		sd.RTCP = netip.AddrPortFrom(rtcpAddr, uint16(rtcpPort))
	}
	// RFC 3264 section 8.4: c=0.0.0.0 is the old way to put a call on hold.
	// Not with ICE: a browser writes 0.0.0.0 and lets its candidates say.
	if sd.Addr.IsUnspecified() && sd.Direction == SendRecv && !sd.WebRTC.on() {
		sd.Direction = SendOnly
	}
	return &sd, nil
}

// parseRTCPAttr reads "port [IN IP4|IP6 address]" (RFC 3605).
func parseRTCPAttr(arg string) (int, netip.Addr, error) {
	f := strings.Fields(arg)
	if len(f) != 1 && len(f) != 4 {
		return 0, netip.Addr{}, fmt.Errorf("bad a=rtcp %q", trimForError(arg))
	}
	port, err := strconv.Atoi(f[0])
	if err != nil || port <= 0 || port > 65535 {
		return 0, netip.Addr{}, fmt.Errorf("bad a=rtcp port %q", trimForError(f[0]))
	}
	if len(f) == 1 {
		return port, netip.Addr{}, nil
	}
	addr, err := parseConnection(strings.Join(f[1:], " "))
	if err != nil {
		return 0, netip.Addr{}, fmt.Errorf("a=rtcp: %w", err)
	}
	return port, addr, nil
}

func trimForError(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func parseConnection(val string) (netip.Addr, error) {
	f := strings.Fields(val)
	if len(f) != 3 || f[0] != "IN" || (f[1] != "IP4" && f[1] != "IP6") {
		return netip.Addr{}, fmt.Errorf("bad c= line %q", trimForError(val))
	}
	host := strings.SplitN(f[2], "/", 2)[0] // drop multicast TTL
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("bad c= address %q", trimForError(host))
	}
	return addr, nil
}

func parseRtpmap(arg string) (rtpMap, error) {
	ptStr, enc, ok := strings.Cut(strings.TrimSpace(arg), " ")
	pt, err := strconv.Atoi(ptStr)
	if !ok || err != nil || pt < 0 || pt > 127 {
		return rtpMap{}, fmt.Errorf("bad rtpmap %q", trimForError(arg))
	}
	parts := strings.Split(strings.TrimSpace(enc), "/")
	if len(parts) < 2 {
		return rtpMap{}, fmt.Errorf("bad rtpmap %q: no clock rate", trimForError(arg))
	}
	clock, err := strconv.Atoi(parts[1])
	if err != nil || clock <= 0 {
		return rtpMap{}, fmt.Errorf("bad rtpmap %q: clock rate", trimForError(arg))
	}
	return rtpMap{PT: uint8(pt), Name: strings.ToUpper(parts[0]), Clock: clock}, nil
}

// staticPayload names the RFC 3551 static payload types we might meet
// without an rtpmap line.
func staticPayload(pt uint8) rtpMap {
	switch pt {
	case 0:
		return rtpMap{PT: 0, Name: "PCMU", Clock: 8000}
	case 8:
		return rtpMap{PT: 8, Name: "PCMA", Clock: 8000}
	case 3:
		return rtpMap{PT: 3, Name: "GSM", Clock: 8000}
	case 9:
		return rtpMap{PT: 9, Name: "G722", Clock: 8000}
	case 18:
		return rtpMap{PT: 18, Name: "G729", Clock: 8000}
	}
	return rtpMap{PT: pt}
}

// ErrNoCommonCodec means the offer has none of our codecs (answer 488).
var ErrNoCommonCodec = errors.New("sdp: no common codec")

// ErrAddressFamily means the offer's audio is on an IPv6 address: media
// binds IPv4 only, so such a call could never hear us (answer 488).
var ErrAddressFamily = errors.New("sdp: IPv6 media address (media is IPv4 only)")

// MediaChoice is the outcome of offer/answer: what we send and receive.
type MediaChoice struct {
	Remote netip.AddrPort
	RTCP   netip.AddrPort // where the peer takes RTCP when not RTP port + 1
	Codec  audio.Codec
	// PT is the payload type the codec was agreed under: the offer's
	// dynamic number for Opus, the static one otherwise.
	PT      uint8
	EventPT uint8 // 0: no telephone-event
	// EventClock is telephone-event's RTP clock as agreed: the codec's
	// own when the offer has it there (48000 beside Opus), else 8000.
	EventClock int
	Direction  Direction
	Lines      MediaLines // the offer's m= lines, for the answer
	// SRTP are the keys when the stream is SRTP (srtp.go), CryptoTag the
	// a=crypto tag they were agreed under, Proto the profile the answer
	// names (as offered).
	SRTP      media.SRTPKeys
	CryptoTag int
	Proto     string
	// WebRTC: the offer's ICE and DTLS attributes while negotiating, ours
	// once the session is readied (webrtc.go); zero for other calls.
	WebRTC WebRTCSDP
}

// Negotiate picks, in the order of our preference list, the first codec the
// offer has, and the offer's telephone-event payload type at 8 kHz. The
// answer's direction mirrors the offer's (RFC 3264 section 6.1).
func Negotiate(offer *SessionDescription, prefs []audio.Codec) (MediaChoice, error) {
	var mc MediaChoice
	if offer.Port == 0 {
		return mc, fmt.Errorf("%w: audio stream disabled (port 0)", ErrNoCommonCodec)
	}
	if a := offer.Addr; a.Is6() && !a.Is4In6() {
		return mc, ErrAddressFamily
	}
	found := false
	for _, c := range prefs {
		for _, f := range offer.Formats {
			if codecMatches(f, c) {
				mc.Codec, mc.PT, found = c, f.PT, true
				break
			}
		}
		if found {
			break
		}
	}
	if !found {
		names := make([]string, len(prefs))
		for i, c := range prefs {
			names[i] = c.String()
		}
		return mc, fmt.Errorf("%w (want %s)", ErrNoCommonCodec, strings.Join(names, " or "))
	}
	mc.EventPT, mc.EventClock = eventFormat(offer.Formats, mc.Codec.ClockRate())

	mc.Remote = netip.AddrPortFrom(offer.Addr, uint16(offer.Port))
	mc.RTCP = offer.RTCP
	mc.Direction = offer.Direction.reverse()
	mc.Lines = offer.Lines
	if isDTLSProto(offer.Proto) {
		mc.WebRTC = offer.WebRTC // ours replaces it once the session is readied (webrtc.go)
	}
	return mc, nil
}

// eventFormat picks the offer's telephone-event: at the codec's own
// clock when offered there (RFC 4733 section 2.1: events share the
// audio's clock; a WebRTC or Opus phone offers telephone-event/48000),
// else at 8000, as most phones offer it beside any codec. 0: none.
func eventFormat(formats []rtpMap, codecClock int) (pt uint8, clock int) {
	for _, want := range []int{codecClock, 8000} {
		for _, f := range formats {
			if f.Name == "TELEPHONE-EVENT" && f.Clock == want {
				return f.PT, f.Clock
			}
		}
	}
	return 0, 0
}

// codecMatches says whether an offered format is codec c, by name and
// clock rate (G722/8000, as RFC 3551 has it; a G722/16000 some phones
// write is the same codec, and its static payload type says so; Opus is
// opus/48000/2, RFC 7587, under any dynamic number).
func codecMatches(f rtpMap, c audio.Codec) bool {
	if f.Name == "" { // no rtpmap for a dynamic number: only static ones match
		return false
	}
	if f.Name != strings.ToUpper(c.String()) {
		return false
	}
	return f.Clock == c.ClockRate() || (c == audio.G722 && f.Clock == audio.G722SampleRate)
}

// payloadType is the agreed codec's payload type (PT, or the codec's
// static one for a choice made without it).
func (mc MediaChoice) payloadType() uint8 {
	if mc.Codec.Dynamic() && mc.PT != 0 {
		return mc.PT
	}
	return mc.Codec.PayloadType()
}

// WithChoice sets the formats of an answer (or a re-offer) for what was
// agreed: the codec at its payload type, telephone-event at its payload
// type and clock.
func (d SessionDescription) WithChoice(mc MediaChoice) SessionDescription {
	d = d.WithMedia([]audio.Codec{mc.Codec}, mc.EventPT)
	d.Formats[0].PT = mc.payloadType()
	if mc.EventPT != 0 && mc.EventClock != 0 {
		d.Formats[1].Clock = mc.EventClock
	}
	return d
}

// WithMedia sets the formats ivrd offers or answers: codecs (one in an
// answer, our whole list in an offer) and telephone-event at eventPT (0:
// none), in that order.
func (d SessionDescription) WithMedia(codecs []audio.Codec, eventPT uint8) SessionDescription {
	d.Formats = make([]rtpMap, 0, len(codecs)+1)
	for _, c := range codecs {
		d.Formats = append(d.Formats, rtpMap{PT: c.PayloadType(), Name: strings.ToUpper(c.String()), Clock: c.ClockRate()})
	}
	if eventPT != 0 {
		d.Formats = append(d.Formats, rtpMap{PT: eventPT, Name: "TELEPHONE-EVENT", Clock: 8000})
	}
	return d
}

// Marshal writes the description as an SDP body (RFC 4566): in an answer
// (Lines set), every offered m= line in its place, ours with our formats
// and the others refused with port 0.
func (d SessionDescription) Marshal() []byte {
	ipv := "IP4"
	if d.Addr.Is6() && !d.Addr.Is4In6() {
		ipv = "IP6"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=ivrd %d %d IN %s %s\r\ns=ivrd\r\nc=IN %s %s\r\nt=0 0\r\n",
		d.SessionID, d.Version, ipv, d.Addr, ipv, d.Addr)
	if d.WebRTC.on() {
		b.WriteString("a=ice-lite\r\n")
		if d.WebRTC.Bundle && d.WebRTC.Mid != "" {
			fmt.Fprintf(&b, "a=group:BUNDLE %s\r\n", d.WebRTC.Mid)
		}
	}
	lines := []string{ourAudio}
	if d.Lines != "" {
		lines = strings.Split(string(d.Lines), "\n")
	}
	for _, l := range lines {
		if l == ourAudio {
			d.writeAudio(&b)
		} else {
			fmt.Fprintf(&b, "m=%s\r\n", l)
		}
	}
	return []byte(b.String())
}

// opusFmtp are the Opus parameters ivrd offers and answers with (RFC
// 7587 section 6.1): it plays and captures 16 kHz, mono, and takes
// in-band FEC.
const opusFmtp = "maxplaybackrate=16000;sprop-maxcapturerate=16000;stereo=0;sprop-stereo=0;useinbandfec=1"

// writeAudio writes our audio m= line and its attributes.
func (d SessionDescription) writeAudio(b *strings.Builder) {
	proto := d.Proto
	if proto == "" {
		proto = "RTP/AVP"
	}
	fmt.Fprintf(b, "m=audio %d %s", d.Port, proto)
	for _, f := range d.Formats {
		fmt.Fprintf(b, " %d", f.PT)
	}
	b.WriteString("\r\n")
	for _, f := range d.Formats {
		if f.Name == "TELEPHONE-EVENT" {
			fmt.Fprintf(b, "a=rtpmap:%d telephone-event/%d\r\na=fmtp:%d 0-16\r\n", f.PT, f.Clock, f.PT)
			continue
		}
		if f.Name == "OPUS" {
			// RFC 7587: always opus/48000/2; the fmtp says what ivrd
			// sends and wants (16 kHz mono voice; FEC in what it
			// receives is welcome, its decoder reads it).
			fmt.Fprintf(b, "a=rtpmap:%d opus/48000/2\r\na=fmtp:%d %s\r\n", f.PT, f.PT, opusFmtp)
			continue
		}
		fmt.Fprintf(b, "a=rtpmap:%d %s/%d\r\n", f.PT, f.Name, f.Clock)
	}
	dir := d.Direction
	if dir == "" {
		dir = SendRecv
	}
	for _, c := range d.Crypto {
		fmt.Fprintf(b, "a=crypto:%s\r\n", c)
	}
	if d.WebRTC.on() {
		d.writeWebRTC(b) // webrtc.go
	}
	fmt.Fprintf(b, "a=ptime:20\r\na=%s\r\n", dir)
}
