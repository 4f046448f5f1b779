package audio

import "strings"

// SampleRate is the rate ivrd works at: G.711's 8 kHz. Files are converted
// to it once, when they are read.
const SampleRate = 8000

// Codec is a G.711 variant. Its value is its static RTP payload type
// (RFC 3551), so a received packet's payload type converts to it directly.
type Codec uint8

// The codecs ivrd speaks.
const (
	PCMU Codec = 0 // G.711 µ-law
	PCMA Codec = 8 // G.711 A-law
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
	}
	return 0, &codecError{name: name}
}

// String is the SDP encoding name (a=rtpmap).
func (c Codec) String() string {
	if c == PCMA {
		return "PCMA"
	}
	return "PCMU"
}

// PayloadType is the static RTP payload type.
func (c Codec) PayloadType() uint8 { return uint8(c) }

// ClockRate is the RTP clock rate, the one SDP's rtpmap names.
func (c Codec) ClockRate() int { return SampleRate }

// SilenceByte is the encoding of linear 0: what a frame of silence is
// filled with.
func (c Codec) SilenceByte() byte {
	if c == PCMA {
		return 0xD5
	}
	return 0xFF
}
