package opus

import (
	"errors"

	"github.com/ivrd/ivrd/audio"
)

// FrameSamples is one 20 ms frame at the 16 kHz ivrd codes Opus at.
const FrameSamples = audio.G722SampleRate / 50

// SampleRate is the rate Encoder takes and Decoder gives.
const SampleRate = audio.G722SampleRate

// MaxFrameSamples is the longest packet's audio at SampleRate (120 ms):
// what a Decoder's output must have room for.
const MaxFrameSamples = SampleRate * 120 / 1000

// ErrNotBuilt means this ivrd was built without libopus (no build tag
// opus): Opus calls are refused.
var ErrNotBuilt = errors.New("this ivrd binary was built without Opus (build with -tags opus,nolibopusfile and libopus installed; make does so when pkg-config finds libopus)")

// errPacket: a packet the padding cannot be applied to.
var errPacket = errors.New("opus: packet is not one 20 ms frame that fits")

// silenceFrame is 20 ms of silence as libopus 1.3 codes it at 16 kHz
// once settled on it: a SILK wideband 20 ms mono frame (TOC 0x48, code
// 0) of eight bytes with its TOC.
const silenceFrame = "\x48\x07\xc9\x79\xc5\x12\xf7\xbc"

// Silence writes the packet for 20 ms of silence, padded to
// audio.OpusFrameBytes, into dst (which must hold that many) and returns
// its size. It allocates nothing.
func Silence(dst []byte) int {
	pkt := dst[:audio.OpusFrameBytes]
	n := copy(pkt, silenceFrame)
	_ = pad(pkt, n) // an 8-byte packet always fits
	return audio.OpusFrameBytes
}

// pad turns the single-frame packet pkt[:n] (code 0: one frame, RFC 6716
// section 3.2.2) into a code 3 packet of exactly len(pkt) bytes (section
// 3.2.5): the TOC with code 3, a frame count byte with the padding flag,
// one padding length byte, the frame, and that many zero bytes. n must be
// at most len(pkt)-2, which Encoder ensures by capping what libopus
// writes.
func pad(pkt []byte, n int) error {
	size := len(pkt)
	if n < 1 || n > size-2 || pkt[0]&0x3 != 0 {
		return errPacket
	}
	frame := n - 1
	padding := size - 3 - frame
	if padding > 254 {
		return errPacket
	}
	copy(pkt[3:3+frame], pkt[1:n])
	pkt[0] |= 3
	pkt[1] = 0x40 | 1 // padding flag, one frame, CBR
	pkt[2] = byte(padding)
	clear(pkt[3+frame:])
	return nil
}
