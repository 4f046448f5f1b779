package ivrload

import "encoding/binary"

// rtpHeader holds the fixed-header fields the statistics need.
type rtpHeader struct {
	marker bool
	pt     uint8
	seq    uint16
	ts     uint32
	ssrc   uint32
}

// parseRTP reads an RTP fixed header (RFC 3550 5.1). It checks the
// version and that the CSRC list, extension and padding the header
// announces fit in b; the payload itself is not needed. It allocates
// nothing.
func parseRTP(b []byte) (h rtpHeader, ok bool) {
	if len(b) < 12 || b[0]>>6 != 2 {
		return h, false
	}
	n := 12 + 4*int(b[0]&0x0f)
	if b[0]&0x10 != 0 { // header extension: 4-byte header, then length words
		if len(b) < n+4 {
			return h, false
		}
		n += 4 + 4*int(binary.BigEndian.Uint16(b[n+2:]))
	}
	if len(b) < n {
		return h, false
	}
	if b[0]&0x20 != 0 { // padding: the last byte counts it, itself included
		if p := int(b[len(b)-1]); p == 0 || n+p > len(b) {
			return h, false
		}
	}
	h.marker = b[1]&0x80 != 0
	h.pt = b[1] & 0x7f
	h.seq = binary.BigEndian.Uint16(b[2:])
	h.ts = binary.BigEndian.Uint32(b[4:])
	h.ssrc = binary.BigEndian.Uint32(b[8:])
	return h, true
}

// putRTP writes a 12-byte RTP header into b.
func putRTP(b []byte, marker bool, pt uint8, seq uint16, ts, ssrc uint32) {
	b[0] = 0x80
	b[1] = pt & 0x7f
	if marker {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], seq)
	binary.BigEndian.PutUint32(b[4:], ts)
	binary.BigEndian.PutUint32(b[8:], ssrc)
}

// eventCode is the RFC 4733 event for a key; ok is false for other bytes.
func eventCode(key byte) (byte, bool) {
	switch {
	case key >= '0' && key <= '9':
		return key - '0', true
	case key == '*':
		return 10, true
	case key == '#':
		return 11, true
	case key >= 'A' && key <= 'D':
		return 12 + key - 'A', true
	case key >= 'a' && key <= 'd':
		return 12 + key - 'a', true
	}
	return 0, false
}

// putEvent writes a telephone-event payload (RFC 4733 2.3): event, end
// bit and volume 10 (-10 dBm0), duration in timestamp units.
func putEvent(b []byte, code byte, end bool, duration uint16) {
	b[0] = code
	b[1] = 10
	if end {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], duration)
}

// isRTCP reports whether b reads as RTCP (RFC 5761 4: payload types
// 64-95): a target's reports to our RTP port + 1 may land on another
// call's RTP socket. SRTP leaves them alone; stream counts them.
func isRTCP(b []byte) bool {
	return len(b) >= 2 && b[1]&0x7f >= 64 && b[1]&0x7f <= 95
}
