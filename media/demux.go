package media

// muxKind is what a datagram on a call's media port is, by its first
// byte (RFC 7983): the one reading WebRTC's demultiplexing and the plain
// sessions' quiet dropping of STUN keep-alives share.
type muxKind uint8

const (
	muxOther muxKind = iota
	muxSTUN          // 0-3 and at least STUN's 20-byte header: ICE checks, NAT keep-alives
	muxDTLS          // 20-63
	muxRTCP          // 128-191 with an RTCP packet type (192-223) next
	muxRTP           // 128-191 otherwise
)

// stunHeader is a STUN message's fixed header: anything shorter is no
// STUN message (a malformed datagram, counted as such).
const stunHeader = 20

func demuxKind(pkt []byte) muxKind {
	if len(pkt) == 0 {
		return muxOther
	}
	switch b := pkt[0]; {
	case b < 4 && len(pkt) >= stunHeader:
		return muxSTUN
	case b >= 20 && b < 64:
		return muxDTLS
	case b >= 128 && b < 192 && len(pkt) > 1 && pkt[1] >= 192 && pkt[1] <= 223:
		return muxRTCP
	case b >= 128 && b < 192:
		return muxRTP
	}
	return muxOther
}
