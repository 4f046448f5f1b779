// Package ivrload is the engine of cmd/ivrload, a SIP/RTP load generator
// for IVRs: it places many concurrent calls to any SIP target, streams
// caller audio from each call's own RTP port, presses a key and checks the
// IVR's reaction (REFER, BYE or a bridge), and measures the audio it gets
// back with kernel receive timestamps.
//
// It owns: the SIP side of a caller (on emiago/sipgo; over UDP, or over
// TLS with the calls spread over several connections, and a lab CA to try
// that with), the media workers
// (a few goroutines, each owning many calls' sockets: one sendto per
// packet, recvmmsg per ready socket, no goroutine per call's media and no
// allocation per packet), the statistics (loss, inter-arrival error
// histograms, digit-to-action latency, failures by SIP status) and the CPU
// accounting of the target and of itself, and the HTTP peer an IVR's
// steps talk to during a run (service.go: a decision service answering
// ask steps after a fixed delay, a webhook receiver), which measures its
// own side.
//
// It must not import ivrd's sip, media, call or ivr packages: it is a
// client that has to work against any SIP server, and sharing code with
// the server under test would hide interoperability bugs. Of ivrd it
// imports package audio and audio/opus alone, for the G.722 and Opus
// coders of --codec g722 and --codec opus (the G.722 one a
// codec checked bit for bit against ITU-T's test sequences and heard by
// baresip in e2e/wideband, so the load does not merely agree with
// itself); its in-band key tones are its own. The module's layering test
// checks this.
// Linux only (epoll, recvmmsg, SO_TIMESTAMPNS), IPv4 media.
package ivrload
