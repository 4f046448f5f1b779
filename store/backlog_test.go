package store

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBacklogKeepsOrderCountsWhatIsHeldAndDrainsOnClose: items come out
// oldest first in batches of at most max; Len counts what a writer holds
// until it says Done; nothing pushed is refused before Close, and what is
// queued at Close is still taken.
func TestBacklogKeepsOrderCountsWhatIsHeldAndDrainsOnClose(t *testing.T) {
	t.Parallel()
	b := NewBacklog[int]()
	for i := range 10 {
		require.True(t, b.Push(i))
	}
	require.Equal(t, 10, b.Len())
	batch, ok := b.Take(nil, 4)
	require.True(t, ok)
	require.Equal(t, []int{0, 1, 2, 3}, batch)
	require.Equal(t, 10, b.Len(), "what a writer holds is not written yet")
	b.Done(len(batch))
	require.Equal(t, 6, b.Len())

	b.Close()
	require.False(t, b.Push(99), "closed: refused, and the caller is told")
	var rest []int
	for {
		batch, ok := b.Take(nil, 4)
		if !ok {
			break
		}
		rest = append(rest, batch...)
		b.Done(len(batch))
	}
	require.Equal(t, []int{4, 5, 6, 7, 8, 9}, rest)
	require.Zero(t, b.Len())
}
