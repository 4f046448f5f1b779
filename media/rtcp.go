package media

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/pion/rtcp"
)

// RTCP (RFC 3550 section 6): each session sends a sender report (or a
// receiver report while it sends nothing) with one report block about the
// peer's stream and its CNAME, every few seconds on the port above its RTP
// port; it reads the peer's reports for the loss and jitter the peer sees
// and the round-trip time. Only what that needs is parsed.

// RTCP packet types.
const (
	rtcpSR   = 200
	rtcpRR   = 201
	rtcpSDES = 202
	rtcpBYE  = 203
)

// reportBlock is one reception report (RFC 3550 6.4.1).
type reportBlock struct {
	SSRC         uint32
	FractionLost uint8  // of the packets expected since the last report, in 1/256
	Lost         int32  // cumulative, 24-bit signed
	HighestSeq   uint32 // extended
	Jitter       uint32 // in RTP timestamp units
	LSR, DLSR    uint32 // last SR (middle of its NTP time), delay since it, 1/65536 s
}

// rtcpReport is what one compound packet from the peer tells us.
type rtcpReport struct {
	SSRC    uint32
	HasSR   bool
	NTPMid  uint32 // middle 32 bits of the SR's NTP timestamp
	Blocks  [4]reportBlock
	NBlocks int
	Bye     bool
	packets int
	srtcp   rtcp.Header // scratch for SRTCP's parse
}

// ntpTime converts t to the 64-bit NTP format (seconds since 1900 and a
// binary fraction).
func ntpTime(t time.Time) uint64 {
	const unixToNTP = 2208988800
	secs := uint64(t.Unix() + unixToNTP)
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return secs<<32 | frac
}

// appendSenderReport appends an SR (or an RR when sent is false) with the
// block when one is given.
func appendSenderReport(b []byte, ssrc uint32, sent bool, ntp uint64, rtpTS, packets, octets uint32, block *reportBlock) []byte {
	count := 0
	if block != nil {
		count = 1
	}
	words := 1 + 6*count // after the header word: SSRC, then the blocks
	pt := byte(rtcpRR)
	if sent {
		words += 5
		pt = rtcpSR
	}
	b = append(b, 0x80|byte(count), pt)
	b = binary.BigEndian.AppendUint16(b, uint16(words))
	b = binary.BigEndian.AppendUint32(b, ssrc)
	if sent {
		b = binary.BigEndian.AppendUint64(b, ntp)
		b = binary.BigEndian.AppendUint32(b, rtpTS)
		b = binary.BigEndian.AppendUint32(b, packets)
		b = binary.BigEndian.AppendUint32(b, octets)
	}
	if block != nil {
		b = binary.BigEndian.AppendUint32(b, block.SSRC)
		lost := uint32(block.Lost) & 0xFFFFFF
		b = binary.BigEndian.AppendUint32(b, uint32(block.FractionLost)<<24|lost)
		b = binary.BigEndian.AppendUint32(b, block.HighestSeq)
		b = binary.BigEndian.AppendUint32(b, block.Jitter)
		b = binary.BigEndian.AppendUint32(b, block.LSR)
		b = binary.BigEndian.AppendUint32(b, block.DLSR)
	}
	return b
}

// appendSDES appends an SDES packet with one chunk: ssrc's CNAME.
func appendSDES(b []byte, ssrc uint32, cname string) []byte {
	if len(cname) > 255 {
		cname = cname[:255]
	}
	// SSRC, CNAME item (type, length, text), end of items, padded to 32 bits
	n := 4 + 2 + len(cname) + 1
	pad := (4 - n%4) % 4
	b = append(b, 0x81, rtcpSDES)
	b = binary.BigEndian.AppendUint16(b, uint16((n+pad)/4))
	b = binary.BigEndian.AppendUint32(b, ssrc)
	b = append(b, 1, byte(len(cname)))
	b = append(b, cname...)
	for i := 0; i < 1+pad; i++ {
		b = append(b, 0)
	}
	return b
}

// appendBye appends a BYE for ssrc.
func appendBye(b []byte, ssrc uint32) []byte {
	b = append(b, 0x81, rtcpBYE, 0, 1)
	return binary.BigEndian.AppendUint32(b, ssrc)
}

