package media

import (
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
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

// Each pacer gets a Go processor of its own (a pacer per processor Go
// had, GOMAXPROCS doubled), on one CPU only where its thread may be
// favoured (nice -10): doubled there without it, the spare processor's
// thread preempts the pacer mid-tick.
func TestProcessorsFor(t *testing.T) {
	for _, tc := range []struct {
		procs, cpus        int
		favourable         bool
		pacers, gomaxprocs int
	}{
		{1, 1, true, 1, 2}, {1, 1, false, 1, 1}, {2, 1, false, 2, 2},
		{2, 2, false, 2, 4}, {2, 2, true, 2, 4}, {3, 4, false, 3, 6},
	} {
		pacers, gomaxprocs := processorsFor(tc.procs, tc.cpus, tc.favourable)
		assert.Equal(t, []int{tc.pacers, tc.gomaxprocs}, []int{pacers, gomaxprocs},
			"GOMAXPROCS=%d on %d CPUs, favourable %v", tc.procs, tc.cpus, tc.favourable)
	}
}

// mayFavour agrees with the kernel: where it says yes, setting a
// thread's nice to pacerNice succeeds.
func TestMayFavourAgreesWithTheKernel(t *testing.T) {
	if !mayFavour() {
		t.Skip("this process may not lower a thread's nice (no RLIMIT_NICE, no CAP_SYS_NICE)")
	}
	said := make(chan string)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		said <- favour("normal: one CPU")
	}()
	assert.Contains(t, <-said, "at nice -10 instead")
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

// Refused real-time priority for one CPU with processors to spare (as
// ProcessorPlan leaves it), a pacer asks for a favoured weight instead;
// with GOMAXPROCS=1, or two CPUs, it does not.
func TestFavouredOnlyOnOneCPU(t *testing.T) {
	assert.True(t, favoured(2, 1))
	assert.False(t, favoured(1, 1), "GOMAXPROCS=1: the pacer waits for Go's only processor whatever its weight")
	assert.False(t, favoured(4, 2), "two CPUs: real-time priority is asked for")
}

// favour sets the calling thread's nice to pacerNice where permitted
// (root, CAP_SYS_NICE or LimitNICE) and the start log says so; refused,
// it says what to grant. The thread is the goroutine's for good, as a
// pacer's is: the runtime retires it when the goroutine ends.
func TestFavourRaisesTheCallingThread(t *testing.T) {
	type result struct {
		said string
		nice int
		err  error
	}
	done := make(chan result)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		said := favour("normal: one CPU")
		prio, err := unix.Getpriority(unix.PRIO_PROCESS, 0) // the kernel's 20 - nice
		done <- result{said, 20 - prio, err}
	}()
	r := <-done
	require.NoError(t, r.err)
	if strings.Contains(r.said, "refused") {
		assert.Contains(t, r.said, "LimitNICE=-10")
		assert.Equal(t, 0, r.nice, "refused: the thread's weight unchanged")
		return
	}
	assert.Equal(t, "normal: one CPU; the pacer's thread at nice -10 instead", r.said)
	assert.Equal(t, pacerNice, r.nice)
}

// A pacer of an ivrd given one CPU (every thread pinned to it, as
// taskset or CPUAffinity= pin ivrd) and the processor plan's two Go
// processors asks for nice -10, not SCHED_FIFO, and its loop's thread
// has it (or the start log says what to grant).
func TestPacerOnOneCPUAsksForFavour(t *testing.T) {
	var was unix.CPUSet
	require.NoError(t, unix.SchedGetaffinity(0, &was))
	var one unix.CPUSet
	for i := 0; i < 1024; i++ {
		if was.IsSet(i) {
			one.Set(i)
			break
		}
	}
	pinAll := func(set *unix.CPUSet) {
		tasks, err := os.ReadDir("/proc/self/task")
		require.NoError(t, err)
		for _, task := range tasks {
			if tid, err := strconv.Atoi(task.Name()); err == nil {
				_ = unix.SchedSetaffinity(tid, set) // a thread gone meanwhile is no matter
			}
		}
	}
	pinAll(&one)
	t.Cleanup(func() { pinAll(&was) })
	procs := runtime.GOMAXPROCS(2)
	t.Cleanup(func() { runtime.GOMAXPROCS(procs) })

	base := 30000 + (os.Getpid()%20)*20
	e, err := NewEngine(EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: base, PortMax: base + 9, Pacers: 1, RTCPInterval: -1, RealtimePriority: 10})
	require.NoError(t, err)
	t.Cleanup(e.Close)
	if e.MediaIO() != "io_uring" {
		t.Skip("favour is for the ring's loop, which keeps its thread; here: " + e.MediaIO())
	}
	sched, rt := e.Scheduling()
	assert.False(t, rt, "no real-time priority on one CPU")
	assert.Contains(t, sched, "one CPU")
	if strings.Contains(sched, "refused too") {
		assert.Contains(t, sched, "LimitNICE=-10")
		return
	}
	assert.Contains(t, sched, "the pacer's thread at nice -10 instead")
	stat, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/stat", e.pacers[0].sys.thread))
	require.NoError(t, err)
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	assert.Equal(t, "-10", fields[16], "the loop's thread's nice (stat field 19)")
}
