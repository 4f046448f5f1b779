package call

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/ivr"
)

// TestQueueStrategyChoice: each strategy's choice among the free agents.
func TestQueueStrategyChoice(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	members := []string{"201", "202", "203", "204"}
	free := []candidate{{"201", t0.Add(3 * time.Minute)}, {"203", t0.Add(time.Minute)}, {"204", t0.Add(2 * time.Minute)}}

	require.Equal(t, []string{"201", "203", "204"}, chooseAgents(ivr.QueueRingAll, free, members, 2), "ringall rings every free agent")
	require.Equal(t, []string{"203"}, chooseAgents(ivr.QueueLongestIdle, free, members, 0), "203 has been idle since 9:01, the longest")
	require.Equal(t, []string{"203"}, chooseAgents(ivr.QueueRoundRobin, free, members, 1), "the turn is 202's, busy: the next free one")
	require.Equal(t, []string{"204"}, chooseAgents(ivr.QueueRoundRobin, free, members, 3))
	require.Equal(t, []string{"201"}, chooseAgents(ivr.QueueRoundRobin, free, members, 4), "the turn wraps round")
	require.Empty(t, chooseAgents(ivr.QueueRingAll, nil, members, 0), "nobody free: nobody rung")
}

// TestQueueOrderOfArrival: the second caller gets no agent while the
// first is waiting for one, and gets one once the first is being served;
// a logged-out agent, one ringing and one wrapping up are not free.
func TestQueueOrderOfArrival(t *testing.T) {
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	qs := NewQueues()
	qs.now = func() time.Time { return now }
	cfg := &ivr.Config{Extensions: []ivr.Extension{{Number: "201"}, {Number: "202"}, {Number: "203"}},
		Queues: []ivr.Queue{{ID: "q", Members: []string{"201", "202", "203"}, Strategy: ivr.QueueRoundRobin}}}
	q := &cfg.Queues[0]
	first, pos1, ok := qs.enqueue(cfg, q, "a", "1001")
	require.True(t, ok)
	second, pos2, _ := qs.enqueue(cfg, q, "b", "1002")
	require.Equal(t, []int{1, 2}, []int{pos1, pos2})
	require.NoError(t, qs.SetLoggedIn(cfg, "q", "201", false))
	require.ErrorIs(t, qs.SetLoggedIn(cfg, "q", "999", false), ErrNotAgent)

	all := []string{"201", "202", "203"}
	require.Empty(t, qs.claim(q, second, all, 0), "the second caller waits for the first")
	require.Equal(t, []string{"202"}, qs.claim(q, first, all, 0), "201 is logged out: 202 is next")
	require.Equal(t, []string{"203"}, qs.claim(q, second, all, 0), "the first is being rung for: the second may have 203")

	qs.answered(first, []string{"202"}, "202", 20*time.Second)
	require.Equal(t, 1, qs.position(second), "the second moves up")
	qs.ringEnded(second, []string{"203"})
	qs.callEnded("q", "202", 30*time.Second)
	list := qs.List(cfg)
	states := map[string]AgentState{}
	for _, a := range list[0].Agents {
		states[a.Name] = a.State
	}
	require.Equal(t, map[string]AgentState{"201": AgentLoggedOut, "202": AgentWrapUp, "203": AgentFree}, states)
	require.Equal(t, uint64(1), list[0].AnsweredInTime)
	now = now.Add(31 * time.Second)
	require.Equal(t, []string{"202"}, qs.claim(q, second, []string{"202"}, 0), "wrap-up over: 202 is free again")
}
