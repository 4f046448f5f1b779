package audio

import (
	"bytes"
	"encoding/binary"
	"math"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

func TestDecodeFormats(t *testing.T) {
	t.Parallel()
	src := tone(1000, 8000, 0.5, 8000)
	ulaw := make([]byte, len(src))
	alaw := make([]byte, len(src))
	for i, s := range src {
		ulaw[i] = EncodeSample(s, PCMU)
		alaw[i] = EncodeSample(s, PCMA)
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
	t.Parallel()
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

// TestDecodeRejectsGarbage: the inputs the test-signal package's own WAV
// parser was checked against (it is gone; espeak-ng's output is read here).
func TestDecodeRejectsGarbage(t *testing.T) {
	t.Parallel()
	for _, b := range []string{"", "RIFF", "RIFF0000WAVE", "RIFF0000WAVEdata\x04\x00\x00\x00abcd"} {
		_, err := Decode("garbage.wav", bytes.NewReader([]byte(b)))
		assert.ErrorIs(t, err, ErrMalformed, "%q", b)
	}
}

func TestDecodeErrorsSayWhichKind(t *testing.T) {
	t.Parallel()
	_, err := Decode("float.wav", bytes.NewReader(wavBytes(3, 8000, 1, 32, make([]byte, 64))))
	assert.ErrorIs(t, err, ErrUnsupported)
	_, err = Decode("cut.wav", bytes.NewReader(wavBytes(1, 8000, 1, 16, make([]byte, 100))[:60]))
	assert.ErrorIs(t, err, ErrMalformed)
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

// Wideband files keep their rate (up to 48 kHz) for the codecs that can
// carry it; Decode still gives 8 kHz.
func TestDecodeNativeKeepsTheRate(t *testing.T) {
	for _, tc := range []struct{ rate, want int }{{8000, 8000}, {16000, 16000}, {44100, 44100}, {48000, 48000}, {96000, 48000}} {
		src := tone(6000, tc.rate, 0.25, 8000)
		if tc.rate == 8000 {
			src = tone(1000, tc.rate, 0.25, 8000)
		}
		pcm, rate, err := DecodeNative("x.wav", bytes.NewReader(wavBytes(wavPCM, tc.rate, 1, 16, le16(src))))
		require.NoError(t, err, tc.rate)
		assert.Equal(t, tc.want, rate, tc.rate)
		assert.InDelta(t, len(src)*tc.want/tc.rate, len(pcm), 2, tc.rate)
		if tc.rate == tc.want {
			assert.Equal(t, src, pcm, "kept as it was: %d Hz", tc.rate)
		}
	}
	pcm, rate, err := DecodeNative("x.pcm", bytes.NewReader(le16(tone(1000, 8000, 0.1, 8000))))
	require.NoError(t, err)
	assert.Equal(t, 8000, rate)
	assert.Len(t, pcm, 800)
}
