package dtmf

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ivrd/ivrd/dtmf/dtmftest"
)

// notePair is two sines at -10 dBm0 each: the row tone glides linearly
// from rowFrom to rowTo (relative errors from 770 Hz) over glideMs, then
// holds rowTo for holdMs, with the column tone steady on 1477 Hz: key 6.
func notePair(rate int, rowFrom, rowTo float64, glideMs, holdMs int) []int16 {
	amp := dtmftest.Amplitude(-10)
	n := (glideMs + holdMs) * rate / 1000
	glide := glideMs * rate / 1000
	pcm := make([]int16, 0, n+rate/5)
	pcm = append(pcm, make([]int16, rate/10)...)
	var phR, phC float64
	for i := 0; i < n; i++ {
		off := rowTo
		if i < glide {
			off = rowFrom + (rowTo-rowFrom)*float64(i)/float64(glide)
		}
		phR += 2 * math.Pi * 770 * (1 + off) / float64(rate)
		phC += 2 * math.Pi * 1477 / float64(rate)
		pcm = append(pcm, int16(math.Round(amp*(math.Sin(phR)+math.Sin(phC)))))
	}
	return append(pcm, make([]int16, rate/10)...)
}

// TestNotesDriftingIntoAKeyAreNotAKey: a pair of notes sounding outside a
// key's limits that drifts into them (as music does: Fish Fillets' G5 and
// F#6, 1.8% and 0.2% off key 6) is not a press, at either rate, while the
// same pair starting at once, as a keypad's does, is one. Neither held
// note nor keypad moves; only the onset tells them apart (keyLike).
func TestNotesDriftingIntoAKeyAreNotAKey(t *testing.T) {
	t.Parallel()
	for _, rate := range []int{8000, 16000} {
		codec := linear
		if rate == 8000 {
			codec = dtmftest.Ulaw
		}
		assert.Equal(t, "6", detectKeysAt(rate, codec(notePair(rate, 0.018, 0.018, 0, 200))), "%d Hz: a key 1.8%% off, starting at once", rate)
		assert.Empty(t, detectKeysAt(rate, codec(notePair(rate, 0.030, 0.018, 150, 200))), "%d Hz: notes gliding from 3%% to 1.8%% off", rate)
		// Within 1% of the key the onset is not judged (speech over a
		// key makes its run start late): a glide ending there is a key.
		assert.Equal(t, "6", detectKeysAt(rate, codec(notePair(rate, 0.030, 0.005, 150, 200))), "%d Hz: gliding to 0.5%% off", rate)
	}
}
