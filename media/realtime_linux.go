package media

import (
	"errors"
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// realtime locks the calling goroutine to its OS thread and asks for
// SCHED_FIFO at prio for that thread only (sched_setattr with pid 0 is
// the calling thread): the pacer loop's own thread, never the SIP or API
// goroutines. The kernel's real-time throttling
// (kernel.sched_rt_runtime_us, 95 % of each second by default) bounds
// what a runaway real-time thread can take, so SIP and the API still
// run. Refused, the goroutine is unlocked again and runs as any other.
func realtime(prio int) (string, bool) {
	if why := oneProcessor(runtime.GOMAXPROCS(0)); why != "" {
		return why, false
	}
	runtime.LockOSThread()
	attr := unix.SchedAttr{Policy: unix.SCHED_FIFO, Priority: uint32(prio)}
	err := unix.SchedSetAttr(0, &attr, 0)
	if err == nil {
		// The thread is real-time for good: it is never handed back to
		// the runtime's pool, and ends with the loop (the goroutine exits
		// locked, so the runtime retires its thread).
		return fmt.Sprintf("SCHED_FIFO %d", prio), true
	}
	runtime.UnlockOSThread()
	if errors.Is(err, unix.EPERM) {
		return fmt.Sprintf("normal: SCHED_FIFO %d refused (grant LimitRTPRIO=%d in the systemd unit, or CAP_SYS_NICE)", prio, prio), false
	}
	return fmt.Sprintf("normal: SCHED_FIFO %d: %v", prio, err), false
}

// oneProcessor is why the pacers must not be real-time when Go runs on
// one processor (GOMAXPROCS=1: ivrd pinned to, or given, one CPU), and
// "" otherwise. A pacer returning from its blocking timer read needs
// that processor back while a normal-priority thread holds it; at
// SCHED_FIFO the pacer's wait for it keeps that thread off the CPU until
// the kernel's real-time throttling steps in, and every call's audio
// stops for about 1.25 s (measured: bench/RESULTS.md, 2,000 calls on one
// pinned vCPU; without real-time priority the longest gap was 30 ms).
func oneProcessor(procs int) string {
	if procs >= 2 {
		return ""
	}
	return "normal: real-time priority not asked for with one Go processor (GOMAXPROCS=1): " +
		"the pacer would wait for it behind normal threads that its own priority starves; give ivrd 2 CPUs or more"
}
