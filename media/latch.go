package media

import "net/netip"

// latch decides which source is the peer. Symmetric RTP sends to where
// the peer's packets come from rather than where its SDP says (a caller
// behind NAT cannot know its public port), but learning from just any
// packet lets a stranger who guesses the port take the call's audio or
// press its keys (issue 13). So, as Asterisk's strictrtp and rtpengine
// do: learn only from the SDP address's IP or the SIP signalling source's
// IP, drop everything from other sources once learnt, and move to a new
// source at an allowed IP only when it carries a sustained stream while
// the old one has gone quiet (a NAT that re-mapped the caller's port).
// Not safe for concurrent use: the session's lock guards it.
type latch struct {
	sdp     netip.AddrPort // the peer's RTP address as its SDP gave it
	signal  netip.Addr     // the SIP signalling source's IP (may be invalid)
	latched bool
	last    int64 // arrival of the peer's last packet (8 kHz units)
	cand    netip.AddrPort
	candN   int // consecutive in-sequence packets from cand
	candSeq uint16
}

const (
	// relatchPackets in sequence (200 ms of audio) from one new source,
	// all sent after the latched source has been silent relatchQuiet
	// (8 kHz units, 250 ms): a stranger on the caller's IP cannot take
	// over a stream that still flows, nor bank packets for later.
	relatchPackets = 10
	relatchQuiet   = 2000
)

// reset forgets what was learnt: the session starts, or its media moved.
func (l *latch) reset(p Params) {
	*l = latch{sdp: unmap(p.Remote), signal: p.SignalIP.Unmap()}
}

// allowed reports whether media may come from ip at all.
func (l *latch) allowed(ip netip.Addr) bool {
	return (l.sdp.IsValid() && ip == l.sdp.Addr()) || (l.signal.IsValid() && ip == l.signal)
}

// accept reports whether an RTP packet from from is the peer's, updating
// p.Remote (where we send) when it latches or re-latches.
func (l *latch) accept(p *Params, from netip.AddrPort, seq uint16, arrival int64) bool {
	from = unmap(from)
	if l.latched && from == p.Remote {
		l.last, l.candN = arrival, 0
		return true
	}
	if !l.allowed(from.Addr()) {
		return false
	}
	if !l.latched {
		l.latched, l.last = true, arrival
		p.Remote = from
		return true
	}
	if arrival-l.last < relatchQuiet {
		l.candN = 0 // the peer is still live: nothing counts against it
		return false
	}
	if l.candN > 0 && from == l.cand && seq == l.candSeq+1 {
		l.candN++
	} else {
		l.cand, l.candN = from, 1
	}
	l.candSeq = seq
	if l.candN >= relatchPackets {
		p.Remote, l.last, l.candN = from, arrival, 0
		return true
	}
	return false
}

// acceptRTCP reports whether an RTCP packet from ip is the peer's: from
// the IP its RTP is latched to, or, before that, from an allowed IP.
func (l *latch) acceptRTCP(p *Params, ip netip.Addr) bool {
	ip = ip.Unmap()
	if l.latched {
		return ip == p.Remote.Addr()
	}
	return l.allowed(ip)
}

func unmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}
