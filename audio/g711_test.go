package audio

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"
)

// The tables must agree with the reference conversions for every input:
// a table slip would be heard on every call.
func TestG711TablesMatchReferenceForEveryValue(t *testing.T) {
	t.Parallel()
	for v := math.MinInt16; v <= math.MaxInt16; v++ {
		s := int16(v)
		require.Equal(t, g711.EncodeUlawFrame(s), EncodeSample(s, PCMU), "µ-law encode %d", s)
		require.Equal(t, g711.EncodeAlawFrame(s), EncodeSample(s, PCMA), "A-law encode %d", s)
	}
	for b := range 256 {
		require.Equal(t, g711.DecodeUlawFrame(uint8(b)), DecodeSample(byte(b), PCMU), "µ-law decode %#x", b)
		require.Equal(t, g711.DecodeAlawFrame(uint8(b)), DecodeSample(byte(b), PCMA), "A-law decode %#x", b)
	}
}

func TestG711BufferFunctionsStopAtTheShorterSlice(t *testing.T) {
	t.Parallel()
	pcm := []int16{0, 1000, -1000, 32767, -32768}
	for _, c := range []Codec{PCMU, PCMA} {
		enc := make([]byte, 3)
		assert.Equal(t, 3, EncodeG711(enc, pcm, c))
		dec := make([]int16, 8)
		assert.Equal(t, 3, DecodeG711(dec, enc, c))
		assert.Equal(t, RoundTrip(pcm[:3], c), dec[:3], c.String())
		assert.Equal(t, []int16{0, 0, 0, 0, 0}, dec[3:], "%s: nothing written past the payload", c)
	}
}

func TestSilenceByteDecodesToZero(t *testing.T) {
	t.Parallel()
	for _, c := range []Codec{PCMU, PCMA} {
		assert.Equal(t, c.SilenceByte(), EncodeSample(0, c), c.String())
		assert.InDelta(t, 0, DecodeSample(c.SilenceByte(), c), 8, c.String())
	}
}

func TestParseCodec(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]Codec{"PCMU": PCMU, "pcmu": PCMU, "PCMA": PCMA, " pcma ": PCMA} {
		c, err := ParseCodec(name)
		require.NoError(t, err, name)
		assert.Equal(t, want, c, name)
	}
	for _, name := range []string{"G722", "g.722"} {
		c, err := ParseCodec(name)
		require.NoError(t, err, name)
		assert.Equal(t, G722, c)
	}
	_, err := ParseCodec("G729")
	assert.ErrorIs(t, err, ErrUnknownCodec)
	assert.ErrorContains(t, err, `"G729"`)
	assert.Equal(t, "G722", G722.String())
	assert.Equal(t, uint8(9), G722.PayloadType())
	assert.Equal(t, 8000, G722.ClockRate(), "RFC 3551: G.722's RTP clock is 8000")
	assert.Equal(t, 16000, G722.AudioRate())
	assert.Equal(t, "PCMU", PCMU.String())
	assert.Equal(t, "PCMA", PCMA.String())
	assert.Equal(t, uint8(8), PCMA.PayloadType())
	assert.Equal(t, 8000, PCMU.ClockRate())
}

// A 20 ms frame is what every RTP packet carries: encoding and decoding
// one must not allocate.
func BenchmarkEncodeG711Frame(b *testing.B) {
	pcm := make([]int16, 160)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(float64(i)))
	}
	dst := make([]byte, 160)
	for _, c := range []Codec{PCMU, PCMA} {
		b.Run(c.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				EncodeG711(dst, pcm, c)
			}
		})
	}
}

func BenchmarkDecodeG711Frame(b *testing.B) {
	payload := make([]byte, 160)
	for i := range payload {
		payload[i] = byte(i)
	}
	dst := make([]int16, 160)
	for _, c := range []Codec{PCMU, PCMA} {
		b.Run(c.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				DecodeG711(dst, payload, c)
			}
		})
	}
}

func TestG711FramesDoNotAllocate(t *testing.T) {
	pcm, enc, dec := make([]int16, 160), make([]byte, 160), make([]int16, 160)
	allocs := testing.AllocsPerRun(100, func() {
		EncodeG711(enc, pcm, PCMA)
		DecodeG711(dec, enc, PCMU)
	})
	assert.Zero(t, allocs)
}
