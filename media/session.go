package media

import (
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/ivrd/ivrd/audio"
)

// Params are a session's negotiated media.
type Params struct {
	Remote netip.AddrPort
	RTCP   netip.AddrPort // the peer's RTCP address when not Remote's port + 1 (SDP a=rtcp)
	Codec  audio.Codec
	// PT is the payload type agreed for a dynamic codec (Opus: the
	// offer's number); 0, and for static codecs: the codec's own.
	PT      uint8
	EventPT uint8 // 0: none
	// EventClock is telephone-event's RTP clock (0: 8000; 48000 beside
	// Opus when the peer offered it there): a key relayed across a
	// bridge keeps its length in the other leg's units.
	EventClock int
	Send       bool // false while the peer holds the call: no audio sent
	// SignalIP is where the call's SIP signalling comes from. Media is
	// accepted (latched) only from Remote's IP or this one: a caller
	// behind NAT sends from its public address, which its SDP does not
	// know but its SIP source shows. Invalid: Remote's IP only (in
	// Update: the one Start was given).
	SignalIP netip.Addr
	// SRTP, when on, protects what is sent and authenticates what is
	// received (RFC 3711): packets failing that are dropped and counted.
	SRTP SRTPKeys
}

// Stats count a session's traffic and what RTCP says of its quality.
type Stats struct {
	Sent, Received, Malformed, UnknownPT uint64
	// Foreign counts RTP packets dropped because they came from a source
	// that is not the peer (another IP, or another port once latched):
	// injected key presses and hijack attempts.
	Foreign uint64
	// SRTPAuthFailed counts SRTP packets dropped because they did not
	// authenticate (another key, or forged); SRTPRejected those dropped
	// for another reason (a replay, too short to hold a tag);
	// SRTCPFailed the SRTCP packets dropped either way.
	SRTPAuthFailed, SRTPRejected, SRTCPFailed uint64

	Lost       int64         // peer's packets we did not get (RTCP reception report)
	Jitter     time.Duration // interarrival jitter of the peer's packets
	PeerLost   int64         // our packets the peer reports lost (its RTCP; negative with duplicates)
	PeerJitter time.Duration // jitter the peer reports on our packets
	RTT        time.Duration // round trip, from the peer's report on our SR; 0 if unknown

	RTCPSent, RTCPReceived, RTCPMalformed uint64
	RTCPForeign                           uint64 // RTCP from an address other than the peer's, dropped
}

const headerLen = 12

// packetSize is the longest RTP packet a session sends: a 20 ms frame
// after the header, and SRTP's tag.
const packetSize = headerLen + frameSamples + srtpOverhead

// Session is one call's RTP stream, sent and received by its pacer (on
// Linux one loop does both; see pacer_linux.go).
type Session struct {
	engine *Engine
	pacer  *pacer
	sock   *udpSock // RTP
	rx     rxState  // the receive side's state, per system
	port   int
	local  netip.AddrPort
	in     input

	// What every frame sent or received touches comes first and
	// together: a pacer goes through a thousand sessions a tick, and each
	// cache line of a session it reads is a miss (perf showed sendFrame
	// waiting on its lock's line and on counters 3 KB further on).
	mu       sync.Mutex
	started  bool
	closed   bool
	newSpurt bool
	sentRTP  bool       // since the last RTCP report: SR rather than RR (guarded by mu)
	octets   uint32     // payload octets sent, for the SR (guarded by mu)
	srtp     *srtpState // nil: plain RTP
	srtpErr  error      // keys that would not load: nothing is sent or taken in clear
	// webrtc, set before Start and never changed after, makes this a
	// browser's session: ICE-lite, DTLS-SRTP, RTCP on the RTP port
	// (webrtc.go).
	webrtc *webrtcState

	sent, received, malformed, unknownPT, foreign atomic.Uint64

	epoch   time.Time // arrival times are counted from here
	params  Params
	latch   latch
	hdr     rtp.Header
	recv    recvStats // guarded by mu
	playing []byte    // remaining payload of the current prompt
	onDone  func()
	relay   *Relay           // when set, audio comes from the other leg of a bridge
	feed    Feed             // a media stream's answer, played when nothing else is (tap.go)
	pkt     [packetSize]byte // room for SRTP's tag, added in place
	tap     taps             // who sees the audio sent (tap.go)
	// enc encodes relayed and fed audio for a G.722 or Opus leg (made when
	// the session first speaks one; prompts come encoded already).
	enc   txCoders
	evTS  uint32 // timestamp of the telephone-event being sent
	evPkt [headerLen + 64 + srtpOverhead]byte

	// RTCP, guarded by mu
	rtcpSock   *udpSock
	rtcpTimer  *time.Timer
	rtcpRemote netip.AddrPort // latched to the peer's RTCP source
	rtcpBuf    [256 + srtcpOverhead]byte
	cname      string
	lastSRNTP  uint32 // the peer's last SR (middle NTP bits) and when it came
	lastSRAt   time.Time
	peer       reportBlock // the peer's last report on our stream
	rtt        time.Duration

	// dec decodes the peer's G.722 or Opus; touched only by the
	// receiving side.
	dec rxCoders
	// wide: this session sends a wideband codec (G.722, Opus), so a
	// wideband leg bridged to it may relay 16 kHz audio.
	wide atomic.Bool

	srtpAuthFailed, srtpRejected, srtcpFailed          atomic.Uint64
	rtcpSent, rtcpReceived, rtcpMalformed, rtcpForeign atomic.Uint64
	closeOnce                                          sync.Once
}

