package audio

import "github.com/zaf/g711"

// G.711 tables, built once from zaf/g711's reference conversions: a
// decoded sample is one lookup, an encoded one a lookup by the sample's
// top 14 bits (the resolution G.711 keeps at most; µ-law's 14-bit and
// A-law's 13-bit inputs both fit), so the per-packet paths do no arithmetic
// beyond indexing and allocate nothing.
var (
	ulawToLinear, alawToLinear [256]int16
	linearToUlaw, linearToAlaw [1 << 14]byte
)

func init() {
	for i := range 256 {
		ulawToLinear[i] = g711.DecodeUlawFrame(uint8(i))
		alawToLinear[i] = g711.DecodeAlawFrame(uint8(i))
	}
	for i := range 1 << 14 {
		s := int16(uint16(i) << 2) // the index is the sample's top 14 bits
		linearToUlaw[i] = g711.EncodeUlawFrame(s)
		linearToAlaw[i] = g711.EncodeAlawFrame(s)
	}
}

// DecodeG711 decodes payload into dst and returns the number of samples
// written: min(len(dst), len(payload)). It allocates nothing.
func DecodeG711(dst []int16, payload []byte, c Codec) int {
	table := &ulawToLinear
	if c == PCMA {
		table = &alawToLinear
	}
	n := min(len(dst), len(payload))
	for i, b := range payload[:n] {
		dst[i] = table[b]
	}
	return n
}

// EncodeG711 encodes pcm into dst and returns the number of bytes written:
// min(len(dst), len(pcm)). It allocates nothing.
func EncodeG711(dst []byte, pcm []int16, c Codec) int {
	table := &linearToUlaw
	if c == PCMA {
		table = &linearToAlaw
	}
	n := min(len(dst), len(pcm))
	for i, s := range pcm[:n] {
		dst[i] = table[uint16(s)>>2]
	}
	return n
}

// DecodeSample decodes one G.711 byte.
func DecodeSample(b byte, c Codec) int16 {
	if c == PCMA {
		return alawToLinear[b]
	}
	return ulawToLinear[b]
}

// EncodeSample encodes one linear sample.
func EncodeSample(s int16, c Codec) byte {
	if c == PCMA {
		return linearToAlaw[uint16(s)>>2]
	}
	return linearToUlaw[uint16(s)>>2]
}

// RoundTrip returns pcm as it arrives after encoding and decoding with c:
// what a caller's audio sounds like to ivrd after the line codec.
func RoundTrip(pcm []int16, c Codec) []int16 {
	out := make([]int16, len(pcm))
	for i, s := range pcm {
		out[i] = DecodeSample(EncodeSample(s, c), c)
	}
	return out
}
