package ivr

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ivrd/ivrd/audio"
)

// InbandMode says when in-band tones are listened for (server.media.inband).
type InbandMode string

// The modes.
const (
	InbandAuto   InbandMode = "auto"   // only when the peer negotiated no telephone-event
	InbandAlways InbandMode = "always" // on every call, duplicates of RFC 4733 digits dropped
	InbandNever  InbandMode = "never"
)

// DigitMethods are the digit methods accepted (server.media.dtmf).
type DigitMethods struct {
	RFC4733, Inband, Info bool
	InbandMode            InbandMode
}

// MediaSettings is server.media parsed once, when the configuration is
// loaded: what the SIP, media and call layers are built with. Validate
// reports every string that did not parse; its setting stays zero.
type MediaSettings struct {
	PortMin, PortMax int           // RTP port range (even ports; RTCP on the odd one above)
	Codecs           []audio.Codec // in preference order
	Digits           DigitMethods
	SRTP             SRTPMode // server.media.srtp
	// SRTPInsecureSignalling: SDES keys may go over UDP/TCP SIP too.
	SRTPInsecureSignalling bool
}

// SRTPMode is server.media.srtp or a trunk's srtp.
type SRTPMode string

// The modes.
const (
	SRTPOff      SRTPMode = "off"      // plain RTP; RTP/SAVP offers refused
	SRTPOptional SRTPMode = "optional" // SRTP when the peer offers keys
	SRTPRequired SRTPMode = "required" // SRTP or no call
)

// ParseSRTPMode reads a mode ("" is off).
func ParseSRTPMode(s string) (SRTPMode, error) {
	switch m := SRTPMode(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return SRTPOff, nil
	case SRTPOff, SRTPOptional, SRTPRequired:
		return m, nil
	}
	return SRTPOff, fmt.Errorf("%q: want off, optional or required", s)
}

// TrunkSRTP is the SRTP mode of calls on trunk t: its own, else the
// server's.
func (s MediaSettings) TrunkSRTP(t Trunk) SRTPMode {
	if m, err := ParseSRTPMode(t.SRTP); err == nil && t.SRTP != "" {
		return m
	}
	return s.SRTP
}

// MediaSettings is the configuration's parsed server.media (parsed now
// for a Config that did not come from Parse).
func (c *Config) MediaSettings() MediaSettings {
	if c.media.PortMin == 0 && c.media.Codecs == nil {
		return c.Server.Media.parse()
	}
	return c.media
}

// parseMedia fills c.media from the server.media strings.
func (c *Config) parseMedia() { c.media = c.Server.Media.parse() }

func (m Media) parse() MediaSettings {
	var s MediaSettings
	s.PortMin, s.PortMax, _ = parsePortRange(m.RTPPorts)
	for _, name := range m.Codecs {
		if codec, err := audio.ParseCodec(name); err == nil {
			s.Codecs = append(s.Codecs, codec)
		}
	}
	for _, d := range m.DTMF {
		switch strings.ToLower(d) {
		case "rfc4733":
			s.Digits.RFC4733 = true
		case "inband":
			s.Digits.Inband = true
		case "info":
			s.Digits.Info = true
		}
	}
	s.Digits.InbandMode = InbandMode(strings.ToLower(m.Inband))
	s.SRTP, _ = ParseSRTPMode(m.SRTP)
	s.SRTPInsecureSignalling = m.SRTPInsecureSignalling
	return s
}

// parsePortRange reads "LOW-HIGH": even LOW, 1024 <= LOW < HIGH <= 65535.
func parsePortRange(s string) (lo, hi int, err error) {
	a, b, ok := strings.Cut(s, "-")
	lo, err1 := strconv.Atoi(strings.TrimSpace(a))
	hi, err2 := strconv.Atoi(strings.TrimSpace(b))
	switch {
	case !ok || err1 != nil || err2 != nil:
		return 0, 0, fmt.Errorf("%q: want LOW-HIGH, e.g. \"10000-19999\"", s)
	case lo < 1024 || hi > 65535 || hi <= lo:
		return 0, 0, fmt.Errorf("%q: want 1024 <= LOW < HIGH <= 65535", s)
	case lo%2 != 0:
		return 0, 0, fmt.Errorf("%q: RTP ports are even (RTCP takes the odd one above): start the range on an even port", s)
	}
	return lo, hi, nil
}

// CodecList is the trunk's codecs, parsed (names that do not parse are
// left out: Validate reports them); nil when it has none of its own.
func (t *Trunk) CodecList() []audio.Codec {
	var out []audio.Codec
	for _, name := range t.Codecs {
		if c, err := audio.ParseCodec(name); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// TrunkCodecs is the codec preference of the trunk called name: its own
// list, or nil (use server.media.codecs) for a trunk without one or an
// unknown name.
func (c *Config) TrunkCodecs(name string) []audio.Codec {
	if t := c.TrunkByName(name); t != nil {
		return t.CodecList()
	}
	return nil
}
