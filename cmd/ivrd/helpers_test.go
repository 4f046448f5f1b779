package main

import (
	"bytes"
	"context"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-audio/audio"
	"github.com/go-audio/wav"
	"github.com/pion/rtp"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"

	"github.com/ivrd/ivrd/dtmf"
	"github.com/ivrd/ivrd/sip/siptest"
)

func writeConfig(t *testing.T, text string, repl ...string) string {
	t.Helper()
	dir := t.TempDir()
	writeTone(t, filepath.Join(dir, "beep.wav"), 500, 200*time.Millisecond)
	base := 38000 + (os.Getpid()%200)*40
	r := append([]string{"PROMPTS", dir, "RTP_RANGE", strconv.Itoa(base) + "-" + strconv.Itoa(base+39)}, repl...)
	path := filepath.Join(dir, "ivrd.yaml")
	require.NoError(t, os.WriteFile(path, []byte(strings.NewReplacer(r...).Replace(text)), 0o644))
	return path
}

func newCaller(t *testing.T) *siptest.Caller {
	t.Helper()
	c, err := siptest.NewCaller("udp")
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func startConfig(t *testing.T, path string) *service {
	t.Helper()
	svc, err := newService(path, os.Stderr, "warn")
	require.NoError(t, err)
	require.NoError(t, svc.Start(context.Background()))
	t.Cleanup(svc.Close)
	return svc
}

// writeTone writes an 8 kHz 16-bit mono WAV holding a sine of freq Hz.
func writeTone(t *testing.T, path string, freq float64, dur time.Duration) []int16 {
	t.Helper()
	n := int(dur.Seconds() * 8000)
	pcm := make([]int16, n)
	ints := make([]int, n)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*freq*float64(i)/8000))
		ints[i] = int(pcm[i])
	}
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	enc := wav.NewEncoder(f, 8000, 16, 1, 1)
	require.NoError(t, enc.Write(&audio.IntBuffer{Data: ints, Format: &audio.Format{NumChannels: 1, SampleRate: 8000}, SourceBitDepth: 16}))
	require.NoError(t, enc.Close())
	return pcm
}

// syncBuffer collects the service's log lines from its goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// sendEvent sends one RFC 4733 key press as a real phone does: a start
// packet with the marker bit, continuations every 50 ms, three end packets.
func sendEvent(t *testing.T, c *siptest.Caller, to netip.AddrPort, pt uint8, key byte, seq *uint16, ts uint32) {
	t.Helper()
	send := func(marker, end bool, dur uint16) {
		*seq++
		require.NoError(t, c.SendRTP(to, rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: *seq, Timestamp: ts, SSRC: 0xCAFE, Marker: marker}, dtmf.AppendEvent(nil, key, end, 10, dur)))
	}
	send(true, false, 400)
	for d := uint16(800); d <= 1600; d += 400 {
		time.Sleep(50 * time.Millisecond)
		send(false, false, d)
	}
	for i := 0; i < 3; i++ {
		send(false, true, 1600)
	}
}

// toneIn names which of the candidate frequencies dominates 8 kHz audio.
func toneIn(pcm []int16, candidates ...float64) float64 {
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

// heard lists the tones of the packets received, merging repeats:
// e.g. [440 1000 300 1000].
func heard(pkts []siptest.Packet) []float64 {
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
		f := toneIn(pcm, 440, 1000, 700, 300)
		if len(out) == 0 || out[len(out)-1] != f {
			out = append(out, f)
		}
	}
	return out
}

// freeUDPPort finds a loopback UDP port nobody holds right now.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// waitHeard waits (bounded) until the tones the caller heard, in order,
// are want: a test acts on what the caller hears, not on the clock.
func waitHeard(t *testing.T, c *siptest.Caller, want ...float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := heard(c.Packets())
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) || (len(got) > len(want)) {
			require.Equal(t, want, got, "tones heard")
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
