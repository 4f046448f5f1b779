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
	if why := oneProcessor(runtime.GOMAXPROCS(0), usableCPUs()); why != "" {
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

// oneProcessor is why the pacers must not be real-time when ivrd has
// one Go processor (GOMAXPROCS=1) or one CPU to run on (its affinity
// mask: pinned by taskset or systemd's CPUAffinity=, whatever GOMAXPROCS
// says), and "" otherwise. A real-time pacer that waits on a
// normal-priority thread sharing its only CPU (for Go's only processor
// when it returns from its timer read; or spinning in the runtime on a
// goroutine's status that the garbage collector's scanner holds) keeps
// that thread off the CPU until the kernel's throttling steps in: every
// call's audio stops for about a second. Measured (bench/RESULTS.md): at
// 2,000 calls on one pinned vCPU with GOMAXPROCS=1, gaps of 1.25 s; at
// 1,000 calls on one pinned vCPU with GOMAXPROCS=2, gaps of 0.86-0.97 s
// in four runs of five. Without real-time priority the longest gap was
// 30 ms.
func oneProcessor(procs, cpus int) string {
	switch {
	case procs < 2:
		return "normal: real-time priority not asked for with one Go processor (GOMAXPROCS=1): " +
			"the pacer would wait for it behind normal threads that its own priority starves; give ivrd 2 CPUs or more"
	case cpus < 2:
		return fmt.Sprintf("normal: real-time priority not asked for on one CPU (GOMAXPROCS=%d, CPU affinity 1): "+
			"the pacer would starve the normal threads it waits on; give ivrd 2 CPUs or more", procs)
	}
	return ""
}

// ProcessorPlan is how many pacers to run and the GOMAXPROCS to run them
// with, from Go's processors (GOMAXPROCS: by default the CPUs ivrd may
// run on, its affinity and cgroup limit) and the CPUs in the affinity
// mask (usableCPUs, as the real-time rule reads them): see
// processorsFor. The caller owns the process and sets GOMAXPROCS before
// NewEngine.
func ProcessorPlan() (pacers, gomaxprocs int) {
	return processorsFor(runtime.GOMAXPROCS(0), usableCPUs())
}

// processorsFor: one pacer per processor; with two CPUs or more,
// GOMAXPROCS doubled so that SIP, the API and the calls' logic keep as
// many while each pacer waits for its tick in a system call on a
// processor of its own (else Go's sysmon takes the pacer's at every tick
// for them: 3,000 sysmon wake-ups a second at 1,000 calls; yieldTicks).
// On one CPU, whatever GOMAXPROCS says, nothing changes: doubling there
// cut the CPU per call by 7 % (0.40 against 0.43 ms per call-second at
// 1,000 calls) and raised the calls held, but the spare processor's
// thread then competes with the pacer for the CPU as the kernel sees
// fit, and past capacity (SIP refusing 250 calls a second, the garbage
// collector) it preempts the pacer in the middle of its ticks. Judged by
// when the frames go out (lateness.sent), the overload guard refuses the
// excess, yet the calls it admitted heard p99 8.4-9.0 ms at 4,000 and
// 5,000 offered, against 0.63-0.72 ms with GOMAXPROCS=1. With the
// pacer's thread at nice -10 besides, the results depended on the
// window: 3,000 calls held where GOMAXPROCS=1 failed at 2,200-2,600 in
// one, 3,400 failed in four runs of five where GOMAXPROCS=1 passed in
// four of four in another (bench/RESULTS.md, ninth and tenth sessions).
func processorsFor(procs, cpus int) (pacers, gomaxprocs int) {
	if procs >= 2 && cpus >= 2 {
		return procs, 2 * procs
	}
	return procs, procs
}

// usableCPUs is how many CPUs the calling thread may run on (its
// affinity mask, which the pacer's thread inherits from the process), or
// 2 when the mask cannot be read: the kernel then did not restrict it.
func usableCPUs() int {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return 2
	}
	return set.Count()
}
