package dtmf

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ivrd/ivrd/dtmf/dtmftest"
)

// TestShortPressUnderAHarmonic: a 60 ms press with a steady voice
// harmonic 5 dB under its row tone and 45-60 Hz above it (where a 12.75 ms
// block sees it in the tone's bin and the neighbouring key's) is heard
// at both rates and at every alignment to the blocks but a few, and no
// other key is ever reported in its place: the long window separates
// the two where the blocks cannot.
func TestShortPressUnderAHarmonic(t *testing.T) {
	t.Parallel()
	for _, rate := range []int{8000, 16000} {
		heard, total, wrong := 0, 0, 0
		for i := 0; i < len(allKeys); i++ {
			k := allKeys[i]
			lo, _, _ := dtmftest.Frequencies(k)
			for _, df := range []float64{45, 52, 60} {
				for pad := 0; pad < 51; pad += 17 {
					s := dtmftest.At(rate).Silence(60).Pad(pad * rate / 8000).Tone(dtmftest.ToneSpec{Key: k, Ms: 60, LowDBm0: -10, HighDBm0: -10}).Silence(80)
					h := dtmftest.At(rate).Silence(40).Sine(lo+df, -15, 120)
					pcm := s.Mix(h).PCM()
					if rate == 8000 {
						pcm = dtmftest.Ulaw(pcm)
					}
					got := detectKeysAt(rate, pcm)
					total++
					if got == string(k) {
						heard++
					} else if got != "" {
						wrong++
					}
				}
			}
		}
		t.Logf("%d Hz: %d of %d presses heard under the harmonic, %d wrong", rate, heard, total, wrong)
		// Before the long window: none. The few left are alignments where
		// the beat between tone and harmonic (45-60 Hz) moves a tone's
		// phase or level in one half of the window too far.
		assert.GreaterOrEqual(t, heard, total*9/10, "%d Hz", rate)
		assert.Zero(t, wrong, "%d Hz", rate)
	}
}

// BenchmarkDetectorFrameHeldSteady: a key held for a second and fed again
// and again, 20 ms frames (BenchmarkDetectorFrame repeats one 20 ms frame,
// so its tone jumps in phase every frame and spoils a block or two each
// time, which the long window is then asked about).
func BenchmarkDetectorFrameHeldSteady(b *testing.B) {
	pcm := dtmftest.Ulaw(dtmftest.Signal{}.Tone(dtmftest.ToneSpec{Key: '5', Ms: 1000, LowDBm0: -10, HighDBm0: -10}).PCM())
	d := NewDetector()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		j := i % (len(pcm) / 160) * 160
		d.Frame(pcm[j : j+160])
	}
}
