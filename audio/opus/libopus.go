//go:build opus

package opus

import (
	"errors"
	"fmt"

	libopus "gopkg.in/hraban/opus.v2"

	"github.com/ivrd/ivrd/audio"
)

// Available reports whether this binary links libopus.
const Available = true

// errEmpty: an RTP packet with no payload (a lost frame is not sent empty).
var errEmpty = errors.New("opus: empty payload")

// Encoder settings: voice (libopus's VOIP mode: SILK at these rates),
// wideband at most (the audio is 16 kHz), a bitrate whose packets fit
// the fixed frame with room to spare, and complexity 5, half of
// libopus's most expensive search (prompts are encoded once; relayed
// audio per call per frame).
const (
	encoderBitrate    = 24000
	encoderComplexity = 5
)

// Encoder codes one stream: 20 ms of 16 kHz mono a call. Not safe for
// concurrent use.
type Encoder struct {
	enc *libopus.Encoder
}

// NewEncoder makes an encoder for one stream.
func NewEncoder() (*Encoder, error) {
	enc, err := libopus.NewEncoder(SampleRate, 1, libopus.AppVoIP)
	if err != nil {
		return nil, fmt.Errorf("opus: encoder: %w", err)
	}
	for _, set := range []func() error{
		func() error { return enc.SetBitrate(encoderBitrate) },
		func() error { return enc.SetComplexity(encoderComplexity) },
		func() error { return enc.SetMaxBandwidth(libopus.Wideband) },
		func() error { return enc.SetInBandFEC(false) },
		func() error { return enc.SetDTX(false) },
	} {
		if err := set(); err != nil {
			return nil, fmt.Errorf("opus: encoder setting: %w", err)
		}
	}
	return &Encoder{enc: enc}, nil
}

// Encode codes one frame, pcm (FrameSamples at 16 kHz), into dst, which
// gets exactly audio.OpusFrameBytes bytes. It allocates nothing.
func (e *Encoder) Encode(dst []byte, pcm []int16) error {
	if len(pcm) != FrameSamples || len(dst) < audio.OpusFrameBytes {
		return errPacket
	}
	pkt := dst[:audio.OpusFrameBytes:audio.OpusFrameBytes]
	// libopus writes at most cap bytes: leave the two pad needs.
	n, err := e.enc.Encode(pcm, pkt[:audio.OpusFrameBytes-2:audio.OpusFrameBytes-2])
	if err != nil {
		return err
	}
	return pad(pkt, n)
}

// Decoder decodes one peer's stream to 16 kHz mono. Not safe for
// concurrent use.
type Decoder struct {
	dec *libopus.Decoder
	out [MaxFrameSamples]int16
}

// NewDecoder makes a decoder for one stream.
func NewDecoder() (*Decoder, error) {
	dec, err := libopus.NewDecoder(SampleRate, 1)
	if err != nil {
		return nil, fmt.Errorf("opus: decoder: %w", err)
	}
	return &Decoder{dec: dec}, nil
}

// Decode decodes one packet and returns its audio at 16 kHz, in the
// decoder's own buffer (valid until the next call). A packet libopus
// cannot read is an error and leaves the decoder usable. It allocates
// nothing for a good packet.
func (d *Decoder) Decode(payload []byte) ([]int16, error) {
	if len(payload) == 0 {
		return nil, errEmpty
	}
	n, err := d.dec.Decode(payload, d.out[:])
	if err != nil {
		return nil, err
	}
	return d.out[:n], nil
}
