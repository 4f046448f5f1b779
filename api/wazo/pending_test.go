package wazo

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Unassociated incalls and extensions are bounded in number and
// forgotten after pendingTTL; an incall id never reuses a taken one.
func TestPendingBoundsAndExpiry(t *testing.T) {
	t.Parallel()
	p := newPending()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	taken := map[int64]bool{}
	for range pendingMax {
		id, ok := p.addIncall("main", func(n int64) bool { return taken[n] }, now)
		require.True(t, ok)
		require.False(t, taken[id], "a fresh id")
		require.Positive(t, id)
		taken[id] = true
		require.True(t, p.addExten(id, "1", "from-extern", now))
	}
	_, ok := p.addIncall("main", func(int64) bool { return false }, now)
	require.False(t, ok, "no more than pendingMax incalls")
	require.False(t, p.addExten(-1, "2", "from-extern", now), "no more than pendingMax extensions")

	inc, ext := p.snapshot(now.Add(pendingTTL))
	require.Len(t, inc, pendingMax)
	require.Len(t, ext, pendingMax)
	inc, ext = p.snapshot(now.Add(pendingTTL + time.Second))
	require.Empty(t, inc, "forgotten after pendingTTL")
	require.Empty(t, ext)
	_, ok = p.addIncall("main", func(int64) bool { return false }, now)
	require.True(t, ok, "room again")
}
