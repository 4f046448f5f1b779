package dtmf

import (
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/dtmf/dtmftest"
)

// call simulates a gateway on a call: key presses as tones in the audio
// and, if lag >= 0, also as RFC 4733 events sent lag after each tone
// starts (a negative lag: events lead the audio). It feeds a Collector in
// 20 ms steps on a fake clock and returns the digits delivered.
type keyPress struct {
	key       byte
	at, dur   int // ms
	eventOnly bool
}

func simulateCall(cfg Config, presses []keyPress, tones, events bool, lagMs int, pt uint8) []Digit {
	var got []Digit
	var mu sync.Mutex
	c := NewCollector(cfg, func(d Digit) { mu.Lock(); got = append(got, d); mu.Unlock() })
	var clock time.Duration
	c.now = func() time.Time { return c.start.Add(clock) }
	end := presses[len(presses)-1].at + presses[len(presses)-1].dur + 400
	var audio dtmftest.Signal
	audio = audio.Silence(end)
	for _, p := range presses {
		if p.eventOnly || !tones {
			continue
		}
		copy(audio[p.at*8:], dtmftest.Signal{}.Tone(dtmftest.ToneSpec{Key: p.key, Ms: p.dur, LowDBm0: -8, HighDBm0: -10}))
	}
	pcm := dtmftest.Ulaw(audio.PCM())
	for t := 20; t <= end; t += 20 {
		clock = time.Duration(t) * time.Millisecond
		c.Audio(pcm[(t-20)*8 : t*8])
		if !events {
			continue
		}
		for i, p := range presses {
			// packets sent at start+lag, every 20 ms, three end packets
			rel := t - (p.at + lagMs)
			if rel < 0 || rel > p.dur+40 || rel%20 != 0 {
				continue
			}
			dur := uint16(min(rel, p.dur)*8 + 160)
			h := rtp.Header{PayloadType: pt, Timestamp: uint32(8000 + i*4000), Marker: rel == 0}
			c.TelephoneEvent(&h, AppendEvent(nil, p.key, rel >= p.dur, 10, dur))
		}
	}
	return got
}

func keysOf(ds []Digit) string {
	var b []byte
	for _, d := range ds {
		b = append(b, d.Key)
	}
	return string(b)
}

// fastDial is 50 ms on / 50 ms off, the same key repeated among others.
func fastDial(s string) []keyPress {
	var ps []keyPress
	for i := 0; i < len(s); i++ {
		ps = append(ps, keyPress{key: s[i], at: 100 + 100*i, dur: 50})
	}
	return ps
}

func TestCollectorBothMethodsOneDigitPerPress(t *testing.T) {
	t.Parallel()
	always := Config{RFC4733: true, Inband: true, Info: true, InbandMode: InbandAlways, EventNegotiated: true}
	for _, lag := range []int{-40, -20, 0, 20, 40, 60, 100} {
		for _, dial := range []string{"1234", "5555", "9#9#*0", "AABBCCDD"} {
			got := simulateCall(always, fastDial(dial), true, true, lag, 101)
			assert.Equal(t, dial, keysOf(got), "event lag %d ms", lag)
		}
	}
	// Slow presses: the same.
	slow := []keyPress{{key: '7', at: 200, dur: 300}, {key: '7', at: 900, dur: 120}, {key: '0', at: 1500, dur: 80}}
	got := simulateCall(always, slow, true, true, 30, 96)
	assert.Equal(t, "770", keysOf(got))
}

func TestCollectorMethodsAndModes(t *testing.T) {
	t.Parallel()
	dial := fastDial("159")
	cases := []struct {
		name          string
		cfg           Config
		tones, events bool
		want          string
		wantMethod    Method
		listensInband bool
	}{
		{"auto, telephone-event negotiated: events", DefaultConfig(true), true, true, "159", RFC4733, false},
		{"auto, negotiated but only tones come: not listening", DefaultConfig(true), true, false, "", 0, false},
		{"auto, not negotiated: tones", DefaultConfig(false), true, false, "159", Inband, true},
		{"auto, rfc4733 not accepted: tones", Config{Inband: true, Info: true, EventNegotiated: true}, true, true, "159", Inband, true},
		{"never: events only", Config{RFC4733: true, Inband: true, InbandMode: InbandNever, EventNegotiated: true}, true, true, "159", RFC4733, false},
		{"never, tones only: nothing", Config{RFC4733: true, Inband: true, InbandMode: InbandNever}, true, false, "", 0, false},
		{"always, tones only", Config{RFC4733: true, Inband: true, InbandMode: InbandAlways, EventNegotiated: true}, true, false, "159", Inband, true},
		{"always, events only", Config{RFC4733: true, Inband: true, InbandMode: InbandAlways, EventNegotiated: true}, false, true, "159", RFC4733, true},
		{"inband not accepted, always", Config{RFC4733: true, InbandMode: InbandAlways}, true, false, "", 0, false},
	}
	for _, tc := range cases {
		got := simulateCall(tc.cfg, dial, tc.tones, tc.events, 20, 101)
		assert.Equal(t, tc.want, keysOf(got), tc.name)
		for _, d := range got {
			assert.Equal(t, tc.wantMethod, d.Method, tc.name)
		}
		assert.Equal(t, tc.listensInband, NewCollector(tc.cfg, func(Digit) {}).ListensInband(), tc.name)
	}
}

