package media

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Two seconds in a row with more than 5 % of ticks over 10 ms late enter
// overload; a second with fewer than 1 % late leaves it; one bad second,
// or lateness within a jitter buffer's slack, changes nothing.
func TestOverloadFromPacerLateness(t *testing.T) {
	var w loadWindow
	second := func(lateTicks int, late time.Duration) {
		for i := 0; i < overloadWindow; i++ {
			d := time.Duration(0)
			if i < lateTicks {
				d = late
			}
			w.add(1, d)
		}
	}
	second(1, 50*time.Millisecond)
	assert.False(t, w.over.Load(), "one late tick is not overload")
	second(80, 12*time.Millisecond)
	assert.False(t, w.over.Load(), "one bad second is a busy moment")
	second(80, 12*time.Millisecond)
	assert.True(t, w.over.Load(), "two seconds in a row with 8 % of ticks over 10 ms late")
	second(20, 12*time.Millisecond)
	assert.True(t, w.over.Load(), "2 %: still above the leave threshold")
	second(5, 12*time.Millisecond)
	assert.False(t, w.over.Load(), "0.5 %: left")
	second(300, 8*time.Millisecond)
	second(300, 8*time.Millisecond)
	assert.False(t, w.over.Load(), "8 ms late is within a jitter buffer's slack")

	// Wake-ups that each serve two ticks just after the second was due
	// (the timer fired a hair late): on time, not overload.
	for range 3 * overloadWindow / 2 {
		w.add(2, 200*time.Microsecond)
	}
	assert.False(t, w.over.Load(), "two ticks served 1.2 ms and 0.2 ms after they were due")

	// Stalls: wake-ups that each made up 100 missed ticks.
	for range 2 {
		w.add(100, 100*time.Millisecond)
		second(0, 0)
	}
	assert.True(t, w.over.Load(), "missed ticks count as late")
}

// The engine reports a pacer's overload only when it guards (the server's
// engine); one used without the guard never turns calls away.
func TestOverloadGuardIsTheServers(t *testing.T) {
	for _, guard := range []bool{true, false} {
		e, err := NewEngine(EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: 41040, PortMax: 41059, Pacers: 1, OverloadGuard: guard})
		require.NoError(t, err)
		assert.False(t, e.Overloaded(), "on time")
		e.pacers[0].late.load.over.Store(true) // as two late seconds in a row leave it
		assert.Equal(t, guard, e.Overloaded(), "guard %v", guard)
		e.Close()
	}
}
