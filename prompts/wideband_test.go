package prompts

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
)

// amplitudeAt is a tone's amplitude at f in pcm (rate Hz), by projection
// over the middle half (away from the edges' filter ramps).
func amplitudeAt(pcm []int16, rate int, f float64) float64 {
	pcm = pcm[len(pcm)/4 : 3*len(pcm)/4]
	var c, s float64
	for i, v := range pcm {
		w := 2 * math.Pi * f * float64(i) / float64(rate)
		c += float64(v) * math.Cos(w)
		s += float64(v) * math.Sin(w)
	}
	return 2 * math.Hypot(c, s) / float64(len(pcm))
}

func decodeG722(payload []byte) []int16 {
	var d audio.G722Decoder
	out := make([]int16, 2*len(payload))
	d.Decode(out, payload)
	return out
}

// A 48 kHz prompt reaches a G.722 caller with its 6 kHz content (what a
// wideband caller hears better), a G.711 caller without it (it would
// alias), and each codec's payload is whole 20 ms frames of 160 bytes.
func TestWidebandPromptKeepsItsBand(t *testing.T) {
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

	assert.Equal(t, rate, p.Rate)
	assert.Len(t, p.Source, len(src), "the source is kept at its own rate (0.5 s is whole frames)")
	require.Equal(t, 25, p.Frames())
	for _, c := range []audio.Codec{audio.PCMU, audio.PCMA, audio.G722} {
		assert.Len(t, p.Payload(c), 25*160, c.String())
	}

	wide := decodeG722(p.Payload(audio.G722))
	assert.InDelta(t, 6000, amplitudeAt(wide, audio.G722SampleRate, 1000), 600, "1 kHz through G.722")
	assert.InDelta(t, 6000, amplitudeAt(wide, audio.G722SampleRate, 6000), 1200, "6 kHz through G.722: wideband")

	narrow := make([]int16, len(p.PCMU))
	audio.DecodeG711(narrow, p.PCMU, audio.PCMU)
	assert.InDelta(t, 6000, amplitudeAt(narrow, SampleRate, 1000), 600, "1 kHz through G.711")
	// 6 kHz does not exist at 8 kHz; had it aliased it would sit at 2 kHz.
	assert.Less(t, amplitudeAt(narrow, SampleRate, 2000), 100.0, "no 6 kHz alias at 2 kHz in G.711")

	fromFile, err := LoadFile(filepath.Join(dir, "wide.wav"))
	require.NoError(t, err)
	assert.Equal(t, "wide", fromFile.Name)
	assert.Equal(t, p.Codecs(), fromFile.Codecs(), "ivrd prompt reports what serve loads")
	_, err = LoadFile(filepath.Join(dir, "missing.wav"))
	require.Error(t, err)

	sum := p.Codecs()
	require.Len(t, sum, len(opusCodecs()))
	assert.Equal(t, "PCMU: 8 kHz narrowband (300-3400 Hz), from the 48 kHz source, 4000 bytes", sum[0].String())
	assert.Equal(t, "G722: 16 kHz wideband (50-7000 Hz), from the 48 kHz source, 4000 bytes", sum[2].String())
	assert.True(t, sum[2].Wideband())
	assert.False(t, sum[1].Wideband())
}

// An 8 kHz prompt (a recording, a generated tone) plays to a G.722 caller
// as the narrowband audio it is, at its level, and says so.
func TestNarrowPromptOnG722(t *testing.T) {
	p := New("beep", audio.Tone(1000, 1000, -10, 500, 0))
	assert.Equal(t, SampleRate, p.Rate)
	assert.Nil(t, p.Source)
	g := p.Payload(audio.G722)
	require.Len(t, g, len(p.PCM))
	wide := decodeG722(g)
	assert.InDelta(t, amplitudeAt(audio.Resample(p.PCM, SampleRate, audio.G722SampleRate), audio.G722SampleRate, 1000),
		amplitudeAt(wide, audio.G722SampleRate, 1000), 300)
	assert.Same(t, &g[0], &p.Payload(audio.G722)[0], "encoded once")
	assert.Equal(t, "G722: 16 kHz narrowband (300-3400 Hz), from the 8 kHz source, 4000 bytes", p.Codecs()[2].String())
}

// Joined prompts carry every codec's payload in order; the sources join
// when the rates agree.
func TestJoinWideband(t *testing.T) {
	a := NewAt("a", tone(1000, 16000, 0.1, 5000), 16000)
	b := NewAt("b", tone(500, 16000, 0.2, 5000), 16000)
	n := New("n", tone(700, 8000, 0.1, 5000))
	ab := Join("ab", a, b)
	assert.Equal(t, 16000, ab.Rate)
	assert.Len(t, ab.Source, len(a.Source)+len(b.Source))
	assert.Equal(t, append(append([]byte{}, a.Payload(audio.G722)...), b.Payload(audio.G722)...), ab.Payload(audio.G722))
	mixed := Join("an", a, n)
	assert.Equal(t, SampleRate, mixed.Rate)
	assert.Nil(t, mixed.Source)
	assert.Equal(t, append(append([]byte{}, a.Payload(audio.G722)...), n.Payload(audio.G722)...), mixed.Payload(audio.G722))
	assert.Equal(t, mixed.Frames()*160, len(mixed.Payload(audio.PCMA)))
}
