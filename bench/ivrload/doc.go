// Package ivrload is the engine of cmd/ivrload, a SIP/RTP load generator
// for IVRs: it places many concurrent calls to any SIP target, streams
// caller audio from each call's own RTP port, presses a key and checks the
// IVR's reaction (REFER, BYE or a bridge), and measures the audio it gets
// back with kernel receive timestamps.
//
// It owns: the SIP side of a caller (on emiago/sipgo), the media workers
// (a few goroutines, each owning many calls' sockets: one sendto per
// packet, recvmmsg per ready socket, no goroutine per call's media and no
// allocation per packet), the statistics (loss, inter-arrival error
// histograms, digit-to-action latency, failures by SIP status) and the CPU
// accounting of the target and of itself.
//
// It must not import ivrd's sip, media, call or ivr packages: it is a
// client that has to work against any SIP server, and sharing code with
// the server under test would hide interoperability bugs. It imports no
// ivrd package at all, directly or through a dependency (its in-band key
// tones are its own), which the module's layering test checks.
// Linux only (epoll, recvmmsg, SO_TIMESTAMPNS), IPv4 media.
package ivrload
