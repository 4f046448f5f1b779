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

// pacerNice is the nice value a pacer's thread asks for where it may
// not be real-time because ivrd has one CPU (favour).
const pacerNice = -10

// favour asks the kernel to favour the calling thread, a pacer's loop
// locked to it for good, over ivrd's other threads sharing its only CPU:
// nice pacerNice, about nine times their weight. Unlike real-time
// priority this still lets the threads it waits on run (the kernel's
// fair scheduler gives them their share), while the pacer, woken for its
// tick, runs before them and is not preempted by them mid-tick. why is
// oneProcessor's reason; the result is what the start log says.
func favour(why string) string {
	err := unix.Setpriority(unix.PRIO_PROCESS, 0, pacerNice) // 0: the calling thread, on Linux
	switch {
	case err == nil:
		return fmt.Sprintf("%s; the pacer's thread at nice %d instead", why, pacerNice)
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		return fmt.Sprintf("%s; nice %d refused too (grant LimitNICE=%d in the systemd unit, or CAP_SYS_NICE)", why, pacerNice, pacerNice)
	}
	return fmt.Sprintf("%s; nice %d: %v", why, pacerNice, err)
}

// favoured reports whether a pacer refused real-time priority for why
// asks for favour instead: on one CPU with Go processors to spare
// (ProcessorPlan doubles them), not with GOMAXPROCS=1, where the pacer
// waits for Go's only processor whatever its weight.
func favoured(procs, cpus int) bool { return procs >= 2 && cpus < 2 }

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
// run on, its affinity and cgroup limit): see processorsFor. The caller
// owns the process and sets GOMAXPROCS before NewEngine.
func ProcessorPlan() (pacers, gomaxprocs int) {
	return processorsFor(runtime.GOMAXPROCS(0), usableCPUs(), mayFavour())
}

// processorsFor: one pacer per processor, and GOMAXPROCS doubled so
// that SIP, the API and the calls' logic keep as many while each pacer
// waits for its tick in a system call on a processor of its own (else
// Go's sysmon takes the pacer's at every tick for them: 3,000 sysmon
// wake-ups a second at 1,000 calls; yieldTicks), and on its return the
// pacer does not wait behind whatever ran there (a collection's marking).
// On one CPU too, where the two processors' threads share it, with the
// pacer's thread favoured there (favour: nice -10, as real-time priority
// would starve the threads it waits on): the spare processor's thread
// then no longer holds the pacer in the middle of its ticks. Measured
// (bench/RESULTS.md, tenth session) against GOMAXPROCS left at 1: 3,000
// calls held at p99 0.23-0.27 ms in two runs of two against 2,200 or
// fewer, CPU per call lower in three pairs of three (0.37-0.39 against
// 0.39-0.40 ms per call-second at 1,000 calls), and past capacity the
// admitted calls' p99 0.96-1.72 ms at 4,000-5,000 offered. Doubled
// without the favour, those calls heard p99 8-9 ms (the spare thread
// preempting the pacer mid-tick: SIP refusing calls, the collector), so
// on one CPU GOMAXPROCS stays as it is where the pacer may not be
// favoured (mayFavour).
func processorsFor(procs, cpus int, favourable bool) (pacers, gomaxprocs int) {
	if cpus < 2 && !favourable {
		return procs, procs
	}
	return procs, 2 * procs
}

// mayFavour reports whether this process may lower a thread's nice to
// pacerNice: RLIMIT_NICE allows it (its ceiling is 20 - nice: the
// systemd unit's LimitNICE=-10 sets 30) or it holds CAP_SYS_NICE (root).
func mayFavour() bool {
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NICE, &lim) == nil && lim.Cur >= uint64(20-pacerNice) {
		return true
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var caps [2]unix.CapUserData // version 3: two 32-bit words
	if unix.Capget(&hdr, &caps[0]) != nil {
		return false
	}
	return caps[unix.CAP_SYS_NICE/32].Effective&(1<<(unix.CAP_SYS_NICE%32)) != 0
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
