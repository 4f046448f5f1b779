package dtmf

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/dtmf/dtmftest"
)

// detectEvents runs a fresh detector at rate over pcm in 20 ms frames and
// returns every event it reported.
func detectEvents(t testing.TB, rate int, pcm []int16) []Event {
	t.Helper()
	d, err := NewDetectorRate(rate)
	require.NoError(t, err)
	var evs []Event
	frame := rate / 50
	for i := 0; i < len(pcm); i += frame {
		p := pcm[i:min(i+frame, len(pcm))]
		for len(p) > 0 {
			ev, n := d.Detect(p)
			p = p[n:]
			if ev.Kind != NoEvent {
				evs = append(evs, ev)
			}
		}
		// the pending second event of a block comes with no samples
		for ev, _ := d.Detect(nil); ev.Kind != NoEvent; ev, _ = d.Detect(nil) {
			evs = append(evs, ev)
		}
	}
	return evs
}

// TestPressTimes: every press gives a KeyDown then a KeyUp with the same
// start, and start and end land within 4 ms of where the tone began and
// stopped, whatever the alignment of the tone to the detector's blocks.
func TestPressTimes(t *testing.T) {
	t.Parallel()
	for _, rate := range []int{8000, 16000} {
		var startErr, endErr []float64
		for off := 0; off < 160; off += 3 {
			for _, ms := range []int{40, 65, 100, 250} {
				lead := 60 + float64(off)/8
				s := dtmftest.At(rate).Silence(60).Pad(off * rate / 8000)
				s = s.Tone(dtmftest.ToneSpec{Key: '6', Ms: ms, LowDBm0: -10, HighDBm0: -10}).Silence(120)
				evs := detectEvents(t, rate, s.PCM())
				require.Len(t, evs, 2, "%d Hz, %d ms tone at offset %d", rate, ms, off)
				assert.Equal(t, Event{Kind: KeyDown, Key: '6', Start: evs[0].Start}, evs[0])
				assert.Equal(t, KeyUp, evs[1].Kind)
				assert.Equal(t, byte('6'), evs[1].Key)
				assert.Equal(t, evs[0].Start, evs[1].Start)
				startErr = append(startErr, ms64(evs[0].Start)-lead)
				endErr = append(endErr, ms64(evs[1].End)-lead-float64(ms))
			}
		}
		sm, sx := meanMax(startErr)
		em, ex := meanMax(endErr)
		t.Logf("%d Hz: start error mean %+.2f ms, worst %.2f; end error mean %+.2f ms, worst %.2f", rate, sm, sx, em, ex)
		assert.LessOrEqual(t, sx, 4.0, "start")
		assert.LessOrEqual(t, ex, 4.0, "end")
	}
}

func ms64(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func meanMax(v []float64) (mean, worst float64) {
	for _, x := range v {
		mean += x
		worst = math.Max(worst, math.Abs(x))
	}
	return mean / float64(len(v)), worst
}
