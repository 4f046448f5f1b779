// Package media moves a call's audio: RTP sessions on pion/rtp, a pool of
// even UDP ports, one pacing scheduler that sends every outbound stream's
// 20 ms frames, and a receive loop per session that decodes G.711 (with
// package audio's tables). Each session also keeps RTCP on the odd port
// above its RTP port: sender/receiver reports every few seconds and on
// close (with BYE), and the peer's reports read for loss, jitter and
// round-trip time (Session.Stats).
//
// It owns where received media goes: to a DigitSink (SetDigits: the
// call's digit collector), to a listener (Listen: voicemail recording),
// or, while two sessions are joined by a Bridge, re-encoded into the
// other leg's stream (its own SSRC, sequence, timestamps and codec) with
// RFC 4733 events re-sent at the other leg's payload type. The tail of
// the key press that chose a bridge is kept from the far end.
//
// It must not import sip, ivr, call or dtmf: it knows nothing of SIP,
// menus or what a digit means. It sends the frames it is given (prompts,
// relayed audio, or silence) and hands on what arrives. Logs go to the
// logger in EngineConfig.
package media
