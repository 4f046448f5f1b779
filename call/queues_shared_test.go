package call

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/store"
)

// agentStateIn is agent's state in queue q of qs.
func agentStateIn(qs *Queues, cfg *ivr.Config, q, agent string) AgentState {
	for _, v := range qs.List(cfg) {
		if v.ID == q {
			for _, a := range v.Agents {
				if a.Name == agent {
					return a.State
				}
			}
		}
	}
	return ""
}

// Two nodes on one store: an agent logged out through one is logged out
// on the other once it syncs, and logged back in the same way; the
// other node's own earlier change does not undo a later one.
func TestQueueLoginsSharedThroughTheStore(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "ivrd.db"), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	cfg := &ivr.Config{Extensions: []ivr.Extension{{Number: "201"}},
		Queues: []ivr.Queue{{ID: "q", Members: []string{"201"}, Strategy: ivr.QueueRingAll}}}
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	node := func() *Queues {
		qs := NewQueues()
		qs.shared = st
		qs.now = func() time.Time { return now }
		return qs
	}
	a, b := node(), node()
	require.Equal(t, AgentFree, agentStateIn(b, cfg, "q", "201"))

	require.NoError(t, a.SetLoggedIn(cfg, "q", "201", false))
	require.Equal(t, AgentFree, agentStateIn(b, cfg, "q", "201"), "not before b syncs")
	require.NoError(t, b.Sync(ctx, cfg))
	require.Equal(t, AgentLoggedOut, agentStateIn(b, cfg, "q", "201"), "logged out on a, logged out on b")

	now = now.Add(time.Minute)
	require.NoError(t, b.SetLoggedIn(cfg, "q", "201", true))
	require.NoError(t, a.Sync(ctx, cfg))
	require.Equal(t, AgentFree, agentStateIn(a, cfg, "q", "201"), "logged back in through b")
	require.NoError(t, b.Sync(ctx, cfg))
	require.Equal(t, AgentFree, agentStateIn(b, cfg, "q", "201"), "b's own change stands")
}