func TestCollectorOtherPayloadTypes(t *testing.T) {
	t.Parallel()
	// The payload type is the SDP's business: 96, 100, 101, 127 all work.
	for _, pt := range []uint8{96, 100, 101, 127} {
		got := simulateCall(DefaultConfig(true), fastDial("42"), false, true, 0, pt)
		assert.Equal(t, "42", keysOf(got), "PT %d", pt)
	}
}

func TestCollectorDigitTimeAndMethod(t *testing.T) {
	t.Parallel()
	got := simulateCall(DefaultConfig(false), []keyPress{{key: '8', at: 500, dur: 100}}, true, false, 0, 0)
	if assert.Len(t, got, 1) {
		assert.Equal(t, Inband, got[0].Method)
		// reported within about 40 ms of the tone's start (20 ms frames)
		assert.InDelta(t, 540*time.Millisecond, got[0].At, float64(20*time.Millisecond))
	}
	got = simulateCall(DefaultConfig(true), []keyPress{{key: '8', at: 500, dur: 100}}, false, true, 0, 101)
	if assert.Len(t, got, 1) {
		assert.Equal(t, Digit{Key: '8', Method: RFC4733, At: 500 * time.Millisecond}, got[0])
	}
}

func TestCollectorInfo(t *testing.T) {
	t.Parallel()
	var got []Digit
	c := NewCollector(DefaultConfig(true), func(d Digit) { got = append(got, d) })
	c.Info('#')
	assert.Equal(t, "#", keysOf(got))
	assert.Equal(t, Info, got[0].Method)
	got = nil
	c = NewCollector(Config{RFC4733: true}, func(d Digit) { got = append(got, d) })
	c.Info('1')
	assert.Empty(t, got, "info not accepted")
}

// TestCollectorConcurrentFeeds: the media goroutine (audio, events) and
// SIP goroutines (INFO) feed one collector at once; run with -race.
func TestCollectorConcurrentFeeds(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	count := map[Method]int{}
	c := NewCollector(Config{RFC4733: true, Inband: true, Info: true, InbandMode: InbandAlways, EventNegotiated: true},
		func(d Digit) { mu.Lock(); count[d.Method]++; mu.Unlock() })
	pcm := dtmftest.Ulaw(dtmftest.Signal{}.Silence(2000).PCM())
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		for i := 0; i+160 <= len(pcm); i += 160 {
			c.Audio(pcm[i : i+160])
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 50; i++ {
			h := rtp.Header{Timestamp: uint32(i * 1000), Marker: true}
			c.TelephoneEvent(&h, AppendEvent(nil, '3', false, 10, 160))
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 50; i++ {
			c.Info('9')
		}
	}()
	wg.Wait()
	assert.Equal(t, 50, count[RFC4733])
	assert.Equal(t, 50, count[Info])
}

func TestCollectorWidebandAudio(t *testing.T) {
	var got []Digit
	cfg := DefaultConfig(false)
	cfg.AudioRate = 16000
	c := NewCollector(cfg, func(d Digit) { got = append(got, d) })
	require.True(t, c.ListensInband())
	s := dtmftest.At(16000).Silence(40).Tone(dtmftest.Nominal('7')).Silence(100).PCM()
	for i := 0; i+320 <= len(s); i += 320 {
		c.Audio(s[i : i+320])
	}
	require.Len(t, got, 1)
	assert.Equal(t, byte('7'), got[0].Key)

	cfg.AudioRate = 48000
	assert.False(t, NewCollector(cfg, func(Digit) {}).ListensInband(), "48 kHz frames: resample first")
}