// parseRTCP reads a compound RTCP packet, or a reduced-size one that does
// not start with SR or RR (RFC 5506; baresip sends them). It allocates
// nothing; errors say what is wrong and where.
func parseRTCP(b []byte, r *rtcpReport) error {
	*r = rtcpReport{}
	for off := 0; off < len(b); {
		if len(b)-off < 4 {
			return errRTCPShort
		}
		h := b[off:]
		if h[0]>>6 != 2 {
			return errRTCPVersion
		}
		count := int(h[0] & 0x1F)
		pt := h[1]
		size := 4 * (int(binary.BigEndian.Uint16(h[2:4])) + 1)
		if size > len(h) {
			return fmt.Errorf("RTCP packet type %d says %d bytes, %d left", pt, size, len(h))
		}
		body := h[4:size]
		if h[0]&0x20 != 0 { // padding: the last byte counts it
			if len(body) == 0 || body[len(body)-1] == 0 || int(body[len(body)-1]) > len(body) {
				return fmt.Errorf("RTCP packet type %d: bad padding", pt)
			}
			body = body[:len(body)-int(body[len(body)-1])]
		}
		r.packets++
		switch pt {
		case rtcpSR, rtcpRR:
			fixed := 4
			if pt == rtcpSR {
				fixed = 24
			}
			if len(body) < fixed+24*count {
				return fmt.Errorf("RTCP %s with %d report blocks in %d bytes", map[byte]string{rtcpSR: "SR", rtcpRR: "RR"}[pt], count, len(body))
			}
			r.SSRC = binary.BigEndian.Uint32(body)
			if pt == rtcpSR {
				r.HasSR = true
				r.NTPMid = uint32(binary.BigEndian.Uint64(body[4:]) >> 16)
			}
			for i := 0; i < count && r.NBlocks < len(r.Blocks); i++ {
				p := body[fixed+24*i:]
				lost := int32(binary.BigEndian.Uint32(p[4:])<<8) >> 8 // sign-extend 24 bits
				r.Blocks[r.NBlocks] = reportBlock{
					SSRC:         binary.BigEndian.Uint32(p),
					FractionLost: p[4],
					Lost:         lost,
					HighestSeq:   binary.BigEndian.Uint32(p[8:]),
					Jitter:       binary.BigEndian.Uint32(p[12:]),
					LSR:          binary.BigEndian.Uint32(p[16:]),
					DLSR:         binary.BigEndian.Uint32(p[20:]),
				}
				r.NBlocks++
			}
		case rtcpBYE:
			r.Bye = true
		}
		off += size
	}
	if r.packets == 0 {
		return errRTCPShort
	}
	return nil
}

// recvStats follows the peer's RTP stream for our reception reports
// (RFC 3550 A.1 and A.8). Not safe for concurrent use: the session's lock
// guards it.
type recvStats struct {
	ssrc      uint32
	started   bool
	baseSeq   uint32
	maxSeq    uint16
	cycles    uint32
	received  uint32
	lastTrans int64
	timed     bool    // lastTrans is set
	jitter    float64 // in timestamp units, RFC 3550's 1/16 smoothing

	// at the last report, for the fraction lost since
	expectedPrior, receivedPrior uint32
}

// packet notes one packet: its sequence number, RTP timestamp and arrival
// time in timestamp units (8 kHz). timed is false for packets whose
// timestamp is not their sampling instant (an RFC 4733 event keeps its
// start's): they count for loss, not for jitter.
func (r *recvStats) packet(ssrc uint32, seq uint16, ts uint32, arrival int64, timed bool) {
	if !r.started || ssrc != r.ssrc {
		*r = recvStats{ssrc: ssrc, started: true, baseSeq: uint32(seq), maxSeq: seq}
	} else if d := seq - r.maxSeq; d < 0x8000 && d != 0 {
		if seq < r.maxSeq {
			r.cycles += 1 << 16
		}
		r.maxSeq = seq
	}
	r.received++
	if !timed {
		return
	}
	transit := arrival - int64(ts)
	if r.timed {
		d := transit - r.lastTrans
		if d < 0 {
			d = -d
		}
		r.jitter += (float64(d) - r.jitter) / 16
	}
	r.lastTrans, r.timed = transit, true
}

func (r *recvStats) extendedMax() uint32 { return r.cycles + uint32(r.maxSeq) }

// lost is the cumulative number of packets lost (negative with duplicates).
func (r *recvStats) lost() int32 {
	if !r.started {
		return 0
	}
	expected := r.extendedMax() - r.baseSeq + 1
	return int32(expected - r.received)
}

// block makes a report block and starts the next reporting interval.
func (r *recvStats) block(lsr, dlsr uint32) reportBlock {
	expected := r.extendedMax() - r.baseSeq + 1
	expInterval := expected - r.expectedPrior
	recvInterval := r.received - r.receivedPrior
	r.expectedPrior, r.receivedPrior = expected, r.received
	var fraction uint8
	if lostInterval := int64(expInterval) - int64(recvInterval); expInterval > 0 && lostInterval > 0 {
		fraction = uint8(lostInterval << 8 / int64(expInterval))
	}
	lost := r.lost()
	lost = max(min(lost, 0x7FFFFF), -0x800000)
	return reportBlock{SSRC: r.ssrc, FractionLost: fraction, Lost: lost, HighestSeq: r.extendedMax(),
		Jitter: uint32(r.jitter), LSR: lsr, DLSR: dlsr}
}

