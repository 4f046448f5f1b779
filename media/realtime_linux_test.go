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

// On two CPUs or more each pacer gets a Go processor of its own
// (GOMAXPROCS doubled, a pacer per processor Go had); on one CPU nothing
// changes, whatever GOMAXPROCS says (a host that pins ivrd to one CPU and
// sets GOMAXPROCS=2): the same one-CPU rule as real-time priority's.
func TestProcessorsFor(t *testing.T) {
	for _, tc := range []struct{ procs, cpus, pacers, gomaxprocs int }{
		{1, 1, 1, 1}, {2, 1, 2, 2}, {1, 2, 1, 1}, {2, 2, 2, 4}, {3, 4, 3, 6},
	} {
		pacers, gomaxprocs := processorsFor(tc.procs, tc.cpus)
		assert.Equal(t, []int{tc.pacers, tc.gomaxprocs}, []int{pacers, gomaxprocs}, "GOMAXPROCS=%d on %d CPUs", tc.procs, tc.cpus)
	}
}

// usableCPUs reads the thread's affinity mask: pinned to one CPU (as
// taskset -c 0 or CPUAffinity=0 pins ivrd) it says 1, and the processor
// plan then leaves GOMAXPROCS as it is.
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
	procs := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(procs)
	pacers, gomaxprocs := ProcessorPlan()
	assert.Equal(t, []int{2, 2}, []int{pacers, gomaxprocs}, "GOMAXPROCS=2 pinned to one CPU")
}
