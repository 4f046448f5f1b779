package call

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/ivr"
)

// The estimated wait: nothing before a caller was answered; then the
// answered waits' rolling average (the first sets it, each next counts
// for a quarter) times the caller's position now.
func TestQueueEstimatedWait(t *testing.T) {
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	qs := NewQueues()
	qs.now = func() time.Time { return now }
	cfg := &ivr.Config{Extensions: []ivr.Extension{{Number: "201"}}, Queues: []ivr.Queue{{ID: "q", Members: []string{"201"}}}}
	q := &cfg.Queues[0]
	a, _, _ := qs.enqueue(cfg, q, "a", "1001")
	b, _, _ := qs.enqueue(cfg, q, "b", "1002")
	_, pos, ok := qs.estimate(b)
	require.False(t, ok, "no history: no estimate")
	require.Equal(t, 2, pos)
	require.False(t, qs.List(cfg)[0].WaitKnown)

	now = now.Add(40 * time.Second)
	qs.answered(a, nil, "201", 20*time.Second) // waited 40 s
	est, pos, ok := qs.estimate(b)
	require.True(t, ok)
	require.Equal(t, 1, pos)
	require.Equal(t, 40*time.Second, est, "the first answered wait is the average")

	c, _, _ := qs.enqueue(cfg, q, "c", "1003")
	now = now.Add(80 * time.Second)
	qs.answered(b, nil, "201", 20*time.Second) // waited 120 s
	est, pos, _ = qs.estimate(c)
	require.Equal(t, 1, pos)
	require.Equal(t, 60*time.Second, est, "(3 × 40 s + 120 s) / 4")
	d, _, _ := qs.enqueue(cfg, q, "d", "1004")
	est, pos, _ = qs.estimate(d)
	require.Equal(t, 2, pos)
	require.Equal(t, 2*time.Minute, est, "the average times the position")
	v := qs.List(cfg)[0]
	require.True(t, v.WaitKnown)
	require.Equal(t, time.Minute, v.AverageWait)
	qs.leave(d, true)
	_, pos, ok = qs.estimate(d)
	require.False(t, ok, "gone: no estimate")
	require.Zero(t, pos)
}

// How an estimate is said: under a minute, "less than a minute"; else
// the nearest whole minute.
func TestQueueWaitRounding(t *testing.T) {
	for est, want := range map[time.Duration]int{
		0: 0, 59 * time.Second: 0, time.Minute: 1, 89 * time.Second: 1, 90 * time.Second: 2,
		7*time.Minute + 20*time.Second: 7, 2 * time.Hour: 120,
	} {
		require.Equal(t, want, waitMinutes(est), "%v", est)
	}
}
