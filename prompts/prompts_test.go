package prompts

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"
)

// wavBytes builds a WAV file by hand so tests control every header field.
func wavBytes(format uint16, rate, chans, bits int, data []byte) []byte {
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	w(uint32(36 + len(data)))
	b.WriteString("WAVEfmt ")
	w(uint32(16))
	w(format)
	w(uint16(chans))
	w(uint32(rate))
	w(uint32(rate * chans * bits / 8))
	w(uint16(chans * bits / 8))
	w(uint16(bits))
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

// level is the RMS amplitude of freq in pcm (8 kHz), by a Goertzel filter
// over the middle of the signal (edges hold filter ramp-up).
func level(pcm []int16, freq float64) float64 {
	pcm = pcm[len(pcm)/4 : 3*len(pcm)/4]
	k := 2 * math.Cos(2*math.Pi*freq/SampleRate)
	var s1, s2 float64
	for _, x := range pcm {
		s := float64(x) + k*s1 - s2
		s2, s1 = s1, s
	}
	power := s1*s1 + s2*s2 - k*s1*s2
	return math.Sqrt(power) / float64(len(pcm)) // proportional to amplitude: tests compare ratios
}

func db(x float64) float64 { return 20 * math.Log10(x) }

func TestResample44kKeepsToneAndRejectsAboveNyquist(t *testing.T) {
	in1k := tone(1000, 44100, 1, 10000)
	out := Resample(in1k, 44100, 8000)
	assert.InDelta(t, 8000, len(out), 1)
	ref := level(tone(1000, 8000, 1, 10000), 1000)
	got := level(out, 1000)
	assert.InDelta(t, 0, db(got/ref), 0.2, "1 kHz level change in dB")
	// The energy is at 1 kHz, not elsewhere: compare with 2 kHz.
	assert.Less(t, db(level(out, 2000)/got), -40.0)

	out5k := Resample(tone(5000, 44100, 1, 10000), 44100, 8000)
	alias := level(out5k, 3000) // where 5 kHz folds to when samples are dropped
	t.Logf("1 kHz level error %.3f dB; 5 kHz alias at 3 kHz %.1f dB", db(got/ref), db(alias/ref))
	assert.Less(t, db(alias/ref), -40.0, "5 kHz must be at least 40 dB down")
}

func TestResampleOtherRates(t *testing.T) {
	for _, rate := range []int{16000, 22050, 48000, 11025} {
		out := Resample(tone(800, rate, 1, 12000), rate, 8000)
		ref := level(tone(800, 8000, 1, 12000), 800)
		assert.InDelta(t, 0, db(level(out, 800)/ref), 0.3, "rate %d", rate)
	}
	// Up-sampling keeps the tone too.
	up := Resample(tone(500, 8000, 1, 9000), 8000, 16000)
	assert.Len(t, up, 16000)
}

func TestDecodeFormats(t *testing.T) {
	src := tone(1000, 8000, 0.5, 8000)
	ulaw := make([]byte, len(src))
	alaw := make([]byte, len(src))
	for i, s := range src {
		ulaw[i] = g711.EncodeUlawFrame(s)
		alaw[i] = g711.EncodeAlawFrame(s)
	}
	stereo := make([]int16, 0, 2*len(src))
	for _, s := range src {
		stereo = append(stereo, s, s)
	}
	cases := map[string][]byte{
		"pcm16 mono 8k":   wavBytes(1, 8000, 1, 16, le16(src)),
		"pcm16 stereo 8k": wavBytes(1, 8000, 2, 16, le16(stereo)),
		"ulaw":            wavBytes(7, 8000, 1, 8, ulaw),
		"alaw":            wavBytes(6, 8000, 1, 8, alaw),
		"pcm16 48k":       wavBytes(1, 48000, 1, 16, le16(tone(1000, 48000, 0.5, 8000))),
	}
	ref := level(src, 1000)
	for name, file := range cases {
		pcm, err := Decode(name+".wav", bytes.NewReader(file))
		require.NoError(t, err, name)
		assert.InDelta(t, 4000, len(pcm), 2, name)
		assert.InDelta(t, 0, db(level(pcm, 1000)/ref), 0.3, name)
	}
	raw, err := Decode("x.pcm", bytes.NewReader(le16(src)))
	require.NoError(t, err)
	assert.Equal(t, src, raw)
}

func TestDecodeErrorsSayWhy(t *testing.T) {
	cases := map[string][]byte{
		"IEEE float":       wavBytes(3, 8000, 1, 32, make([]byte, 64)),
		"bit depth 24":     wavBytes(1, 8000, 1, 24, make([]byte, 66)),
		"not a readable":   []byte("this is not audio at all"),
		"truncated":        wavBytes(1, 8000, 1, 16, make([]byte, 100))[:60],
		"sample rate 1 Hz": wavBytes(1, 1, 1, 16, make([]byte, 8)),
	}
	for want, file := range cases {
		_, err := Decode("bad.wav", bytes.NewReader(file))
		if assert.Error(t, err, want) {
			assert.Contains(t, err.Error(), want)
		}
	}
	_, err := Decode("odd.pcm", bytes.NewReader([]byte{1, 2, 3}))
	assert.ErrorContains(t, err, "odd number of bytes")
}

// TestDecodeDoesNotBelieveChunkSizes: a 46-byte file whose fmt chunk
// claims 3.9 GB (found by FuzzDecode) is refused without allocating what
// it claims; the WAV decoder underneath would have taken 7 GB.
func TestDecodeDoesNotBelieveChunkSizes(t *testing.T) {
	file := []byte("RIFF\xc4\x00\x00\x00WAVEfmt \xc0\xe0\xe8\xe9\x00\x00\x18\x16@\x1f\x18\x16\x00\x00\xe8\xe9\xc0\xe0\xe8\xe9\x00\x00\x18\x16@\x00")
	listChunk := append(wavBytes(1, 8000, 1, 16, make([]byte, 320)), "LIST\xff\xff\xff\x7f"...)
	for name, b := range map[string][]byte{"fmt": file, "LIST after data": listChunk} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Decode("huge.wav", bytes.NewReader(b))
		runtime.ReadMemStats(&after)
		if name == "fmt" {
			assert.ErrorContains(t, err, `chunk "fmt " claims 3924353216 bytes`)
		}
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "%s: allocated %d bytes", name, after.TotalAlloc-before.TotalAlloc)
	}
}

