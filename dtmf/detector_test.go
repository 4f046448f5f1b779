package dtmf

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

const allKeys = "123A456B789C*0#D"

func TestDetectorAllDigitsNominal(t *testing.T) {
	var s Signal
	s = s.Silence(100)
	for i := 0; i < len(allKeys); i++ {
		s = s.Tone(Nominal(allKeys[i])).Silence(50)
	}
	for name, pcm := range map[string][]int16{"linear": s.PCM(), "ulaw": Ulaw(s.PCM()), "alaw": Alaw(s.PCM())} {
		assert.Equal(t, allKeys, Detect(pcm), name)
	}
}

func TestDetectorLongPressIsOneDigit(t *testing.T) {
	tone := Nominal('5')
	tone.Ms = 1000
	assert.Equal(t, "5", Detect(Signal{}.Silence(40).Tone(tone).Silence(100).PCM()))
}

func TestNoiseAloneNeverADigit(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := Signal{}.Silence(60_000).AddNoise(-20, rng)
	assert.Empty(t, Detect(Ulaw(s.PCM())))
}

func TestCollectorSuppressesInbandCopyOfEvents(t *testing.T) {
	var got []Digit
	c := NewCollector(Config{RFC4733: true, Inband: true, Info: true, InbandMode: InbandAlways, EventNegotiated: true},
		func(d Digit) { got = append(got, d) })
	tone := Signal{}.Silence(20).Tone(ToneSpec{Key: '3', Ms: 80, LowDBm0: -10, HighDBm0: -10}).Silence(100).PCM()
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
	tone := Signal{}.Silence(20).Tone(Nominal('7')).Silence(100).PCM()
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
	var got []Digit
	c := NewCollector(Config{RFC4733: true, Inband: true, InbandMode: InbandAlways, EventNegotiated: true},
		func(d Digit) { got = append(got, d) })
	tone := Signal{}.Silence(20).Tone(ToneSpec{Key: '6', Ms: 80, LowDBm0: -10, HighDBm0: -10}).Silence(40).PCM()
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
