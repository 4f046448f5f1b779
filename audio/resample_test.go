package audio

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestResample44kKeepsToneAndRejectsAboveNyquist(t *testing.T) {
	t.Parallel()
	in1k := tone(1000, 44100, 1, 10000)
	out := Resample(in1k, 44100, 8000)
	assert.InDelta(t, 8000, len(out), 1)
	ref := level(tone(1000, 8000, 1, 10000), 1000)
	got := level(out, 1000)
	assert.InDelta(t, 0, db(got/ref), 0.2, "1 kHz level change in dB")
	// The energy is at 1 kHz, not elsewhere: compare with 2 kHz.
	assert.Less(t, db(level(out, 2000)/got), -40.0)

	out5k := Resample(tone(5000, 44100, 1, 10000), 44100, 8000)
	alias := level(out5k, 3000) // where 5 kHz folds to when samples are dropped
	t.Logf("1 kHz level error %.3f dB; 5 kHz alias at 3 kHz %.1f dB", db(got/ref), db(alias/ref))
	assert.Less(t, db(alias/ref), -40.0, "5 kHz must be at least 40 dB down")
}

func TestResampleOtherRates(t *testing.T) {
	t.Parallel()
	for _, rate := range []int{16000, 22050, 48000, 11025} {
		out := Resample(tone(800, rate, 1, 12000), rate, 8000)
		ref := level(tone(800, 8000, 1, 12000), 800)
		assert.InDelta(t, 0, db(level(out, 800)/ref), 0.3, "rate %d", rate)
	}
	// Up-sampling keeps the tone too.
	up := Resample(tone(500, 8000, 1, 9000), 8000, 16000)
	assert.Len(t, up, 16000)
}

// TestResampleKeepsToneAndRejectsAliases: what the test-signal package's
// own resampler was held to (it is gone; espeak-ng's speech uses this one).
func TestResampleKeepsToneAndRejectsAliases(t *testing.T) {
	t.Parallel()
	sine := func(f float64, rate int) []int16 {
		out := make([]int16, rate)
		for i := range out {
			out[i] = int16(10000 * math.Sin(2*math.Pi*f*float64(i)/float64(rate)))
		}
		return out
	}
	for _, rate := range []int{22050, 16000, 44100} {
		in := Resample(sine(1000, rate), rate, 8000)
		assert.Len(t, in, 8000)
		assert.InDelta(t, 10000/math.Sqrt2, RMS(in[200:7800]), 100, "1 kHz from %d Hz", rate)
		alias := Resample(sine(5000, rate), rate, 8000)
		assert.Less(t, RMS(alias[200:7800]), 10000/math.Sqrt2/100, "5 kHz from %d Hz is 40 dB down", rate)
	}
}
