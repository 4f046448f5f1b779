package audio

import "strings"

// SampleRate is the narrowband rate ivrd works at: G.711's 8 kHz. The
// digit detector, recordings and G.711 legs hear it; wideband codecs
// carry more (Codec.AudioRate).
const SampleRate = 8000

// Codec is a line codec. Its value is its static RTP payload type
// (RFC 3551), so a received packet's payload type converts to it
// directly; Opus has none (RFC 7587: a dynamic one, agreed in SDP), and
// its value is the dynamic number ivrd offers it under.
type Codec uint8

// The codecs ivrd speaks.
const (
	PCMU Codec = 0 // G.711 µ-law
	PCMA Codec = 8 // G.711 A-law
	G722 Codec = 9 // G.722 at 64 kbit/s: 16 kHz audio, 8 kHz RTP clock
	// Opus (RFC 6716, RFC 7587): 16 kHz audio as ivrd codes it, 48 kHz
	// RTP clock; payload type dynamic (111 when ivrd offers it).
	Opus Codec = 111
)

// OpusFrameBytes is the size of every Opus packet ivrd sends: 20 ms coded
// at up to 30 kbit/s and padded to 80 bytes (RFC 6716 section 3.2.5), so
// Opus frames, like the other codecs', have one size and a prompt is a
// plain run of them.
const OpusFrameBytes = 80

// ParseCodec reads a codec name as a configuration file writes it ("PCMU",
// "pcma"; case does not matter). Parse once, when the configuration is
// loaded: an unknown name is ErrUnknownCodec.
func ParseCodec(name string) (Codec, error) {
	switch strings.ToUpper(strings.TrimSpace(name)) {
	case "PCMU":
		return PCMU, nil
	case "PCMA":
		return PCMA, nil
	case "G722", "G.722":
		return G722, nil
	case "OPUS":
		return Opus, nil
	}
	return 0, &codecError{name: name}
}

// String is the SDP encoding name (a=rtpmap).
func (c Codec) String() string {
	switch c {
	case PCMA:
		return "PCMA"
	case G722:
		return "G722"
	case Opus:
		return "opus"
	}
	return "PCMU"
}

// PayloadType is the static RTP payload type (for Opus the dynamic one
// ivrd offers; a call uses the one agreed in SDP).
func (c Codec) PayloadType() uint8 { return uint8(c) }

// Dynamic reports whether the payload type is agreed per call in SDP
// rather than fixed by RFC 3551.
func (c Codec) Dynamic() bool { return c == Opus }

// ClockRate is the RTP clock rate, the one SDP's rtpmap names: 8000 for
// G.711 and G.722 (RFC 3551 section 4.5.2: G.722's RTP clock was fixed
// at 8000 by mistake and kept for compatibility, so a 20 ms packet of
// 16 kHz G.722 advances the timestamp by 160, as G.711's does), 48000
// for Opus whatever rate it codes (RFC 7587 section 4.1).
func (c Codec) ClockRate() int {
	if c == Opus {
		return OpusClockRate
	}
	return SampleRate
}

// OpusClockRate is Opus's RTP clock: 960 timestamp units a 20 ms packet.
const OpusClockRate = 48000

// FrameTicks is how far a 20 ms packet advances the RTP timestamp.
func (c Codec) FrameTicks() uint32 { return uint32(c.ClockRate() / 50) }

// AudioRate is the sample rate of the audio the codec carries: 16000 for
// G.722 and Opus (ivrd codes Opus at 16 kHz: wideband, what a voice
// prompt holds), 8000 for G.711.
func (c Codec) AudioRate() int {
	if c == G722 || c == Opus {
		return G722SampleRate
	}
	return SampleRate
}

// Wideband reports whether the codec carries more than 8 kHz audio.
func (c Codec) Wideband() bool { return c == G722 || c == Opus }

// FrameBytes is the payload of one 20 ms packet ivrd sends: 160 bytes
// for G.711 (a byte per 8 kHz sample) and G.722 (a byte per two 16 kHz
// samples), OpusFrameBytes for Opus.
func (c Codec) FrameBytes() int {
	if c == Opus {
		return OpusFrameBytes
	}
	return 160
}

// SilenceByte is the encoding of linear 0: what a frame of silence is
// filled with (not for Opus, whose silence is a packet: audio/opus).
// G.722's 0xFF codes the smallest step of each band, which a decoder
// plays as silence and settles on its smallest scale factors with.
func (c Codec) SilenceByte() byte {
	if c == PCMA {
		return 0xD5
	}
	return 0xFF
}
