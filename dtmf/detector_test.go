package dtmf

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ivrd/ivrd/dtmf/dtmftest"
)

const allKeys = "123A456B789C*0#D"

func TestDetectorAllDigitsNominal(t *testing.T) {
	t.Parallel()
	var s dtmftest.Signal
	s = s.Silence(100)
	for i := 0; i < len(allKeys); i++ {
		s = s.Tone(dtmftest.Nominal(allKeys[i])).Silence(50)
	}
	for name, pcm := range map[string][]int16{"linear": s.PCM(), "ulaw": dtmftest.Ulaw(s.PCM()), "alaw": dtmftest.Alaw(s.PCM())} {
		assert.Equal(t, allKeys, detectKeys(pcm), name)
	}
}

func TestDetectorLongPressIsOneDigit(t *testing.T) {
	t.Parallel()
	tone := dtmftest.Nominal('5')
	tone.Ms = 1000
	assert.Equal(t, "5", detectKeys(dtmftest.Signal{}.Silence(40).Tone(tone).Silence(100).PCM()))
}

func TestNoiseAloneNeverADigit(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, level := range []float64{-5, -20, -35, -50} {
		s := dtmftest.Signal{}.Silence(30_000).AddNoise(level, rng)
		assert.Empty(t, detectKeys(dtmftest.Ulaw(s.PCM())), "%.0f dBm0 white noise, µ-law", level)
		assert.Empty(t, detectKeys(dtmftest.Alaw(s.PCM())), "%.0f dBm0 white noise, A-law", level)
	}
}

// TestDetectorAnyFrameLength: frames of any size, even one sample, give
// the same digits as 20 ms frames.
func TestDetectorAnyFrameLength(t *testing.T) {
	t.Parallel()
	var s dtmftest.Signal
	for i := 0; i < len(allKeys); i++ {
		s = s.Silence(47).Tone(dtmftest.Nominal(allKeys[i]))
	}
	pcm := dtmftest.Ulaw(s.Silence(100).PCM())
	rng := rand.New(rand.NewPCG(4, 4))
	for _, fixed := range []int{1, 51, 80, 102, 160, 240, 320, 0} {
		d := NewDetector()
		var got []byte
		for i := 0; i < len(pcm); {
			n := fixed
			if n == 0 {
				n = 1 + rng.IntN(400)
			}
			n = min(n, len(pcm)-i)
			if k, ok := d.Frame(pcm[i : i+n]); ok {
				got = append(got, k)
			}
			i += n
		}
		assert.Equal(t, allKeys, string(got), "frames of %d samples (0: random)", fixed)
	}
}

func TestHotPathsAllocateNothing(t *testing.T) {
	pcm := dtmftest.Ulaw(dtmftest.Signal{}.Tone(dtmftest.Nominal('5')).Silence(500).Tone(dtmftest.Nominal('9')).PCM())
	d := NewDetector()
	i := 0
	assert.Zero(t, testing.AllocsPerRun(500, func() {
		f := i % (len(pcm) / 160)
		d.Frame(pcm[f*160 : f*160+160])
		i++
	}), "Detector.Frame")
	var e EventDecoder
	payload := AppendEvent(nil, '5', false, 10, 400)
	assert.Zero(t, testing.AllocsPerRun(500, func() {
		e.Packet(uint32(i/8)*800, i%8 == 0, payload, 0)
		i++
	}), "EventDecoder.Packet")
}

func TestCollectorSuppressesInbandCopyOfEvents(t *testing.T) {
	t.Parallel()
	var got []Digit
	c := NewCollector(Config{RFC4733: true, Inband: true, Info: true, InbandMode: InbandAlways, EventNegotiated: true},
		func(d Digit) { got = append(got, d) })
	tone := dtmftest.Signal{}.Silence(20).Tone(dtmftest.ToneSpec{Key: '3', Ms: 80, LowDBm0: -10, HighDBm0: -10}).Silence(100).PCM()
	hdr := rtpHeader(5000, true)
	c.TelephoneEvent(&hdr, AppendEvent(nil, '3', false, 10, 160))
	for i := 0; i < len(tone); i += 160 {
		c.Audio(tone[i:min(i+160, len(tone))])
	}
	c.Info('9')
	if assert.Len(t, got, 2) {
		assert.Equal(t, Digit{Key: '3', Method: RFC4733, At: got[0].At}, got[0])
		assert.Equal(t, byte('9'), got[1].Key)
		assert.Equal(t, Info, got[1].Method)
	}
}

func TestCollectorInbandOnlyWithoutTelephoneEventOnAuto(t *testing.T) {
	t.Parallel()
	tone := dtmftest.Signal{}.Silence(20).Tone(dtmftest.Nominal('7')).Silence(100).PCM()
	for _, negotiated := range []bool{false, true} {
		var got []Digit
		c := NewCollector(DefaultConfig(negotiated), func(d Digit) { got = append(got, d) })
		for i := 0; i < len(tone); i += 160 {
			c.Audio(tone[i:min(i+160, len(tone))])
		}
		if negotiated {
			assert.Empty(t, got, "auto: in-band off when telephone-event was negotiated")
		} else if assert.Len(t, got, 1) {
			assert.Equal(t, Inband, got[0].Method)
		}
	}
}

func TestCollectorSuppressesEventCopyOfInbandDigit(t *testing.T) {
	t.Parallel()
	var got []Digit
	c := NewCollector(Config{RFC4733: true, Inband: true, InbandMode: InbandAlways, EventNegotiated: true},
		func(d Digit) { got = append(got, d) })
	tone := dtmftest.Signal{}.Silence(20).Tone(dtmftest.ToneSpec{Key: '6', Ms: 80, LowDBm0: -10, HighDBm0: -10}).Silence(40).PCM()
	for i := 0; i < len(tone); i += 160 {
		c.Audio(tone[i:min(i+160, len(tone))])
	}
	// The gateway's event for the same press arrives after the tone was heard.
	hdr := rtpHeader(9000, true)
	c.TelephoneEvent(&hdr, AppendEvent(nil, '6', false, 10, 160))
	if assert.Len(t, got, 1) {
		assert.Equal(t, Inband, got[0].Method)
	}
}
