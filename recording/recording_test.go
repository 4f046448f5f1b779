package recording

import (
	"encoding/binary"
	"errors"
	"log/slog"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/media"
	"github.com/ivrd/ivrd/prompts"
)

// pair is two sessions sending to each other on loopback: "caller" is
// the peer, "ivrd" the session recorded.
func pair(t *testing.T) (ivrd, caller *media.Session) {
	t.Helper()
	return pairWith(t, audio.PCMU)
}

func pairWith(t *testing.T, codec audio.Codec) (ivrd, caller *media.Session) {
	t.Helper()
	base := 21000 + (os.Getpid()%10)*300
	e, err := media.NewEngine(media.EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: base, PortMax: base + 299,
		Pacers: 1, RTCPInterval: -1})
	require.NoError(t, err)
	t.Cleanup(e.Close)
	a, err := e.NewSession()
	require.NoError(t, err)
	b, err := e.NewSession()
	require.NoError(t, err)
	t.Cleanup(a.Close)
	t.Cleanup(b.Close)
	a.Start(media.Params{Remote: b.LocalAddr(), Codec: codec, Send: true})
	b.Start(media.Params{Remote: a.LocalAddr(), Codec: codec, Send: true})
	return a, b
}

func tone(name string, freq float64, frames int) *prompts.Prompt {
	pcm := make([]int16, frames*prompts.FrameSamples)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*freq*float64(i)/8000))
	}
	return prompts.New(name, pcm)
}

// power is the Goertzel power of freq in pcm at rate.
func power(pcm []int16, freq float64, rate int) float64 {
	k := 2 * math.Cos(2*math.Pi*freq/float64(rate))
	var s1, s2 float64
	for _, x := range pcm {
		s := float64(x) + k*s1 - s2
		s2, s1 = s1, s
	}
	return s1*s1 + s2*s2 - k*s1*s2
}

// readWAV checks the header and returns each channel.
func readWAV(t *testing.T, path string) (rate int, chans [][]int16) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Greater(t, len(b), wavHeaderLen)
	le := binary.LittleEndian
	require.Equal(t, "RIFF", string(b[0:4]))
	require.Equal(t, "WAVE", string(b[8:12]))
	n := int(le.Uint16(b[22:24]))
	rate = int(le.Uint32(b[24:28]))
	data := int(le.Uint32(b[40:44]))
	require.Equal(t, len(b)-wavHeaderLen, data, "the header's data size is the file's")
	chans = make([][]int16, n)
	for i := wavHeaderLen; i+2*n <= len(b); i += 2 * n {
		for c := range n {
			chans[c] = append(chans[c], int16(le.Uint16(b[i+2*c:])))
		}
	}
	return rate, chans
}

// A recorded call is a stereo WAV: what the caller sent on the left, what
// ivrd played on the right, each without the other.
func TestStereoHoldsEachDirectionOnItsOwnChannel(t *testing.T) {
	t.Parallel()
	ivrd, caller := pair(t)
	var mu sync.Mutex
	var got []Info
	r := New(Options{Dir: t.TempDir(), Poll: 20 * time.Millisecond, Index: func(i Info) { mu.Lock(); got = append(got, i); mu.Unlock() }})
	rec, err := r.Start("call-1", ivrd, Stereo)
	require.NoError(t, err)
	done := make(chan struct{}, 2)
	caller.Play(tone("caller", 1000, 50), func() { done <- struct{}{} })
	ivrd.Play(tone("prompt", 440, 50), func() { done <- struct{}{} })
	<-done
	<-done
	info := rec.Stop()
	assert.Equal(t, info, rec.Stop(), "Stop twice is the same recording")
	mu.Lock()
	require.Len(t, got, 1, "indexed once")
	mu.Unlock()
	assert.Empty(t, info.Stopped)
	assert.Equal(t, 2, info.Channels)
	assert.Equal(t, 8000, info.Rate)
	assert.GreaterOrEqual(t, info.Duration, 900*time.Millisecond)
	rate, ch := readWAV(t, info.Path)
	require.Equal(t, 8000, rate)
	require.Len(t, ch, 2)
	assert.Equal(t, info.Bytes, int64(wavHeaderLen+4*len(ch[0])))
	left, right := ch[0], ch[1]
	assert.Greater(t, power(left, 1000, rate), 100*power(left, 440, rate), "the caller's tone is on the left")
	assert.Greater(t, power(right, 440, rate), 100*power(right, 1000, rate), "the prompt is on the right")
}

