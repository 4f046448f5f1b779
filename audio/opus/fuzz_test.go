//go:build opus

package opus

import (
	"testing"

	"github.com/ivrd/ivrd/audio"
)

// FuzzDecode feeds the decoder what a peer might send as an Opus
// payload: anything. It must return audio or an error, never crash, and
// stay usable for the next good packet. Seeds in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{0x48})
	f.Add([]byte{0xFF, 0xFF, 0xFF})
	f.Add([]byte{0x4B, 0x41, 0xFF, 0x00})
	f.Add([]byte{0x4B, 0xBF, 0x00}) // code 3, VBR, 63 frames
	silence := make([]byte, audio.OpusFrameBytes)
	Silence(silence)
	f.Add(silence)
	f.Fuzz(func(t *testing.T, payload []byte) {
		dec, err := NewDecoder()
		if err != nil {
			t.Fatal(err)
		}
		pcm, err := dec.Decode(payload)
		if err == nil && (len(pcm) == 0 || len(pcm) > MaxFrameSamples || len(pcm)%(SampleRate/400) != 0) {
			t.Fatalf("decoded %d samples", len(pcm))
		}
		if pcm, err := dec.Decode(silence); err != nil || len(pcm) != FrameSamples {
			t.Fatalf("the next good packet: %d samples, %v", len(pcm), err)
		}
	})
}
