// Command webrtcload is a load generator of browser calls, run as a
// process of its own (on a CPU of its own) so that ivrd's CPU figure is
// ivrd's alone: media/webrtc_bench_test.go's peers share ivrd's process.
//
// Each call is what a browser's SIP stack does: a WebSocket (RFC 7118,
// subprotocol sip) carrying INVITE, ACK and BYE, an offer of
// UDP/TLS/RTP/SAVPF with ICE credentials, a certificate fingerprint and
// rtcp-mux; then an ICE connectivity check (with USE-CANDIDATE, as the
// controlling agent; a consent check every 5 s after it, RFC 7675), a
// DTLS client handshake on the same UDP port, and SRTP both ways with
// the keys it exports. Every call sends 50 packets a second (PCMU, PCMA
// or Opus, whichever the answer chose) and measures what it receives:
// the interval error of consecutive packets (kernel receive timestamps,
// SO_TIMESTAMPNS), loss, SRTP authentication failures. bench/webrtc.sh
// runs it against a pinned ivrd.
//
// It owns only that client. It must not import ivrd's sip, media, call or
// ivr packages: it is a client of any RFC 7118 server, and sharing code
// with the server under test would hide interoperability bugs. Of ivrd
// it imports package audio and audio/opus alone (G.711, and the Opus
// encoder of --codec opus); its SIP, SDP, ICE and SRTP handling is its
// own, on pion's dtls, srtp and stun. Linux only (SO_TIMESTAMPNS).
package main
