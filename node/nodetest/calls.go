package nodetest

import (
	"math"
	"net/netip"
	"testing"
	"time"

	"github.com/ivrd/ivrd/dtmf"
	"github.com/ivrd/ivrd/sip/siptest"
	"github.com/pion/rtp"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"
)

// SendEvent sends one RFC 4733 key press as a real phone does: a start
// packet with the marker bit, continuations every 50 ms, three end packets.
func SendEvent(t testing.TB, c *siptest.Caller, to netip.AddrPort, pt uint8, key byte, seq *uint16, ts uint32) {
	t.Helper()
	send := func(marker, end bool, dur uint16) {
		*seq++
		require.NoError(t, c.SendRTP(to, rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: *seq, Timestamp: ts, SSRC: 0xCAFE, Marker: marker}, dtmf.AppendEvent(nil, key, end, 10, dur)))
	}
	send(true, false, 400)
	for d := uint16(800); d <= 1600; d += 400 {
		time.Sleep(50 * time.Millisecond) // a phone's packet cadence, not a wait for the server
		send(false, false, d)
	}
	for i := 0; i < 3; i++ {
		send(false, true, 1600)
	}
}

// ToneIn names which of the candidate frequencies dominates 8 kHz audio.
func ToneIn(pcm []int16, candidates ...float64) float64 {
	best, bestP := 0.0, 0.0
	for _, f := range candidates {
		k := 2 * math.Cos(2*math.Pi*f/8000)
		var s1, s2 float64
		for _, x := range pcm {
			s := float64(x) + k*s1 - s2
			s2, s1 = s1, s
		}
		if p := s1*s1 + s2*s2 - k*s1*s2; p > bestP {
			best, bestP = f, p
		}
	}
	return best
}

// heardCandidates are the tones Heard tells apart: those of the tests'
// prompts.
func heardCandidates() []float64 { return []float64{440, 1000, 700, 300} }

// Heard lists the tones of the packets received, merging repeats:
// e.g. [440 1000 300 1000].
func Heard(pkts []siptest.Packet) []float64 {
	var out []float64
	for _, p := range pkts {
		pcm := make([]int16, len(p.Payload))
		silent := true
		for i, b := range p.Payload {
			pcm[i] = g711.DecodeUlawFrame(b)
			if pcm[i] > 100 || pcm[i] < -100 {
				silent = false
			}
		}
		if silent {
			continue
		}
		f := ToneIn(pcm, heardCandidates()...)
		if len(out) == 0 || out[len(out)-1] != f {
			out = append(out, f)
		}
	}
	return out
}

// Tail is the last n bytes of s (a log's end for a failure message).
func Tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
