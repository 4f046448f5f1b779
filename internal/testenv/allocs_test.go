package testenv

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// An allocation on every call is counted; allocations made during one
// measurement only (as another goroutine's burst would be) are not.
func TestAllocsPerRunKeepsTheFewest(t *testing.T) {
	var kept []byte // captured, so each make below is a heap allocation
	assert.Equal(t, 1.0, AllocsPerRun(50, func() { kept = make([]byte, 64) }))
	calls := 0
	assert.Zero(t, AllocsPerRun(50, func() {
		calls++
		if calls <= 51 { // the first measurement: 50 runs and its warm-up
			kept = make([]byte, 64)
		}
	}))
	assert.Equal(t, 2*51, calls, "measured again after the first, and not after a measurement of none")
	assert.Len(t, kept, 64)
}
