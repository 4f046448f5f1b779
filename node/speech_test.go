package node

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/sip/siptest"
)

// espeakReference is espeak-ng's own rendering of text at the rate ivrd
// uses, decoded as any prompt file is.
func espeakReference(t *testing.T, voice, text string) []int16 {
	t.Helper()
	out := filepath.Join(t.TempDir(), "ref.wav")
	require.NoError(t, exec.Command("espeak-ng", "-v", voice, "-s", "150", "-w", out, text).Run())
	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	pcm, err := audio.Decode(out, f)
	require.NoError(t, err)
	return pcm
}

// span is where the sound is: from the first to the last sample above
// 5% of the peak.
func span(pcm []int16) (int, int) {
	peak := 0.0
	for _, v := range pcm {
		peak = math.Max(peak, math.Abs(float64(v)))
	}
	first, last := -1, -1
	for i, v := range pcm {
		if math.Abs(float64(v)) > 0.05*peak {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	return first, last + 1
}

// correlation is the normalised correlation of a and b over their common
// length.
func correlation(a, b []int16) float64 {
	n := min(len(a), len(b))
	var ab, aa, bb float64
	for i := 0; i < n; i++ {
		x, y := float64(a[i]), float64(b[i])
		ab, aa, bb = ab+x*y, aa+x*x, bb+y*y
	}
	return ab / math.Sqrt(aa*bb)
}

// received is the call's audio in sequence order, decoded from µ-law.
func received(pkts []siptest.Packet) []int16 {
	sort.SliceStable(pkts, func(i, j int) bool {
		return int16(pkts[i].Header.SequenceNumber-pkts[0].Header.SequenceNumber) < int16(pkts[j].Header.SequenceNumber-pkts[0].Header.SequenceNumber)
	})
	var pcm []int16
	for _, p := range pkts {
		for _, b := range p.Payload {
			pcm = append(pcm, g711.DecodeUlawFrame(b))
		}
	}
	return pcm
}

// A say: prompt is heard on a real call: the RTP decodes to speech as
// long as espeak-ng's own rendering of the text, and the same speech.
func TestSpokenPromptHeardOnACall(t *testing.T) {
	t.Parallel()
	testenv.NeedEspeak(t, "spoken prompts")
	path := writeConfig(t, nodetest.SayConfig, "SAY_TEXT", nodetest.SayText)
	svc := startConfig(t, path)
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	// The greeting plays, nothing is pressed, the menu hangs up.
	_, err = c.WaitRequest("BYE", 30*time.Second)
	require.NoError(t, err)

	got := received(c.Packets())
	ref := espeakReference(t, "en-us", nodetest.SayText)
	g0, g1 := span(got)
	r0, r1 := span(ref)
	require.Greater(t, g0, -1, "the call was silent")
	assert.Greater(t, audio.MeasureLevel(got).ActiveDBm0, -30.0, "speech, not silence")
	gotLen, refLen := float64(g1-g0)/8000, float64(r1-r0)/8000
	assert.InDelta(t, refLen, gotLen, 0.06, "speech length: heard %.2fs, espeak-ng %.2fs", gotLen, refLen)
	assert.Greater(t, refLen, 2.0)
	c2 := correlation(got[g0:g1], ref[r0:r1])
	assert.Greater(t, c2, 0.9, "the call's audio is espeak-ng's speech of the text (correlation %.3f)", c2)
}