// A wideband (G.722) call is recorded at 8 kHz (what the taps give),
// each side still on its own channel.
func TestWidebandIsRecordedNarrow(t *testing.T) {
	t.Parallel()
	ivrd, caller := pairWith(t, audio.G722)
	rec, err := New(Options{Dir: t.TempDir(), Poll: 20 * time.Millisecond}).Start("call-w", ivrd, Stereo)
	require.NoError(t, err)
	done := make(chan struct{}, 2)
	caller.Play(tone("caller", 1000, 50), func() { done <- struct{}{} })
	ivrd.Play(tone("prompt", 440, 50), func() { done <- struct{}{} })
	<-done
	<-done
	info := rec.Stop()
	assert.Equal(t, 8000, info.Rate)
	rate, ch := readWAV(t, info.Path)
	require.Equal(t, 8000, rate)
	require.Len(t, ch, 2)
	assert.GreaterOrEqual(t, len(ch[0]), 7500, "a second of 8 kHz samples")
	assert.Greater(t, power(ch[0], 1000, rate), 100*power(ch[0], 440, rate), "the caller's tone is on the left")
	assert.Greater(t, power(ch[1], 440, rate), 100*power(ch[1], 1000, rate), "the prompt is on the right")
}

// Mono mixes both directions.
func TestMonoMixesBoth(t *testing.T) {
	t.Parallel()
	ivrd, caller := pair(t)
	r := New(Options{Dir: t.TempDir(), Poll: 20 * time.Millisecond})
	rec, err := r.Start("call-2", ivrd, Mono)
	require.NoError(t, err)
	done := make(chan struct{}, 2)
	caller.Play(tone("caller", 1000, 40), func() { done <- struct{}{} })
	ivrd.Play(tone("prompt", 440, 40), func() { done <- struct{}{} })
	<-done
	<-done
	info := rec.Stop()
	rate, ch := readWAV(t, info.Path)
	require.Len(t, ch, 1)
	quiet := power(ch[0], 2500, rate)
	assert.Greater(t, power(ch[0], 1000, rate), 100*quiet)
	assert.Greater(t, power(ch[0], 440, rate), 100*quiet)
}

// fullDisk accepts the header and then fails every write.
type fullDisk struct {
	mu     sync.Mutex
	n      int
	closed bool
}

var errNoSpace = errors.New("no space left on device")

func (f *fullDisk) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n >= wavHeaderLen {
		return 0, errNoSpace
	}
	f.n += len(p)
	return len(p), nil
}
func (f *fullDisk) Seek(int64, int) (int64, error) { return 0, nil }
func (f *fullDisk) Close() error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	return nil
}

// A disk that fills up stops the recording with its reason, detaches it
// from the session (the call's audio goes on) and still closes the file.
func TestFullDiskStopsTheRecordingNotTheCall(t *testing.T) {
	t.Parallel()
	ivrd, caller := pair(t)
	disk := &fullDisk{}
	logs := &testenv.Buffer{}
	r := New(Options{Dir: "unused", Poll: 10 * time.Millisecond, Create: func(string) (File, error) { return disk, nil },
		Log: slog.New(slog.NewTextHandler(logs, nil))})
	rec, err := r.Start("call-3", ivrd, Stereo)
	require.NoError(t, err)
	// 32 KB of buffer is a second of stereo: the first flush fails,
	// while the call goes on.
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "recording stopped") }, 5*time.Second, 20*time.Millisecond)
	info := rec.Stop()
	assert.Contains(t, info.Stopped, "no space left on device")
	disk.mu.Lock()
	assert.True(t, disk.closed)
	disk.mu.Unlock()
	// The session still sends and receives.
	before := ivrd.Stats()
	require.Eventually(t, func() bool {
		st := ivrd.Stats()
		return st.Sent > before.Sent+5 && st.Received > before.Received+5
	}, 3*time.Second, 20*time.Millisecond)
	_ = caller
}

func TestDefaultFileIsInADayFolder(t *testing.T) {
	t.Parallel()
	ivrd, _ := pair(t)
	dir := t.TempDir()
	rec, err := New(Options{Dir: dir}).Start("c", ivrd, "")
	require.NoError(t, err)
	info := rec.Stop()
	assert.Equal(t, filepath.Join(dir, info.Start.UTC().Format("2006-01-02"), info.ID+".wav"), info.Path)
	assert.Equal(t, Stereo, info.Format)
}