func TestLoadDirNamesBadFilesAndPadsFrames(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hello.wav"), wavBytes(1, 16000, 1, 16, le16(tone(440, 16000, 0.3, 5000))), 0o644))
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
	assert.Equal(t, len(hello.PCM), len(hello.Payload(PCMU)))
	assert.Equal(t, len(hello.PCM), len(hello.Payload(PCMA)))
	assert.InDelta(t, 0.3, hello.Duration().Seconds(), 0.021)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "broken.wav"), []byte("RIFFxxxx"), 0o644))
	_, err = LoadDir(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "broken.wav")
	_, err = LoadDir(filepath.Join(dir, "missing"))
	assert.Error(t, err)
}

func TestBuiltinPromptsLoad(t *testing.T) {
	lib := Builtin()
	for _, name := range []string{"welcome", "main-choices", "support-choices", "invalid", "goodbye", "timeout", "closed", "holiday", "opening-hours", "transferring", "voicemail-default"} {
		p, ok := lib.Get(name)
		require.True(t, ok, name)
		assert.Greater(t, p.Duration().Seconds(), 0.5, name)
		assert.Equal(t, len(p.PCM), len(p.PCMU))
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(wavBytes(1, 8000, 1, 16, le16(tone(1000, 8000, 0.01, 8000))))
	f.Add(wavBytes(7, 8000, 2, 8, make([]byte, 10)))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVE"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pcm, err := Decode("fuzz.wav", bytes.NewReader(b))
		if err == nil && len(pcm) == 0 {
			t.Fatal("no error and no samples")
		}
	})
}
