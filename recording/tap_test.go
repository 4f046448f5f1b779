package recording

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/media"
)

// The ring the media path copies into allocates nothing, keeps each
// frame's direction and samples, cuts an over-long frame, and drops and
// counts frames when full instead of waiting.
func TestRingCopiesWithoutAllocatingAndDropsWhenFull(t *testing.T) {
	var _ media.Tap = (*ring)(nil)
	r := newRing(1100)
	in := make([]int16, media.FrameSamples)
	for i := range in {
		in[i] = int16(i)
	}
	allocs := testing.AllocsPerRun(500, func() {
		r.Inbound(in)
		r.Outbound(in[:80])
	})
	assert.Zero(t, allocs)
	got := make([]frame, 2000)
	n := r.read(got)
	require.Equal(t, 1002, n)
	assert.False(t, got[0].sent)
	assert.Equal(t, in, got[0].pcm[:got[0].n])
	assert.True(t, got[1].sent)
	assert.Equal(t, 80, got[1].n)

	r.Inbound(make([]int16, 5*media.FrameSamples))
	n = r.read(got)
	require.Equal(t, 1, n)
	assert.Equal(t, maxFrame, got[0].n, "cut to the slot")

	small := newRing(2)
	small.Inbound(in)
	small.Outbound(in)
	small.Inbound(in)
	assert.Equal(t, uint64(1), small.dropped.Load())
	assert.Equal(t, 2, small.read(got))
}
