package media

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPacersReportTheirLateness: every pacer calls OnLate for its ticks
// (the metrics' pacer lateness), from its own clock, without sessions.
func TestPacersReportTheirLateness(t *testing.T) {
	t.Parallel()
	// Each loop judges its ticks where its frames go out: the epoll loop
	// after its sendtos, the ring's after its submit (where io_uring is
	// refused both run the epoll loop).
	for i, epoll := range []bool{false, true} {
		var mu sync.Mutex
		reports := 0
		e, err := NewEngine(EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: 20000 + 10*i, PortMax: 20009 + 10*i, Pacers: 2, RTCPInterval: -1,
			Epoll: epoll,
			OnLate: func(time.Duration) {
				mu.Lock()
				reports++
				mu.Unlock()
			}})
		require.NoError(t, err)
		eventually(t, "ticks reported by the "+e.MediaIO()+" loop", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return reports >= 20
		})
		e.Close()
	}
}

// TestLatenessIsMeasuredAgainstTheSchedule: a wake-up is late by how far
// the clock is past the tick it counts, never negative when early.
func TestLatenessIsMeasuredAgainstTheSchedule(t *testing.T) {
	t.Parallel()
	var got []time.Duration
	l := lateness{report: func(d time.Duration) { got = append(got, d) }, epoch: time.Now().Add(-10 * time.Millisecond)}
	l.tick(3) // due 7 ms ago
	require.GreaterOrEqual(t, got[0], 7*time.Millisecond)
	l.epoch = time.Now().Add(time.Hour) // ticks not yet due: not late
	l.tick(1)
	require.Equal(t, time.Duration(0), got[1])
	silent := lateness{epoch: time.Now()}
	silent.tick(1) // nobody listens: nothing to do, and no panic
}
