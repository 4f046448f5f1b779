package dtmf

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/dtmf/dtmftest"
	"github.com/ivrd/ivrd/internal/testenv"
)

// The Q.24-style limits again at 16 kHz (G.722 and Opus calls): the same
// tables and materials as the 8 kHz tests, generated at 16 kHz, linear.

const wb = 16000

func TestWidebandLimitsTables(t *testing.T) {
	t.Parallel()
	for _, table := range [][]limitCase{frequencyCases, twistCases, levelCases, durationCases} {
		for _, c := range table {
			runLimitAt(t, wb, c, linear)
		}
	}
}

func TestWidebandShortTonesAndPausesAtEveryAlignment(t *testing.T) {
	t.Parallel()
	for off := 0; off < wideband.blockLen; off += 11 {
		s := dtmftest.At(wb).Silence(20).Pad(off)
		s = s.Tone(dtmftest.ToneSpec{Key: '5', Ms: 40, LowDBm0: -10, HighDBm0: -10}).Silence(40)
		s = s.Tone(dtmftest.ToneSpec{Key: '5', Ms: 20, LowDBm0: -10, HighDBm0: -10}).Silence(60)
		assert.Equal(t, "5", detectKeysAt(wb, s.PCM()), "40 ms heard, 20 ms not, offset %d", off)

		p := dtmftest.At(wb).Silence(20).Pad(off)
		p = p.Tone(dtmftest.Nominal('8')).Silence(40).Tone(dtmftest.Nominal('8')).Silence(100)
		assert.Equal(t, "88", detectKeysAt(wb, p.PCM()), "40 ms pause, offset %d", off)
		long := dtmftest.ToneSpec{Key: '3', Ms: 60, LowDBm0: -10, HighDBm0: -10}
		b := dtmftest.At(wb).Silence(20).Pad(off).Tone(long).Silence(10).Tone(long).Silence(100)
		assert.Equal(t, "3", detectKeysAt(wb, b.PCM()), "10 ms break, offset %d", off)
	}
}

func TestWidebandNoise(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 7))
	errors, total := 0, 0
	for round := 0; round < 25; round++ {
		s := dtmftest.At(wb)
		for i := 0; i < len(allKeys); i++ {
			s = s.Silence(60).Tone(dtmftest.Nominal(allKeys[i]))
		}
		got := detectKeysAt(wb, s.Silence(60).AddNoise(-17, rng).PCM())
		errors, total = errors+editDistance(got, allKeys), total+len(allKeys)
	}
	t.Logf("16 kHz, 10 dB SNR (noise over the whole 8 kHz band): %d errors in %d digits", errors, total)
	assert.Less(t, float64(errors)/float64(total), 0.01)

	// spandsp's method: '1' at -4 dBm0 per tone, 1000 times, 6 dB per tone.
	rng = rand.New(rand.NewPCG(1234567, 0))
	s := dtmftest.At(wb)
	for i := 0; i < 1000; i++ {
		s = s.Tone(dtmftest.ToneSpec{Key: '1', Ms: 50, LowDBm0: -4, HighDBm0: -4}).Silence(50)
	}
	got := detectKeysAt(wb, s.AddNoise(-4-6, rng).PCM())
	assert.Equal(t, strings.Repeat("1", 1000), got, "6 dB SNR per tone: %d digits", len(got))
}

