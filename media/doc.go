// Package media moves a call's audio: RTP sessions on pion/rtp, a pool of
// even UDP ports, one pacing scheduler that sends every outbound stream's
// 20 ms frames, and a receive loop per session that decodes G.711 (with
// package audio's tables) and hands audio and telephone-events to the
// session's Receiver; the Relay re-encodes a bridged leg's audio in the
// other leg's codec. Each session also keeps RTCP on the odd port above
// its RTP port: sender/receiver reports every few seconds and on close
// (with BYE), and the peer's reports read for loss, jitter and round-trip
// time (Session.Stats).
//
// It knows nothing of SIP, menus or what a digit means: it sends the frames
// it is given (prompts, or silence between them) and reports what arrives.
package media