// NewSession binds a free even port drawn at random. What it receives goes
// nowhere until SetDigits, Listen or a Bridge routes it.
func (e *Engine) NewSession() (*Session, error) {
	sock, rtcpSock, port, err := e.bindPort()
	if err != nil {
		return nil, err
	}
	s := &Session{engine: e, sock: sock, rtcpSock: rtcpSock, port: port, epoch: time.Now(), local: sock.localAddr()}
	s.rx.init()
	s.cname = "ivrd@" + s.local.String()
	s.hdr = rtp.Header{Version: 2, SSRC: rand.Uint32(), SequenceNumber: uint16(rand.Uint32()), Timestamp: rand.Uint32(), Marker: true}
	return s, nil
}

// LocalAddr is the bound RTP address.
func (s *Session) LocalAddr() netip.AddrPort { return s.local }

// Start begins sending (silence until Play) and receiving.
func (s *Session) Start(p Params) {
	s.mu.Lock()
	if s.started || s.closed {
		s.mu.Unlock()
		return
	}
	s.started = true
	if s.webrtc != nil {
		// Nowhere to send before a connectivity check picks the address
		// (ice.go): the SDP's is a placeholder.
		p.Remote = netip.AddrPort{}
	}
	s.params = p
	s.setKeys(p.SRTP)
	s.latch.reset(p)
	s.hdr.PayloadType = p.payloadType()
	s.useCodec(p.Codec)
	if iv := s.engine.cfg.RTCPInterval; iv > 0 {
		s.rtcpTimer = time.AfterFunc(rtcpDelay(iv), s.rtcpTick)
	}
	// Under the lock, so a Close racing with Start (a BYE right after the
	// answer) sees the pacer it must leave. The pacer never takes a
	// session's lock while holding its own.
	s.pacer = s.engine.leastLoaded()
	s.pacer.add(s)
	s.mu.Unlock()
	// Outside the lock: the receive side takes session locks while it
	// holds its own (see pacer.watch).
	s.pacer.watch(s)
}

// Update applies re-negotiated media; sequence, timestamp and SSRC carry on.
func (s *Session) Update(p Params) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.Send && !s.params.Send {
		s.newSpurt = true
	}
	if !p.SignalIP.IsValid() {
		p.SignalIP = s.params.SignalIP // a dialog's signalling source stays
	}
	if s.webrtc != nil {
		p.Remote = s.params.Remote // ICE chose it, not the SDP
	} else if unmap(p.Remote) != s.latch.sdp || p.SignalIP != s.params.SignalIP {
		s.latch.reset(p) // the media moved: learn the source again
	} else if s.latch.latched {
		p.Remote = s.params.Remote // keep sending where the peer really is
	}
	s.params = p
	s.setKeys(p.SRTP)
	s.hdr.PayloadType = p.payloadType()
	s.useCodec(p.Codec)
}

// useCodec readies what sending c needs (under mu): the relay's G.722
// or Opus encoder, once per session, never per packet.
func (s *Session) useCodec(c audio.Codec) {
	s.enc.use(c, func(err error) {
		s.engine.log.Error("media: no encoder for relayed audio", "codec", c.String(), "local", s.local.String(), "err", err)
	})
	s.wide.Store(c.Wideband())
}

