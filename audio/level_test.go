package audio

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAmplitudeIsG711Reference(t *testing.T) {
	t.Parallel()
	assert.InDelta(t, 22826, Amplitude(0), 1)
	assert.InDelta(t, 32767, Amplitude(FullScaleDBm0), 0.01)
	// A 0 dBm0 sine survives µ-law at its level (RMS 16,140).
	sine := make([]int16, SampleRate)
	for i := range sine {
		sine[i] = int16(math.Round(Amplitude(0) * math.Sin(2*math.Pi*1004*float64(i)/SampleRate)))
	}
	assert.InDelta(t, 16140, RMS(RoundTrip(sine, PCMU)), 100)
}

func TestMeasureLevelOfSineAndPauses(t *testing.T) {
	t.Parallel()
	// 1 s of a -20 dBm0 sine then 1 s of silence: the pause does not lower
	// the active level.
	pcm := append(Tone(400, 400, -26.02, 1000, 0), make([]int16, SampleRate)...) // two equal sines: +6.02 dB
	lv := MeasureLevel(pcm)
	assert.InDelta(t, -20, lv.ActiveDBm0, 0.2)
	assert.InDelta(t, 20*math.Log10(Amplitude(-20)/32768), lv.PeakDBFS, 0.1)
	assert.Zero(t, lv.Clipped)

	assert.True(t, math.IsInf(MeasureLevel(make([]int16, 800)).ActiveDBm0, -1), "silence has no active level")
	assert.Equal(t, 2, MeasureLevel([]int16{0, 32767, -32768, 100}).Clipped)
}

func TestRMS(t *testing.T) {
	t.Parallel()
	assert.Zero(t, RMS(nil))
	assert.InDelta(t, 300, RMS([]int16{300, -300, 300, -300}), 1e-9)
}

func TestToneCadence(t *testing.T) {
	t.Parallel()
	pcm := Tone(1000, 1000, -16, 400, 100)
	assert.Len(t, pcm, 4000)
	assert.Equal(t, make([]int16, 800), pcm[3200:], "the off part is silent")
	assert.InDelta(t, -16+6.02, MeasureLevel(pcm[:3200]).ActiveDBm0, 0.2, "one sine twice over is 6 dB louder")
}