func TestWidebandEchoClippingAndNetworkTones(t *testing.T) {
	t.Parallel()
	s := dtmftest.At(wb)
	for i := 0; i < len(allKeys); i++ {
		s = s.Silence(50).Tone(dtmftest.Nominal(allKeys[i]))
	}
	s = s.Silence(100)
	for _, delay := range []int{5, 20, 50} {
		assert.Equal(t, allKeys, detectKeysAt(wb, s.AddEcho(delay, 20).PCM()), "20 dB echo at %d ms", delay)
	}
	clipped := dtmftest.Audio{Rate: wb, Samples: append([]float64(nil), s.Samples...)}.Clip(3)
	assert.Equal(t, allKeys, detectKeysAt(wb, clipped.PCM()), "3 dB clipping")

	for name, n := range map[string]dtmftest.Audio{
		"dial tone 350+440":    dtmftest.At(wb).Dual(350, 440, -13, -13, 3000),
		"busy 480+620":         dtmftest.At(wb).Dual(480, 620, -13, -13, 3000),
		"fax CNG 1100":         dtmftest.At(wb).Sine(1100, -10, 3000),
		"fax CED 2100":         dtmftest.At(wb).Sine(2100, -10, 3000),
		"single 697":           dtmftest.At(wb).Sine(697, -10, 3000),
		"tones below the grid": dtmftest.At(wb).Dual(650, 1150, -10, -10, 3000),
		"tones above the grid": dtmftest.At(wb).Dual(990, 1700, -10, -10, 3000),
	} {
		assert.Empty(t, detectKeysAt(wb, n.PCM()), name)
	}
}

func TestWidebandTalkOffAndTalkDown(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 9))
	minutes := 30
	if testing.Short() || testenv.RaceEnabled { // as TestTalkOffSpeechlike
		minutes = 5
	}
	speech, music := 0, 0
	for m := 0; m < minutes; m++ {
		speech += len(detectKeysAt(wb, dtmftest.At(wb).Speechlike(60_000, -12+rng.Float64()*8, rng).PCM()))
		music += len(detectKeysAt(wb, dtmftest.At(wb).Music(60_000, -15+rng.Float64()*10, rng).PCM()))
	}
	t.Logf("16 kHz talk-off: speech-like %d, music %d false digits in %d minutes each", speech, music, minutes)
	assert.LessOrEqual(t, float64(speech)*60/float64(minutes), 3.0)
	assert.Zero(t, music)

	for _, ms := range []int{60, 100} {
		rng := rand.New(rand.NewPCG(5, uint64(ms)))
		heard, extra, total := 0, 0, 0
		for round := 0; round < 20; round++ {
			s := dtmftest.At(wb)
			for i := 0; i < len(allKeys); i++ {
				s = s.Silence(100).Tone(dtmftest.ToneSpec{Key: allKeys[i], Ms: ms, LowDBm0: -10, HighDBm0: -10})
			}
			s = s.Silence(100)
			got := detectKeysAt(wb, s.Mix(dtmftest.At(wb).Speechlike(len(s.Samples)*1000/wb, -17, rng)).PCM())
			h := heardInOrder(got, allKeys)
			heard, extra, total = heard+h, extra+len(got)-h, total+len(allKeys)
		}
		rate := float64(heard) / float64(total)
		t.Logf("16 kHz talk-down, %d ms presses at +10 dB over speech-like: %d of %d (%.1f%%), %d extra", ms, heard, total, 100*rate, extra)
		assert.GreaterOrEqual(t, rate, map[int]float64{60: 0.98, 100: 0.99}[ms], "%d ms presses", ms)
		assert.Zero(t, extra)
	}
}

func TestWidebandAnyFrameLengthAndNoAllocations(t *testing.T) { // not parallel: it counts allocations
	s := dtmftest.At(wb)
	for i := 0; i < len(allKeys); i++ {
		s = s.Silence(47).Tone(dtmftest.Nominal(allKeys[i]))
	}
	pcm := s.Silence(100).PCM()
	for _, fixed := range []int{1, 102, 204, 320, 333} {
		d, err := NewDetectorRate(wb)
		require.NoError(t, err)
		var got []byte
		for i := 0; i < len(pcm); i += fixed {
			if k, ok := d.Frame(pcm[i:min(i+fixed, len(pcm))]); ok {
				got = append(got, k)
			}
		}
		assert.Equal(t, allKeys, string(got), "frames of %d samples", fixed)
	}
	d, _ := NewDetectorRate(wb)
	i := 0
	assert.Zero(t, testing.AllocsPerRun(500, func() {
		f := i % (len(pcm) / 320)
		p := pcm[f*320 : f*320+320]
		for len(p) > 0 {
			_, n := d.Detect(p)
			p = p[n:]
		}
		i++
	}), "Detector.Detect at 16 kHz")

	_, err := NewDetectorRate(11025)
	assert.ErrorContains(t, err, "11025")
}
