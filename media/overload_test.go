package media

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The guard judges the p99 of the ticks' lateness per half second: two
// windows in a row with more than 1 % of ticks past 1.5 ms (and the
// pacer's loop busy at least half the time) enter overload, two with fewer than 1 % past 1 ms leave it; one bad window
// (a stall of the host), or lateness under the thresholds, changes
// nothing.
func TestOverloadFromPacerLateness(t *testing.T) {
	var w loadWindow
	// window feeds one window of single-tick wake-ups, lateTicks of them
	// late by late, the rest on time, from a loop working 80 % of each
	// millisecond (a pacer near its capacity).
	window := func(lateTicks int, late time.Duration) {
		for i := 0; i < overloadWindow; i++ {
			d := 100 * time.Microsecond // a timer's ordinary wake-up
			if i < lateTicks {
				d = late
			}
			w.worked(800 * time.Microsecond)
			w.add(1, d)
		}
	}
	window(4, 50*time.Millisecond)
	assert.False(t, w.over.Load(), "4 late ticks of 500: p99 on time")
	window(10, 2*time.Millisecond)
	assert.False(t, w.over.Load(), "one window past p99 1.5 ms is a busy moment")
	window(0, 0)
	window(10, 2*time.Millisecond)
	assert.False(t, w.over.Load(), "late windows not in a row")
	window(10, 2*time.Millisecond)
	assert.True(t, w.over.Load(), "two windows in a row with 2 % of ticks 2 ms late: p99 2 ms")

	window(10, 1200*time.Microsecond)
	window(10, 1200*time.Microsecond)
	assert.True(t, w.over.Load(), "p99 1.2 ms: under the entry threshold, not yet under the leaving one")
	window(4, 1200*time.Microsecond)
	assert.True(t, w.over.Load(), "one window with p99 under 1 ms does not leave")
	window(4, 1200*time.Microsecond)
	assert.False(t, w.over.Load(), "two windows with p99 under 1 ms leave")

	window(50, 1400*time.Microsecond)
	window(50, 1400*time.Microsecond)
	window(50, 1400*time.Microsecond)
	assert.False(t, w.over.Load(), "10 % of ticks 1.4 ms late: jitter within the goal, not overload")

	// Wake-ups that each serve two ticks just after the second was due
	// (the timer fired a hair late): the first of each pair is 1.2 ms
	// late, under the entry threshold.
	for range 2 * overloadWindow {
		w.add(2, 200*time.Microsecond)
	}
	assert.False(t, w.over.Load(), "two ticks served 1.2 ms and 0.2 ms after they were due")

	// A stall: wake-ups that each made up 100 missed ticks, most of them
	// far later than the threshold.
	for range 2 {
		w.worked(80 * time.Millisecond)
		w.add(100, 100*time.Microsecond)
		window(0, 0)
	}
	assert.True(t, w.over.Load(), "missed ticks count at their own lateness")
}

// Lateness while the pacer's loop is mostly idle is the host's (stolen
// time, a neighbour's burst), not too many calls: refusing calls would
// not cure it, so it does not enter overload; and a node in overload
// whose loop falls idle leaves once it is on time again.
func TestLatenessOfAnIdleLoopIsNotOverload(t *testing.T) {
	var w loadWindow
	window := func(late time.Duration, work time.Duration) {
		for range overloadWindow {
			w.worked(work)
			w.add(1, late)
		}
	}
	for range 4 {
		window(5*time.Millisecond, 50*time.Microsecond) // every tick 5 ms late, the loop busy 5 %
	}
	assert.False(t, w.over.Load(), "a late host with an idle loop")
	window(5*time.Millisecond, 600*time.Microsecond)
	window(5*time.Millisecond, 600*time.Microsecond)
	assert.True(t, w.over.Load(), "the same lateness with the loop busy 60 %")
	window(100*time.Microsecond, 50*time.Microsecond)
	window(100*time.Microsecond, 50*time.Microsecond)
	assert.False(t, w.over.Load(), "on time again")

	window(5*time.Millisecond, 600*time.Microsecond)
	window(5*time.Millisecond, 600*time.Microsecond)
	require.True(t, w.over.Load(), "in overload again")
	window(5*time.Millisecond, 50*time.Microsecond)
	assert.True(t, w.over.Load(), "one idle window does not leave")
	window(5*time.Millisecond, 50*time.Microsecond)
	assert.False(t, w.over.Load(), "two windows of an idle loop leave, however late the host keeps it: no call is up to protect")
}