// rtcpDelay randomises an interval to 0.5-1.5 times itself (RFC 3550
// 6.3.1), so sessions started together do not report together.
func rtcpDelay(iv time.Duration) time.Duration {
	return iv/2 + time.Duration(rand.Int64N(int64(iv)))
}

// rtcpTick sends a report and schedules the next.
func (s *Session) rtcpTick() {
	s.sendRTCP(false)
	s.mu.Lock()
	if !s.closed && s.rtcpTimer != nil {
		s.rtcpTimer.Reset(rtcpDelay(s.engine.cfg.RTCPInterval))
	}
	s.mu.Unlock()
}

// sendRTCP sends SR (or RR) + SDES, and BYE when the session ends. It goes
// to where the peer's RTCP comes from, else where its SDP said (a=rtcp),
// else to its RTP port + 1.
func (s *Session) sendRTCP(bye bool) {
	now := time.Now()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	remote, sock := s.rtcpRemote, s.rtcpSock
	if s.webrtc != nil {
		// RTCP goes on the RTP port (rtcp-mux), to where ICE chose.
		remote, sock = s.params.Remote, s.sock
	}
	if !remote.IsValid() {
		remote = s.params.RTCP
	}
	if !remote.IsValid() && s.params.Remote.IsValid() && s.params.Remote.Port() < 65535 {
		remote = netip.AddrPortFrom(s.params.Remote.Addr(), s.params.Remote.Port()+1)
	}
	if !remote.IsValid() {
		s.mu.Unlock()
		return
	}
	var block *reportBlock
	if s.recv.started {
		var dlsr uint32
		if s.lastSRNTP != 0 {
			dlsr = uint32(now.Sub(s.lastSRAt) * 65536 / time.Second)
		}
		b := s.recv.block(s.lastSRNTP, dlsr)
		block = &b
	}
	ssrc := s.hdr.SSRC
	pkt := appendSenderReport(s.rtcpBuf[:0], ssrc, s.sentRTP, ntpTime(now), s.hdr.Timestamp, uint32(s.sent.Load()), s.octets, block)
	s.sentRTP = false
	pkt = appendSDES(pkt, ssrc, s.cname)
	if bye {
		pkt = appendBye(pkt, ssrc)
	}
	var err error
	switch {
	case s.srtp != nil:
		pkt, err = s.srtp.protectRTCP(pkt)
	case s.srtpErr != nil:
		err = s.srtpErr
	}
	if err == nil {
		err = sock.writeTo(pkt, remote)
	}
	s.mu.Unlock()
	if err == nil {
		s.rtcpSent.Add(1)
	}
}

// handleRTCP takes one datagram on the RTCP port: the peer's reports,
// for loss, jitter and round-trip time. It allocates nothing (rep is the
// receive loop's).
func (s *Session) handleRTCP(pkt []byte, from netip.AddrPort, rep *rtcpReport) error {
	if demuxKind(pkt) == muxSTUN {
		return nil // a keep-alive (demux.go), not a failed SRTCP packet
	}
	s.mu.Lock()
	if st := s.srtp; st != nil || s.srtpErr != nil {
		var err error
		if st == nil {
			err = s.srtpErr
		} else {
			pkt, err = st.unprotectRTCP(pkt, &rep.srtcp)
		}
		if err != nil {
			s.mu.Unlock()
			s.srtcpFailed.Add(1)
			return nil
		}
	}
	s.mu.Unlock()
	if err := parseRTCP(pkt, rep); err != nil {
		return err
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.latch.acceptRTCP(&s.params, from.Addr()) {
		s.rtcpForeign.Add(1)
		return nil
	}
	s.rtcpReceived.Add(1)
	s.rtcpRemote = unmap(from)
	if rep.HasSR {
		s.lastSRNTP, s.lastSRAt = rep.NTPMid, now
	}
	for _, b := range rep.Blocks[:rep.NBlocks] {
		if b.SSRC != s.hdr.SSRC {
			continue
		}
		s.peer = b
		if b.LSR != 0 {
			// RTT = arrival - LSR - DLSR, all in 1/65536 s (RFC 3550 6.4.1)
			if rtt := uint32(ntpTime(now)>>16) - b.LSR - b.DLSR; rtt < 1<<31 {
				s.rtt = time.Duration(rtt) * time.Second / 65536
			}
		}
	}
	return nil
}
