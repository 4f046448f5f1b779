package dtmftest

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ivrd/ivrd/audio"
)

func TestSineLevelSurvivesUlaw(t *testing.T) {
	t.Parallel()
	// A 0 dBm0 sine survives µ-law at its level (RMS 16,140).
	assert.InDelta(t, 16140, audio.RMS(Ulaw(Signal{}.Sine(1004, 0, 1000).PCM())), 100)
}

func TestKeypadFrequencies(t *testing.T) {
	t.Parallel()
	lo, hi, ok := Frequencies('#')
	assert.True(t, ok)
	assert.Equal(t, [2]float64{941, 1477}, [2]float64{lo, hi})
	_, _, ok = Frequencies('x')
	assert.False(t, ok)
}

func TestToneLevelsAndLength(t *testing.T) {
	t.Parallel()
	pcm := Signal{}.Tone(Nominal('5')).PCM()
	assert.Len(t, pcm, 50*8)
	// Two tones at -10 dBm0 each: mean square twice one tone's.
	lv := audio.MeasureLevel(pcm)
	assert.InDelta(t, -10+3.01, lv.ActiveDBm0, 0.3)
}

func TestEspeakSpeaksAt8kHz(t *testing.T) {
	t.Parallel()
	if !EspeakAvailable() {
		t.Skip("espeak-ng not installed")
	}
	pcm, err := Espeak("en-us", "one two three")
	if err != nil {
		t.Fatal(err)
	}
	secs := float64(len(pcm)) / audio.SampleRate
	assert.Greater(t, secs, 0.5, "about a second of speech")
	assert.Less(t, secs, 5.0)
	assert.Greater(t, audio.MeasureLevel(pcm).ActiveDBm0, -40.0, "speech, not silence")
}