// setKeys moves the session to keys (see srtpState.rekey). Keys that do
// not load leave the session mute and deaf rather than in clear. Called
// with mu held.
func (s *Session) setKeys(k SRTPKeys) {
	if s.webrtc != nil {
		return // the DTLS handshake gives the keys (webrtc.go)
	}
	st, err := s.srtp.rekey(k)
	if err != nil {
		s.srtp, s.srtpErr = nil, err
		s.engine.log.Error("media: SRTP keys not usable: session muted", "local", s.local.String(), "suite", k.Profile.String(), "err", err)
		return
	}
	s.srtp, s.srtpErr = st, nil
}

// Play replaces the current playback with p. onDone runs once, in its own
// goroutine, when the last frame has been sent; never when stopped.
func (s *Session) Play(p Clip, onDone func()) {
	// The payload is found outside the lock: a prompt made at call time
	// is encoded for G.722 or Opus on first use, which must not hold up the
	// pacer.
	s.mu.Lock()
	c := s.params.Codec
	s.mu.Unlock()
	payload := p.Payload(c)
	s.mu.Lock()
	if s.params.Codec != c { // re-negotiated meanwhile
		payload = p.Payload(s.params.Codec)
	}
	s.playing = payload
	s.onDone = onDone
	s.newSpurt = true
	s.mu.Unlock()
}

// RelayFrom makes the session send what r carries (nil: back to prompts
// and silence). A prompt being played still takes precedence.
func (s *Session) RelayFrom(r *Relay) {
	s.mu.Lock()
	s.relay = r
	s.mu.Unlock()
}

// SendEvent sends one RFC 4733 telephone-event packet at once, in this
// session's stream (its SSRC and sequence) with its event payload type.
// start marks the first packet of an event: it gets the marker bit and
// fixes the event's timestamp for the packets that follow.
func (s *Session) SendEvent(payload []byte, start bool) { s.sendEvent(payload, start, 0) }

// sendEvent is SendEvent for an event counted at fromClock (0: this
// session's own clock): its duration is brought to this session's.
func (s *Session) sendEvent(payload []byte, start bool, fromClock int) {
	s.mu.Lock()
	if s.closed || s.params.EventPT == 0 || !s.params.Send || !s.params.Remote.IsValid() || len(payload) > 64 {
		s.mu.Unlock()
		return
	}
	if start {
		s.evTS = s.hdr.Timestamp
	}
	h := s.hdr
	h.PayloadType, h.Timestamp, h.Marker = s.params.EventPT, s.evTS, start
	_, _ = h.MarshalTo(s.evPkt[:headerLen]) // a 12-byte header always fits the buffer
	n := headerLen + copy(s.evPkt[headerLen:headerLen+64], payload)
	if to := s.params.eventClock(); fromClock != 0 && fromClock != to && n >= headerLen+4 {
		d := uint64(s.evPkt[headerLen+2])<<8 | uint64(s.evPkt[headerLen+3])
		d = min(d*uint64(to)/uint64(fromClock), 0xFFFF)
		s.evPkt[headerLen+2], s.evPkt[headerLen+3] = byte(d>>8), byte(d)
	}
	s.hdr.SequenceNumber++
	s.sentRTP, s.octets = true, s.octets+uint32(n-headerLen)
	remote := s.params.Remote
	out, err := s.protect(s.evPkt[:], n)
	if err == nil {
		err = s.sock.writeTo(out, remote)
	}
	s.mu.Unlock()
	if err == nil {
		s.sent.Add(1)
	}
}

// StopPlayback cuts the current prompt; silence follows.
func (s *Session) StopPlayback() {
	s.mu.Lock()
	s.playing, s.onDone = nil, nil
	s.mu.Unlock()
}

// Playing reports whether a prompt is being sent.
func (s *Session) Playing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.playing) > 0
}

