//go:build opus

package prompts

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/audio/opus"
)

// decodeOpus plays a prompt's Opus payload through one decoder, as a
// caller's phone would.
func decodeOpus(t *testing.T, payload []byte) []int16 {
	t.Helper()
	dec, err := opus.NewDecoder()
	require.NoError(t, err)
	var out []int16
	for i := 0; i < len(payload); i += audio.OpusFrameBytes {
		pcm, err := dec.Decode(payload[i : i+audio.OpusFrameBytes])
		require.NoError(t, err, "packet %d", i/audio.OpusFrameBytes)
		out = append(out, pcm...)
	}
	return out
}

// A 48 kHz prompt reaches an Opus caller in wideband (its 6 kHz tone
// heard), coded at load as one 80-byte packet a frame; ivrd prompt says
// so. A prompt made from 8 kHz samples (a voicemail message) is coded on
// first use and stays narrowband.
func TestOpusPromptIsWidebandAndCodedAtLoad(t *testing.T) {
	const rate = 48000
	src := make([]int16, rate/2)
	for i := range src {
		ts := float64(i) / rate
		src[i] = int16(6000*math.Sin(2*math.Pi*1000*ts) + 6000*math.Sin(2*math.Pi*6000*ts))
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wide.wav"), wavBytes(rate, src), 0o644))
	lib, err := LoadDir(dir)
	require.NoError(t, err)
	p, ok := lib.Get("wide")
	require.True(t, ok)
	require.Equal(t, 25, p.Frames())

	require.NotNil(t, p.opus)
	assert.NotNil(t, p.opus.data, "coded at load, not at the first call")
	payload := p.Payload(audio.Opus)
	require.Len(t, payload, 25*audio.OpusFrameBytes)
	heard := decodeOpus(t, payload)
	assert.InDelta(t, 6000, amplitudeAt(heard, opus.SampleRate, 1000), 1200, "1 kHz through Opus")
	assert.InDelta(t, 6000, amplitudeAt(heard, opus.SampleRate, 6000), 1800, "6 kHz through Opus: wideband")

	sum := p.Codecs()
	require.Len(t, sum, 4)
	assert.Equal(t, "opus: 16 kHz wideband (50-7000 Hz), from the 48 kHz source, 2000 bytes", sum[3].String())

	narrow := New("message", src[:8000])
	assert.Nil(t, narrow.opus.data, "a call-time prompt is coded for Opus on first use")
	heard = decodeOpus(t, narrow.Payload(audio.Opus))
	require.Len(t, heard, 2*len(narrow.PCM))
	assert.Less(t, amplitudeAt(heard, opus.SampleRate, 6000), 300.0, "an 8 kHz prompt has nothing above 4 kHz")

	joined := Join("both", p, narrow)
	assert.Len(t, joined.Payload(audio.Opus), joined.Frames()*audio.OpusFrameBytes)
}
