package prompts

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ivrd/ivrd/audio"
)

// FrameSamples is one 20 ms frame at 8 kHz.
const FrameSamples = 160

// SampleRate is the narrowband rate every prompt is also kept at.
const SampleRate = audio.SampleRate

// Prompt is one audio clip, decoded, resampled and encoded once per codec:
// G.711 from 8 kHz, G.722 and Opus from 16 kHz. Every codec's payload is
// audio.Codec.FrameBytes a 20 ms frame (160, Opus 80), so all of them
// have Frames() frames.
type Prompt struct {
	Name string
	PCM  []int16 // 8 kHz mono, a whole number of frames
	PCMU []byte  // one byte per sample
	PCMA []byte
	// Rate is the rate the prompt was made at: its file's own (up to 48
	// kHz), 8000 for one made from 8 kHz samples (New).
	Rate int
	// Source is the audio at Rate, padded to the same whole frames; nil
	// when Rate is 8000 (PCM is the source).
	Source []int16

	g722 *lazyPayload
	opus *lazyPayload
}

// lazyPayload is an encoding made on first use: a prompt made at call
// time from 8 kHz samples (a voicemail message) is encoded for G.722
// only if a G.722 call plays it. Shared by copies of the Prompt.
type lazyPayload struct {
	once sync.Once
	make func() []byte
	data []byte
}

func (l *lazyPayload) get() []byte {
	l.once.Do(func() { l.data, l.make = l.make(), nil })
	return l.data
}

func ready(b []byte) *lazyPayload {
	l := &lazyPayload{data: b}
	l.once.Do(func() {})
	return l
}

// New builds a prompt from 8 kHz samples: pads them to whole frames with
// silence and encodes them for G.711 now, for G.722 (narrowband audio
// through its lower sub-band) when a G.722 call first plays it.
func New(name string, pcm8k []int16) *Prompt {
	n := frames8k(len(pcm8k))
	pcm := make([]int16, n)
	copy(pcm, pcm8k)
	p := &Prompt{Name: name, PCM: pcm, Rate: SampleRate}
	p.encodeG711()
	p.g722 = &lazyPayload{make: func() []byte {
		var e audio.G722Encoder
		out := make([]byte, len(pcm))
		e.EncodeNarrow(out, pcm)
		return out
	}}
	p.opus = &lazyPayload{make: func() []byte { return opusFrom8k(pcm) }}
	return p
}

// NewAt builds a prompt from mono samples at rate (a file's own; above
// audio.MaxKeptRate they are brought down to it), keeping them as its
// source and encoding them once for every codec: G.711 from their 8 kHz
// version, G.722 from their 16 kHz version (wideband when rate is 16 kHz
// or more).
func NewAt(name string, pcm []int16, rate int) *Prompt {
	if rate <= SampleRate {
		if rate < SampleRate {
			pcm = audio.Resample(pcm, rate, SampleRate)
		}
		return New(name, pcm)
	}
	if rate > audio.MaxKeptRate {
		pcm, rate = audio.Resample(pcm, rate, audio.MaxKeptRate), audio.MaxKeptRate
	}
	narrow := audio.Resample(pcm, rate, SampleRate)
	n := frames8k(len(narrow))
	p := &Prompt{Name: name, PCM: make([]int16, n), Rate: rate}
	copy(p.PCM, narrow)
	p.encodeG711()
	p.Source = make([]int16, n*rate/SampleRate)
	copy(p.Source, pcm)

	wide := p.Source
	if rate != audio.G722SampleRate {
		wide = audio.Resample(p.Source, rate, audio.G722SampleRate)
	}
	padded := make([]int16, 2*n) // 16 kHz, the same whole frames
	copy(padded, wide)
	var e audio.G722Encoder
	g := make([]byte, n)
	e.Encode(g, padded)
	p.g722 = ready(g)
	p.opus = opusAtLoad(padded)
	return p
}

// Load reads an audio file (see audio.DecodeNative) and builds the prompt
// called name from it at the file's own rate.
func Load(name, file string, r io.ReadSeeker) (*Prompt, error) {
	pcm, rate, err := audio.DecodeNative(file, r)
	if err != nil {
		return nil, err
	}
	if len(pcm)*SampleRate/rate == 0 {
		return nil, fmt.Errorf("%w: audio too short: %d samples at %d Hz is not one sample at 8 kHz", audio.ErrMalformed, len(pcm), rate)
	}
	return NewAt(name, pcm, rate), nil
}

// LoadFile reads the audio file at path as serve loads a prompt (named
// by the file's base name without its extension): what `ivrd prompt`
// reports on, codec by codec (Codecs).
func LoadFile(path string) (*Prompt, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only: nothing is lost if closing fails
	base := filepath.Base(path)
	return Load(strings.TrimSuffix(base, filepath.Ext(base)), base, f)
}

