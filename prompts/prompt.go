package prompts

import (
	"time"

	"github.com/ivrd/ivrd/audio"
)

// FrameSamples is one 20 ms frame at 8 kHz.
const FrameSamples = 160

// SampleRate is the rate every prompt is converted to.
const SampleRate = audio.SampleRate

// Prompt is one audio clip, decoded, resampled and encoded once.
type Prompt struct {
	Name string
	PCM  []int16 // 8 kHz mono, a whole number of frames
	PCMU []byte  // one byte per sample
	PCMA []byte
}

// New builds a prompt from 8 kHz samples: pads them to whole frames with
// silence and encodes them for both codecs.
func New(name string, pcm8k []int16) *Prompt {
	n := (len(pcm8k) + FrameSamples - 1) / FrameSamples * FrameSamples
	if n == 0 {
		n = FrameSamples
	}
	pcm := make([]int16, n)
	copy(pcm, pcm8k)
	p := &Prompt{Name: name, PCM: pcm, PCMU: make([]byte, n), PCMA: make([]byte, n)}
	audio.EncodeG711(p.PCMU, pcm, audio.PCMU)
	audio.EncodeG711(p.PCMA, pcm, audio.PCMA)
	return p
}

// Duration is the playing time.
func (p *Prompt) Duration() time.Duration {
	return time.Duration(len(p.PCM)) * time.Second / SampleRate
}

// Frames is the number of 20 ms frames.
func (p *Prompt) Frames() int { return len(p.PCM) / FrameSamples }

// Payload is the encoded audio for a codec.
func (p *Prompt) Payload(c audio.Codec) []byte {
	if c == audio.PCMA {
		return p.PCMA
	}
	return p.PCMU
}

// Join is one prompt playing parts in turn ("you have" + SayNumber(3) +
// "new messages"), so a call plays a sequence as one prompt: one start,
// one end, barge-in as for any prompt. Parts are whole frames already,
// so their encoded audio is only copied, never encoded again.
func Join(name string, parts ...*Prompt) *Prompt {
	n := 0
	for _, p := range parts {
		n += len(p.PCM)
	}
	if n == 0 {
		return New(name, nil)
	}
	out := &Prompt{Name: name, PCM: make([]int16, 0, n), PCMU: make([]byte, 0, n), PCMA: make([]byte, 0, n)}
	for _, p := range parts {
		out.PCM = append(out.PCM, p.PCM...)
		out.PCMU = append(out.PCMU, p.PCMU...)
		out.PCMA = append(out.PCMA, p.PCMA...)
	}
	return out
}
