package prompts

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
)

// wavBytes builds a 16-bit PCM WAV file by hand at any rate (audio.WriteWAV
// writes only 8 kHz): the library must resample what it loads.
func wavBytes(rate int, pcm []int16) []byte {
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	data := le16(pcm)
	b.WriteString("RIFF")
	w(uint32(36 + len(data)))
	b.WriteString("WAVEfmt ")
	w(uint32(16))
	w(uint16(1)) // PCM
	w(uint16(1)) // mono
	w(uint32(rate))
	w(uint32(rate * 2))
	w(uint16(2))
	w(uint16(16))
	b.WriteString("data")
	w(uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}

func tone(freq float64, rate int, secs float64, amp float64) []int16 {
	n := int(secs * float64(rate))
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return out
}

func le16(pcm []int16) []byte {
	b := make([]byte, 2*len(pcm))
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	return b
}

func TestLoadDirNamesBadFilesAndPadsFrames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hello.wav"), wavBytes(16000, tone(440, 16000, 0.3, 5000)), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "beep.pcm"), le16(tone(1000, 8000, 0.01, 5000)), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o644))
	lib, err := LoadDir(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"beep", "hello"}, lib.Names())
	beep, _ := lib.Get("beep")
	assert.Equal(t, 160, len(beep.PCM), "80 samples padded to one frame")
	assert.Equal(t, 1, beep.Frames())
	hello, _ := lib.Get("hello")
	assert.Equal(t, 0, len(hello.PCM)%FrameSamples)
	assert.Equal(t, len(hello.PCM), len(hello.Payload(audio.PCMU)))
	assert.Equal(t, len(hello.PCM), len(hello.Payload(audio.PCMA)))
	assert.InDelta(t, 0.3, hello.Duration().Seconds(), 0.021)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "broken.wav"), []byte("RIFFxxxx"), 0o644))
	_, err = LoadDir(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "broken.wav")
	_, err = LoadDir(filepath.Join(dir, "missing"))
	assert.Error(t, err)
}

func TestBuiltinPromptsLoad(t *testing.T) {
	t.Parallel()
	lib := Builtin()
	for _, name := range []string{"welcome", "main-choices", "support-choices", "invalid", "goodbye", "timeout", "closed", "holiday", "opening-hours", "transferring", "voicemail-default"} {
		p, ok := lib.Get(name)
		require.True(t, ok, name)
		assert.Greater(t, p.Duration().Seconds(), 0.5, name)
		assert.Equal(t, len(p.PCM), len(p.PCMU))
	}
}

func TestNewEncodesBothCodecs(t *testing.T) {
	t.Parallel()
	pcm := tone(1000, 8000, 0.02, 8000)
	p := New("t", pcm)
	for _, c := range []audio.Codec{audio.PCMU, audio.PCMA} {
		want := make([]byte, len(pcm))
		audio.EncodeG711(want, pcm, c)
		assert.Equal(t, want, p.Payload(c), c.String())
	}
}