// sendFrame builds and sends the next 20 ms packet: queued on tx, the
// pacer's io_uring, when that is not nil (only the pacer's own loop
// may), else with a sendto. Called by the pacer; it allocates nothing.
func (s *Session) sendFrame(tx *txRing) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	var done func()
	size := s.params.Codec.FrameBytes()
	payload := s.pkt[headerLen : headerLen+size]
	if len(s.playing) > 0 {
		n := copy(payload, s.playing)
		s.playing = s.playing[n:]
		if n < len(payload) {
			fillSilence(payload[n:], s.params.Codec)
		}
		if len(s.playing) == 0 {
			done, s.onDone = s.onDone, nil
		}
	} else if !s.otherFrame(payload) {
		fillSilence(payload, s.params.Codec)
	}
	tapped := s.sentFrame(payload)
	if s.newSpurt {
		s.hdr.Marker, s.newSpurt = true, false
	}
	send := s.params.Send && s.params.Remote.IsValid()
	if send {
		_, _ = s.hdr.MarshalTo(s.pkt[:headerLen]) // a 12-byte header always fits the buffer
		s.hdr.SequenceNumber++
		s.hdr.Marker = false
		s.sentRTP, s.octets = true, s.octets+uint32(size)
		// Under the lock: Close closes the socket only after closed is
		// set, so this never writes to a closed (or reused) descriptor.
		if out, err := s.protect(s.pkt[:], headerLen+size); err == nil && s.write(tx, out) {
			s.sent.Add(1)
		}
	}
	// The clock runs on while held, so the stream resumes continuous.
	s.hdr.Timestamp += s.params.Codec.FrameTicks()
	s.mu.Unlock()
	for _, t := range tapped { // only this loop writes s.tap.out
		t.Outbound(s.tap.out[:])
	}
	if done != nil {
		go done()
	}
}

// write sends one packet to the peer, queued on tx or a sendto now, and
// says whether it went (a full socket or ring drops it).
func (s *Session) write(tx *txRing, b []byte) bool {
	if tx != nil {
		return tx.send(s.sock, b, s.params.Remote)
	}
	return s.sock.writeTo(b, s.params.Remote) == nil
}

// protect returns the packet buf[:n] to send: as it is on a plain RTP
// session, encrypted in place on an SRTP one. Called with mu held; it
// allocates nothing.
func (s *Session) protect(buf []byte, n int) ([]byte, error) {
	if s.srtp == nil {
		if s.srtpErr != nil {
			return nil, s.srtpErr
		}
		return buf[:n], nil
	}
	return s.srtp.protectRTP(buf, n)
}

// handleRTP takes one datagram: the receive hot path, which allocates
// nothing (h and pcm are the loop's, reused). Only the peer's packets get
// past the latch (see latch); the rest are counted and dropped before
// anything reads their payload.
func (s *Session) handleRTP(pkt []byte, from netip.AddrPort, h *rtp.Header, pcm []int16) error {
	if w := s.webrtc; w != nil && len(pkt) > 0 {
		if handled, err := w.demux(s, pkt, from); handled {
			return err
		}
	}
	if demuxKind(pkt) == muxSTUN {
		// A phone's keep-alive on its media port (linphone sends STUN
		// binding requests there even without ICE): not RTP, and no
		// failure of SRTP or of the stream (RFC 7983's demultiplexing).
		return nil
	}
	pkt, ok := s.unprotect(pkt, h)
	if !ok {
		return nil
	}
	payload, err := splitRTP(h, pkt)
	if err != nil {
		return err
	}
	since := time.Since(s.epoch)
	s.mu.Lock()
	if !s.latch.accept(&s.params, from, h.SequenceNumber, int64(since*audio.SampleRate/time.Second)) {
		s.mu.Unlock()
		s.foreign.Add(1)
		return nil
	}
	s.received.Add(1)
	eventPT, codec, codecPT := s.params.EventPT, s.params.Codec, s.params.payloadType()
	// Jitter is counted in the stream's own RTP clock (48 kHz for Opus).
	arrival := int64(since * time.Duration(codec.ClockRate()) / time.Second)
	s.recv.packet(h.SSRC, h.SequenceNumber, h.Timestamp, arrival, eventPT == 0 || h.PayloadType != eventPT)
	s.mu.Unlock()
	switch {
	case eventPT != 0 && h.PayloadType == eventPT:
		s.in.event(h, payload)
	case codec.Dynamic() && h.PayloadType == codecPT:
		s.receiveOpus(payload, pcm)
	case h.PayloadType == audio.PCMU.PayloadType() || h.PayloadType == audio.PCMA.PayloadType():
		s.in.g711(payload, audio.Codec(h.PayloadType), pcm)
	case h.PayloadType == audio.G722.PayloadType():
		if s.dec.g722 == nil {
			s.dec.g722 = new(audio.G722Decoder) // once per session
		}
		s.in.g722(s.dec.g722, payload, pcm)
	default:
		s.unknownPT.Add(1)
	}
	return nil
}

