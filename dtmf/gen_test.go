package dtmf

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func rmsOf(pcm []int16) float64 {
	s := 0.0
	for _, v := range pcm {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(pcm)))
}

func TestAmplitudeIsG711Reference(t *testing.T) {
	assert.InDelta(t, 22826, Amplitude(0), 1)
	assert.InDelta(t, 32767, Amplitude(FullScaleDBm0), 0.01)
	// A 0 dBm0 sine survives µ-law at its level (RMS 16,140).
	assert.InDelta(t, 16140, rmsOf(Ulaw(Signal{}.Sine(1004, 0, 1000).PCM())), 100)
}

func TestResampleKeepsToneAndRejectsAliases(t *testing.T) {
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
		assert.InDelta(t, 10000/math.Sqrt2, rmsOf(in[200:7800]), 100, "1 kHz from %d Hz", rate)
		alias := Resample(sine(5000, rate), rate, 8000)
		assert.Less(t, rmsOf(alias[200:7800]), 10000/math.Sqrt2/100, "5 kHz from %d Hz is 40 dB down", rate)
	}
}

func TestParseWAVRejectsGarbage(t *testing.T) {
	for _, b := range []string{"", "RIFF", "RIFF0000WAVE", "RIFF0000WAVEdata\x04\x00\x00\x00abcd"} {
		_, _, err := parseWAV([]byte(b))
		assert.Error(t, err, "%q", b)
	}
}
