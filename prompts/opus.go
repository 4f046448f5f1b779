package prompts

import (
	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/audio/opus"
)

// encodeOpus codes 16 kHz audio (a whole number of 20 ms frames) as Opus
// packets of audio.OpusFrameBytes each, with one encoder of its own: the
// prompt is coded once and its packets are sent to every Opus caller as
// they are. A frame the encoder fails on (or a binary without Opus,
// though configuration refuses Opus there) is sent as silence, so the
// prompt keeps its length and its end is still reached.
func encodeOpus(pcm16k []int16) []byte {
	frames := len(pcm16k) / opus.FrameSamples
	out := make([]byte, frames*audio.OpusFrameBytes)
	enc, err := opus.NewEncoder()
	for i := range frames {
		pkt := out[i*audio.OpusFrameBytes : (i+1)*audio.OpusFrameBytes]
		if err != nil || enc.Encode(pkt, pcm16k[i*opus.FrameSamples:(i+1)*opus.FrameSamples]) != nil {
			opus.Silence(pkt)
		}
	}
	return out
}

// opusAtLoad is a loaded prompt's Opus payload: coded now, from its 16
// kHz audio, in a binary with Opus (so no Opus call waits for it); left
// for first use in one without (where no call asks for it).
func opusAtLoad(pcm16k []int16) *lazyPayload {
	if opus.Available {
		return ready(encodeOpus(pcm16k))
	}
	return &lazyPayload{make: func() []byte { return encodeOpus(pcm16k) }}
}

// opusFrom8k codes 8 kHz audio for Opus, brought to 16 kHz first (a
// narrowband prompt stays narrowband: nothing is added above 4 kHz).
func opusFrom8k(pcm8k []int16) []byte {
	wide := make([]int16, 2*len(pcm8k))
	var up audio.Interpolator
	up.Up(wide, pcm8k)
	return encodeOpus(wide)
}

// opusCodecs is the codecs Codecs reports on: Opus only in a binary that
// has it.
func opusCodecs() []audio.Codec {
	if opus.Available {
		return []audio.Codec{audio.PCMU, audio.PCMA, audio.G722, audio.Opus}
	}
	return []audio.Codec{audio.PCMU, audio.PCMA, audio.G722}
}