func frames8k(samples int) int {
	n := (samples + FrameSamples - 1) / FrameSamples * FrameSamples
	if n == 0 {
		n = FrameSamples
	}
	return n
}

func (p *Prompt) encodeG711() {
	p.PCMU, p.PCMA = make([]byte, len(p.PCM)), make([]byte, len(p.PCM))
	audio.EncodeG711(p.PCMU, p.PCM, audio.PCMU)
	audio.EncodeG711(p.PCMA, p.PCM, audio.PCMA)
}

// Duration is the playing time.
func (p *Prompt) Duration() time.Duration {
	return time.Duration(len(p.PCM)) * time.Second / SampleRate
}

// Frames is the number of 20 ms frames.
func (p *Prompt) Frames() int { return len(p.PCM) / FrameSamples }

// Payload is the encoded audio for a codec, codec.FrameBytes() a frame.
func (p *Prompt) Payload(c audio.Codec) []byte {
	switch c {
	case audio.PCMA:
		return p.PCMA
	case audio.G722:
		if p.g722 == nil { // a Prompt built by hand, not by New
			return New(p.Name, p.PCM).Payload(c)
		}
		return p.g722.get()
	case audio.Opus:
		if p.opus == nil {
			return New(p.Name, p.PCM).Payload(c)
		}
		return p.opus.get()
	}
	return p.PCMU
}

// Join is one prompt playing parts in turn ("you have" + SayNumber(3) +
// "new messages"), so a call plays a sequence as one prompt: one start,
// one end, barge-in as for any prompt. Parts are whole frames already,
// so their encoded audio is only copied, never encoded again. The
// sources are joined when every part has the same rate; otherwise the
// joined prompt's source is its 8 kHz audio.
func Join(name string, parts ...*Prompt) *Prompt {
	n := 0
	for _, p := range parts {
		n += len(p.PCM)
	}
	if n == 0 {
		return New(name, nil)
	}
	out := &Prompt{Name: name, PCM: make([]int16, 0, n), PCMU: make([]byte, 0, n), PCMA: make([]byte, 0, n), Rate: parts[0].Rate}
	for _, p := range parts {
		out.PCM = append(out.PCM, p.PCM...)
		out.PCMU = append(out.PCMU, p.PCMU...)
		out.PCMA = append(out.PCMA, p.PCMA...)
		if p.Rate != out.Rate {
			out.Rate = SampleRate
		}
	}
	if out.Rate != SampleRate {
		for _, p := range parts {
			out.Source = append(out.Source, p.Source...)
		}
	}
	out.g722 = &lazyPayload{make: func() []byte {
		g := make([]byte, 0, n)
		for _, p := range parts {
			g = append(g, p.Payload(audio.G722)...)
		}
		return g
	}}
	out.opus = &lazyPayload{make: func() []byte {
		o := make([]byte, 0, n/2)
		for _, p := range parts {
			o = append(o, p.Payload(audio.Opus)...)
		}
		return o
	}}
	return out
}

// CodecAudio is what a caller on one codec hears of a prompt.
type CodecAudio struct {
	Codec audio.Codec
	// AudioRate is the rate of the audio the codec carries (8000 for
	// G.711, 16000 for G.722); FromRate the prompt's own rate, which
	// it was brought to AudioRate from.
	AudioRate, FromRate int
	Bytes               int // the encoded prompt
}

// Wideband reports whether the caller hears more than telephone band
// (the codec carries it and the prompt has it).
func (c CodecAudio) Wideband() bool { return c.AudioRate > SampleRate && c.FromRate > SampleRate }

// String reads "G722: 16 kHz wideband (50-7000 Hz), from the 48 kHz
// source, 12800 bytes".
func (c CodecAudio) String() string {
	band := "narrowband (300-3400 Hz)"
	if c.Wideband() {
		band = "wideband (50-7000 Hz)"
	}
	return fmt.Sprintf("%s: %s %s, from the %s source, %d bytes", c.Codec, khz(c.AudioRate), band, khz(c.FromRate), c.Bytes)
}

func khz(rate int) string {
	if rate%1000 == 0 {
		return fmt.Sprintf("%d kHz", rate/1000)
	}
	return fmt.Sprintf("%.1f kHz", float64(rate)/1000)
}

// Codecs says, codec by codec (PCMU, PCMA, G722, and opus in a binary
// built with it), what a caller hears of
// the prompt: what `ivrd prompt` prints.
func (p *Prompt) Codecs() []CodecAudio {
	out := make([]CodecAudio, 0, 4)
	for _, c := range opusCodecs() {
		out = append(out, CodecAudio{Codec: c, AudioRate: c.AudioRate(), FromRate: p.Rate, Bytes: len(p.Payload(c))})
	}
	return out
}