// Which of k ticks served at once, the last late by late, were past a
// limit: the earlier ones were due a millisecond apart before it.
func TestTicksLaterThan(t *testing.T) {
	ms := time.Millisecond
	assert.Equal(t, int64(0), ticksLaterThan(1, ms, 1500*time.Microsecond))
	assert.Equal(t, int64(1), ticksLaterThan(1, 2*ms, 1500*time.Microsecond))
	assert.Equal(t, int64(1), ticksLaterThan(2, 800*time.Microsecond, 1500*time.Microsecond), "1.8 ms and 0.8 ms")
	assert.Equal(t, int64(0), ticksLaterThan(2, 400*time.Microsecond, 1500*time.Microsecond), "1.4 ms and 0.4 ms")
	assert.Equal(t, int64(98), ticksLaterThan(100, 100*time.Microsecond, 1500*time.Microsecond), "a 100 ms stall: all but the last two")
	assert.Equal(t, int64(3), ticksLaterThan(3, 5*ms, ms))
}

// The clock decides which slots are owed: a wake-up counts every tick
// fallen due since the last one counted, and the next is due a
// millisecond after the last counted, however late it was served.
func TestLatenessFollowsTheClock(t *testing.T) {
	var got []time.Duration
	epoch := time.Unix(1000, 0)
	l := lateness{epoch: epoch, report: func(d time.Duration) { got = append(got, d) }}
	at := func(d time.Duration) time.Time { return epoch.Add(d) }
	assert.Equal(t, int64(0), l.owed(at(999*time.Microsecond)), "nothing due before the first millisecond")
	assert.Equal(t, int64(1), l.owed(at(1100*time.Microsecond)))
	l.tickAt(1, at(1100*time.Microsecond))
	assert.Equal(t, at(2*time.Millisecond), l.next())
	assert.Equal(t, int64(0), l.owed(at(1900*time.Microsecond)), "served: not owed twice")
	assert.Equal(t, int64(3), l.owed(at(4500*time.Microsecond)), "a late wake-up owes every tick since")
	l.tickAt(3, at(4500*time.Microsecond))
	assert.Equal(t, []time.Duration{100 * time.Microsecond, 2500 * time.Microsecond}, got,
		"each wake-up reports its oldest tick: the one due at 2 ms, served at 4.5 ms")
	assert.Equal(t, at(5*time.Millisecond), l.next())
}

// A tick is judged by when its frames went out, not when the loop woke:
// a loop that wakes on time and is held in the middle of its sends (a
// spare processor's thread preempting it on one CPU) sends late, and
// the guard has to see it. Frames queued for a ring count when the ring
// is submitted, and two turns queued before one submit count together.
func TestLatenessJudgesWhenTheFramesWentOut(t *testing.T) {
	var got []time.Duration
	epoch := time.Unix(1000, 0)
	l := lateness{epoch: epoch, report: func(d time.Duration) { got = append(got, d) }}
	at := func(d time.Duration) time.Time { return epoch.Add(d) }
	l.due(l.owed(at(1010 * time.Microsecond))) // woke 10 µs late
	assert.Equal(t, at(2*time.Millisecond), l.next(), "counted: the next tick is the one due at 2 ms")
	l.sent(at(2700 * time.Microsecond)) // held 1.69 ms in its sends
	assert.Equal(t, []time.Duration{1700 * time.Microsecond}, got)
	assert.Equal(t, int64(1), l.load.overEnter, "past the guard's 1.5 ms")
	l.sent(at(2800 * time.Microsecond))
	assert.Len(t, got, 1, "nothing pending: nothing judged twice")

	l.due(1) // the tick due at 2 ms, queued
	l.due(1) // and the one due at 3 ms, queued before the submit
	l.sent(at(3200 * time.Microsecond))
	assert.Equal(t, []time.Duration{1700 * time.Microsecond, 1200 * time.Microsecond}, got[:2],
		"the oldest of the two: due at 2 ms, out at 3.2 ms")
	assert.Equal(t, int64(3), l.load.ticks, "three ticks judged")
}

// The engine reports a pacer's overload only when it guards (the server's
// engine); one used without the guard never turns calls away.
func TestOverloadGuardIsTheServers(t *testing.T) {
	for _, guard := range []bool{true, false} {
		e, err := NewEngine(EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: 41040, PortMax: 41059, Pacers: 1, OverloadGuard: guard})
		require.NoError(t, err)
		assert.False(t, e.Overloaded(), "on time")
		e.pacers[0].late.load.over.Store(true) // as two late windows in a row leave it
		assert.Equal(t, guard, e.Overloaded(), "guard %v", guard)
		e.Close()
	}
}
