package store

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Two nodes on one store share a box's wrong PINs: the box locks after
// lockout_after failures counted across both, and rotate groups go round
// across them.
func TestSharedLockoutAndRotation(t *testing.T) {
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		a, err := Open(ctx, url, Options{})
		require.NoError(t, err)
		defer a.Close()
		b := a
		if strings.HasPrefix(url, "postgres") {
			b, err = Open(ctx, url, Options{})
			require.NoError(t, err)
			defer b.Close()
		}
		now := time.Now()
		for i, st := range []*Store{a, b, a, b} {
			locked, err := st.PINLocked(ctx, "1001", now)
			require.NoError(t, err)
			assert.False(t, locked, "not locked after %d failures", i)
			require.NoError(t, st.PINFailed(ctx, "1001", 5, time.Minute, now))
		}
		require.NoError(t, b.PINFailed(ctx, "1001", 5, time.Minute, now))
		for _, st := range []*Store{a, b} {
			locked, err := st.PINLocked(ctx, "1001", now)
			require.NoError(t, err)
			assert.True(t, locked, "the fifth failure, on either node, locks the box for both")
		}
		locked, err := a.PINLocked(ctx, "1001", now.Add(2*time.Minute))
		require.NoError(t, err)
		assert.False(t, locked, "the lockout ends")
		require.NoError(t, a.PINFailed(ctx, "1002", 3, time.Minute, now))
		require.NoError(t, b.PINSucceeded(ctx, "1002"))
		require.NoError(t, a.PINFailed(ctx, "1002", 3, time.Minute, now))
		require.NoError(t, a.PINFailed(ctx, "1002", 3, time.Minute, now))
		locked, err = b.PINLocked(ctx, "1002", now)
		require.NoError(t, err)
		assert.False(t, locked, "a right PIN reset the count")

		// 30 calls from both nodes at once on a group of 3: each member
		// starts 10 of them.
		var mu sync.Mutex
		starts := map[int]int{}
		var wg sync.WaitGroup
		for i := 0; i < 30; i++ {
			st := []*Store{a, b}[i%2]
			wg.Add(1)
			go func() {
				defer wg.Done()
				i, err := st.RotationTake(ctx, "sales", 3)
				assert.NoError(t, err)
				mu.Lock()
				starts[i]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		assert.Equal(t, map[int]int{0: 10, 1: 10, 2: 10}, starts)
	})
}

// Queue agents' logins are the cluster's: what one node sets, another
// reads; an older change never overwrites a newer one.
func TestSharedAgentLogins(t *testing.T) {
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		a, err := Open(ctx, url, Options{})
		require.NoError(t, err)
		defer a.Close()
		b := a
		if strings.HasPrefix(url, "postgres") {
			b, err = Open(ctx, url, Options{})
			require.NoError(t, err)
			defer b.Close()
		}
		now := time.Now().Truncate(time.Millisecond)
		require.NoError(t, a.AgentSetLoggedIn(ctx, "support", "201", false, now))
		got, err := b.AgentLogins(ctx)
		require.NoError(t, err)
		require.Equal(t, []AgentLogin{{Queue: "support", Agent: "201", LoggedIn: false, Changed: now}}, got)

		require.NoError(t, b.AgentSetLoggedIn(ctx, "support", "201", true, now.Add(time.Second)))
		require.NoError(t, a.AgentSetLoggedIn(ctx, "support", "201", false, now.Add(-time.Second)), "a late write")
		got, err = a.AgentLogins(ctx)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.True(t, got[0].LoggedIn, "the newer change stands")
	})
}
