package media

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// With one Go processor, or one CPU whatever GOMAXPROCS says, the pacers
// stay at normal priority and say why; with two of each they may ask for
// SCHED_FIFO.
func TestRealtimeNeedsTwoProcessors(t *testing.T) {
	why := oneProcessor(1, 8)
	assert.Contains(t, why, "GOMAXPROCS=1")
	assert.Contains(t, why, "normal:")
	why = oneProcessor(2, 1)
	assert.Contains(t, why, "one CPU")
	assert.Contains(t, why, "GOMAXPROCS=2")
	assert.Contains(t, why, "normal:")
	assert.Contains(t, oneProcessor(8, 1), "one CPU")
	assert.Empty(t, oneProcessor(2, 2))
	assert.Empty(t, oneProcessor(8, 16))
}

// Each pacer gets a Go processor of its own, on one CPU as on many: a
// pacer per processor Go had, GOMAXPROCS doubled.
func TestProcessorsFor(t *testing.T) {
	for _, tc := range []struct{ procs, pacers, gomaxprocs int }{
		{1, 1, 2}, {2, 2, 4}, {3, 3, 6},
	} {
		pacers, gomaxprocs := processorsFor(tc.procs)
		assert.Equal(t, []int{tc.pacers, tc.gomaxprocs}, []int{pacers, gomaxprocs}, "GOMAXPROCS=%d", tc.procs)
	}
}

// usableCPUs reads the thread's affinity mask: pinned to one CPU (as
// taskset -c 0 or CPUAffinity=0 pins ivrd) it says 1, and the pacers
// then do not ask for real-time priority (oneProcessor).
func TestUsableCPUsFollowsTheAffinityMask(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var was unix.CPUSet
	require.NoError(t, unix.SchedGetaffinity(0, &was))
	defer func() { _ = unix.SchedSetaffinity(0, &was) }() // the thread goes back to the pool as it came
	assert.Equal(t, was.Count(), usableCPUs())
	first := -1
	for i := 0; i < 1024 && first < 0; i++ {
		if was.IsSet(i) {
			first = i
		}
	}
	require.GreaterOrEqual(t, first, 0)
	var one unix.CPUSet
	one.Set(first)
	require.NoError(t, unix.SchedSetaffinity(0, &one))
	assert.Equal(t, 1, usableCPUs())
}
