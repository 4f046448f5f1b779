package audio

import "strings"

// SampleRate is the narrowband rate ivrd works at: G.711's 8 kHz. The
// digit detector, recordings and G.711 legs hear it; wideband codecs
// carry more (Codec.AudioRate).
const SampleRate = 8000

// Codec is a line codec. Its value is its static RTP payload type
// (RFC 3551), so a received packet's payload type converts to it directly.
type Codec uint8

// The codecs ivrd speaks.
const (
	PCMU Codec = 0 // G.711 µ-law
	PCMA Codec = 8 // G.711 A-law
	G722 Codec = 9 // G.722 at 64 kbit/s: 16 kHz audio, 8 kHz RTP clock
)

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
	}
	return "PCMU"
}

// PayloadType is the static RTP payload type.
func (c Codec) PayloadType() uint8 { return uint8(c) }

// ClockRate is the RTP clock rate, the one SDP's rtpmap names: 8000 for
// all three, G.722 included (RFC 3551 section 4.5.2: its RTP clock was
// fixed at 8000 by mistake and kept for compatibility, so a 20 ms packet
// of 16 kHz G.722 advances the timestamp by 160, as G.711's does).
func (c Codec) ClockRate() int { return SampleRate }

// AudioRate is the sample rate of the audio the codec carries: 16000 for
// G.722, 8000 for G.711.
func (c Codec) AudioRate() int {
	if c == G722 {
		return G722SampleRate
	}
	return SampleRate
}

// Wideband reports whether the codec carries more than 8 kHz audio.
func (c Codec) Wideband() bool { return c == G722 }

// FrameBytes is the payload of one 20 ms packet: 160 bytes for each of
// the three (G.711: a byte per 8 kHz sample; G.722: a byte per two
// 16 kHz samples).
func (c Codec) FrameBytes() int { return 160 }

// SilenceByte is the encoding of linear 0: what a frame of silence is
// filled with.
// G.722's 0xFF codes the smallest step of each band, which a decoder
// plays as silence and settles on its smallest scale factors with.
func (c Codec) SilenceByte() byte {
	if c == PCMA {
		return 0xD5
	}
	return 0xFF
}
