package media

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A second of ticks more than 2 % late enters overload; it takes a second
// with fewer than 0.5 % late to leave it; one late tick alone changes
// nothing.
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
	second(1, 20*time.Millisecond)
	assert.False(t, w.over.Load(), "one late tick is not overload")
	second(30, 5*time.Millisecond)
	assert.True(t, w.over.Load(), "3 % of ticks over 4 ms late")
	second(10, 5*time.Millisecond)
	assert.True(t, w.over.Load(), "1 %: still above the leave threshold")
	second(2, 5*time.Millisecond)
	assert.False(t, w.over.Load(), "0.2 %: left")
	second(30, 3*time.Millisecond)
	assert.False(t, w.over.Load(), "3 ms late is within the pacer's slack")

	// A stall: one wake-up that made up 50 missed ticks.
	w.add(50, 50*time.Millisecond)
	second(0, 0)
	assert.True(t, w.over.Load(), "missed ticks count as late")
}
