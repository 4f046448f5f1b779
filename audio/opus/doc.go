// Package opus is ivrd's Opus codec (RFC 6716) for RTP (RFC 7587): the
// one package that links libopus, through the cgo binding
// gopkg.in/hraban/opus.v2, and only in a binary built with the tag opus
// (make adds it when pkg-config finds libopus). No maintained Opus
// encoder exists in pure Go, and keeping cgo in this package alone keeps
// every other ivrd package, and a build without the tag, pure Go.
//
// It owns: Encoder (20 ms frames of 16 kHz mono in, packets of exactly
// audio.OpusFrameBytes out, padded as RFC 6716 section 3.2.5 allows) and
// Decoder (any packet a peer sends, mono or stereo, up to 120 ms, out at
// 16 kHz; garbage is an error, never a crash), Silence (the packet for
// 20 ms of silence, a constant) and Available (whether this binary has
// libopus). Without the tag NewEncoder and NewDecoder return
// ErrNotBuilt, which says how to build ivrd with Opus.
//
// Each Encoder and Decoder is one stream's state: libopus predicts from
// the frames before, so a call keeps its own, and a prompt is encoded
// once, at load, by an encoder of its own (its packets are then played to
// every Opus caller; an Opus decoder takes packets from any encoder, and
// the junction between two prompts costs what any splice does).
//
// It must not import any ivrd package but audio, nor any network package:
// media, prompts and the load generator build on it.
package opus
