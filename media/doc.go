// Package media moves a call's audio: RTP sessions on pion/rtp's header
// code, a pool of even UDP ports handed out at random, and pacers that
// send every outbound stream's 20 ms frames and receive what comes in.
// On Linux a pacer is one loop woken by a 1 ms timerfd that moves its
// sessions' packets through an io_uring (pacer_uring_linux.go, on
// media/uring): the tick's frames queued as sends, a standing multishot
// receive on every RTP and RTCP socket, one io_uring_enter a tick for all
// of it. Where io_uring is refused, the same loop polls the sockets with
// epoll instead (pacer_linux.go): one sendto per sent packet and one
// recvmmsg per ready socket. Either way no goroutine per session, none
// woken per packet; Engine.MediaIO says which.
// Elsewhere a ticker goroutine sends and a goroutine per socket reads
// (pacer_other.go). Each session also keeps RTCP on the odd port above
// its RTP port: sender/receiver reports every few seconds and on close
// (with BYE), and the peer's reports read for loss, jitter and
// round-trip time (Session.Stats).
//
// A session given SRTP keys (Params.SRTP, srtp.go) protects what it sends
// and authenticates what it receives, RTP and RTCP (RFC 3711, on
// pion/srtp), in place in its own buffers: nothing is allocated per
// packet. Packets that fail authentication or are replayed are counted
// and dropped before the latch or anything else sees them. Each session
// has its own keys, so a bridge joins an SRTP leg to a plain one.
//
// A browser's session (webrtc.go, ice.go; Session.EnableWebRTC) is the
// same session: its RTP socket also carries STUN, answered as an ICE-lite
// agent (pion/stun; checks signed with the call's ICE password, from the
// offer's addresses only), and DTLS (pion/dtls, ivrd the server, the
// peer's certificate checked against its SDP fingerprint), told apart by
// their first byte (RFC 7983), with RTCP on the same port (rtcp-mux). The
// handshake's exported keys go into the SRTP path above; until then
// nothing is sent and nothing taken in. The engine makes one DTLS
// certificate, at the first such call.
//
// Media is taken only from the peer (latch.go): a session learns the
// peer's real source (symmetric RTP) only from the SDP address's IP or
// the SIP signalling source's (Params.SignalIP), drops and counts
// everything from other sources (Stats.Foreign, RTCPForeign), and moves
// to a new source only on a sustained stream after the old one fell
// silent. A stranger can neither press a call's keys nor take its audio.
//
// It owns where received media goes: to a DigitSink (SetDigits: the
// call's digit collector), to a listener (Listen: voicemail recording),
// to its Taps (tap.go: both directions decoded at 8 kHz, for a media
// stream or a call recording), or, while two sessions are joined by a Bridge, re-encoded into the
// other leg's stream (its own SSRC, sequence, timestamps and codec) with
// RFC 4733 events re-sent at the other leg's payload type.
//
// Codecs: PCMU, PCMA and G.722 (audio.Codec), each 160 bytes and 160
// RTP timestamp units a 20 ms packet (G.722's RTP clock is 8 kHz), and
// Opus (audio/opus, in a binary built with it): 80-byte packets under the
// payload type agreed in SDP (Params.PT), 960 timestamp units a packet
// (its RTP clock is 48 kHz). A G.722 session decodes what it receives
// through the lower sub-band alone, to 8 kHz, for the digit sink, a
// listener or a G.711 leg (no QMF, no resampler: the codec's own
// half-band split); an Opus session decodes to 16 kHz and brings that to
// 8 kHz with a half-band filter (audio.Decimator). Both hand on 16 kHz
// only across a bridge to a leg that sends G.722 or Opus, which keeps
// wideband end to end; relayed 8 kHz audio for an Opus leg is brought up
// to 16 kHz (audio.Interpolator) before it is coded. Decoders and the
// relay's encoders are made once per session; a payload Opus cannot
// decode is counted (Stats.Malformed) and dropped.
// G.711 packets take the path they always did. The tail of
// the key press that chose a bridge is kept from the far end. These run
// on the receiving loop and must not block.
//
// Conference rooms are mixed here too (mixer.go): a Mixer runs on one
// pacer's tick every 20 ms, takes each participant's decoded frame (its
// session's Listen), and pushes to each the sum of the others' (N-1),
// clipped, with per-participant gain and a silence gate, into the Relay
// its session sends from, in its own codec. A tick allocates nothing,
// and a pacer with no rooms does nothing more than before.
//
// It must not import sip, ivr, call, dtmf or prompts: it knows nothing of
// SIP, menus, what a digit means or which sound is which. It sends the
// frames it is given (a Clip: a prompt, ringback; relayed audio; or
// silence) and hands on what arrives. Logs go to the logger in
// EngineConfig.
package media