// unprotect authenticates and decrypts an SRTP packet in place (on a
// plain session it returns pkt as it is). A packet that fails is counted
// and dropped (ok false) before anything reads it or the latch learns its
// source: without the key nobody can move the call's media.
func (s *Session) unprotect(pkt []byte, h *rtp.Header) (_ []byte, ok bool) {
	s.mu.Lock()
	st, stErr := s.srtp, s.srtpErr
	if st == nil {
		s.mu.Unlock()
		if stErr != nil {
			s.srtpRejected.Add(1)
			return nil, false
		}
		return pkt, true
	}
	plain, err := st.unprotectRTP(pkt, h)
	s.mu.Unlock()
	switch {
	case err == nil:
		return plain, true
	case srtpFailure(err):
		s.srtpAuthFailed.Add(1)
	default:
		s.srtpRejected.Add(1)
	}
	return nil, false
}

// splitRTP parses an RTP packet's header into h and returns its payload
// without padding, or an error naming what is wrong. It allocates nothing
// and the payload aliases pkt.
func splitRTP(h *rtp.Header, pkt []byte) ([]byte, error) {
	if len(pkt) < 12 {
		return nil, errShortRTP
	}
	if v := pkt[0] >> 6; v != 2 {
		return nil, errRTPVersion
	}
	hl, err := h.Unmarshal(pkt)
	if err != nil {
		return nil, err
	}
	payload := pkt[hl:]
	if h.Padding {
		if len(payload) == 0 {
			return nil, errRTPPadding
		}
		pad := int(payload[len(payload)-1])
		if pad == 0 || pad > len(payload) {
			return nil, errRTPPadding
		}
		payload = payload[:len(payload)-pad]
	}
	return payload, nil
}

// Stats returns the session's counters.
func (s *Session) Stats() Stats {
	st := Stats{Sent: s.sent.Load(), Received: s.received.Load(), Malformed: s.malformed.Load(), UnknownPT: s.unknownPT.Load(),
		Foreign:  s.foreign.Load(),
		RTCPSent: s.rtcpSent.Load(), RTCPReceived: s.rtcpReceived.Load(), RTCPMalformed: s.rtcpMalformed.Load(),
		RTCPForeign:    s.rtcpForeign.Load(),
		SRTPAuthFailed: s.srtpAuthFailed.Load(), SRTPRejected: s.srtpRejected.Load(), SRTCPFailed: s.srtcpFailed.Load()}
	s.mu.Lock()
	defer s.mu.Unlock()
	st.Lost = max(0, int64(s.recv.lost())) // duplicates make RFC 3550's count negative
	clock := s.params.Codec.ClockRate()
	st.Jitter = tsDuration(s.recv.jitter, clock)
	st.PeerLost = int64(s.peer.Lost)
	st.PeerJitter = tsDuration(float64(s.peer.Jitter), clock)
	st.RTT = s.rtt
	return st
}

// tsDuration converts RTP timestamp units (at clock Hz) to a duration.
func tsDuration(units float64, clock int) time.Duration {
	return time.Duration(units * float64(time.Second) / float64(clock))
}

// Remote is where audio goes now (after latching, the peer's real source).
func (s *Session) Remote() netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.params.Remote
}

// Close stops sending and receiving and frees the port. Idempotent.
func (s *Session) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		started := s.started
		if s.rtcpTimer != nil {
			s.rtcpTimer.Stop()
		}
		s.mu.Unlock()
		if started {
			s.sendRTCP(true) // a last report, and BYE
		}
		s.mu.Lock()
		s.closed = true
		s.playing, s.onDone = nil, nil
		pacer := s.pacer
		s.mu.Unlock()
		if pacer != nil {
			pacer.remove(s) // after this, nothing reads the sockets
		}
		// Every writer checks closed under the lock first, so nothing
		// writes to them either. A close error leaves nothing to do but
		// free the port.
		if s.webrtc != nil {
			s.webrtc.close() // the handshake or the DTLS connection ends
		}
		_ = s.sock.close()
		_ = s.rtcpSock.close()
		s.rx.wait(started)
		s.engine.freePort(s.port)
	})
}
