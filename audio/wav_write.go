package audio

import (
	"io"

	goaudio "github.com/go-audio/audio"
	"github.com/go-audio/wav"
)

// WriteWAV writes 8 kHz mono samples as a 16-bit PCM WAV file: what ivrd
// plays, and how it stores what it records.
func WriteWAV(w io.WriteSeeker, pcm []int16) error { return WriteWAVAt(w, pcm, SampleRate) }

// WriteWAVAt writes mono samples at rate as a 16-bit PCM WAV file
// (wideband prompts, a G.722 call's audio).
func WriteWAVAt(w io.WriteSeeker, pcm []int16, rate int) error {
	ints := make([]int, len(pcm))
	for i, s := range pcm {
		ints[i] = int(s)
	}
	enc := wav.NewEncoder(w, rate, 16, 1, 1)
	err := enc.Write(&goaudio.IntBuffer{Data: ints, Format: &goaudio.Format{NumChannels: 1, SampleRate: rate}, SourceBitDepth: 16})
	if cerr := enc.Close(); err == nil {
		err = cerr
	}
	return err
}
