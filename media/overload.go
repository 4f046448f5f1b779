package media

import (
	"sync/atomic"
	"time"
)

// Overload is read from the pacer's own schedule, not from a call count:
// a pacer that keeps waking late sends every call's frames late (callers
// hear it as jitter, then gaps), whatever the machine, its other load or
// the codecs in use. What is judged is the quality callers get: the 99th
// percentile of the ticks' lateness (when each tick's frames were all
// handed to the kernel: lateness.sent) over windows of overloadWindow
// ticks (half a second). Two windows in a row whose p99 is past
// overloadEnterLate (more than overloadShare of the ticks later than it;
// a missed tick, made up by catching up, counts at its own lateness) put
// the pacer in overload, before the calls already up are past issue 21's
// 2 ms; two windows in a row whose p99 is under overloadLeaveLate take it
// out. The gap between the two (hysteresis) and the two windows each way
// keep the SIP layer's answer from flapping at the edge, and a single
// stall of the host (a few late ticks in one window) from refusing calls.
// Measured (bench/RESULTS.md), a pacer's p99 stays a few hundred
// microseconds until the core is nearly full, then climbs within a few
// hundred calls; calls admitted on the way up are what push it there.
// While any pacer is in overload the SIP layer refuses new calls and
// OPTIONS with 503 (sip.ErrOverloaded): the calls already up keep their
// quality, and a proxy sends new ones elsewhere.
const (
	overloadWindow    = 500 // ticks: half a second
	overloadWindows   = 2   // windows in a row that enter, or leave, overload
	overloadEnterLate = 1500 * time.Microsecond
	overloadLeaveLate = 1000 * time.Microsecond
	overloadShare     = 0.01 // the p99: ticks allowed past the threshold
	// overloadBusy is the share of a window the pacer's own loop must
	// have been working for its lateness to count: lateness with an idle
	// loop is the host's (a virtual machine's stolen time, a neighbour's
	// burst, a test suite beside it), and refusing calls would not cure
	// it, only turn jitter into an outage. Near capacity the loop works
	// most of each millisecond (bench/RESULTS.md); at a few hundred calls
	// it works a tenth of it. The same rule lets an idle loop leave
	// overload.
	overloadBusy = 0.5
)

// loadWindow judges one pacer's lateness. add runs on the pacer's loop
// only; over is read from any goroutine.
type loadWindow struct {
	ticks     int64
	overEnter int64         // ticks of this window later than overloadEnterLate
	overLeave int64         // and later than overloadLeaveLate
	busy      time.Duration // the loop's working time in this window
	lateRun   int           // windows in a row with p99 past overloadEnterLate and a busy loop
	onTimeRun int           // windows in a row with p99 under overloadLeaveLate
	over      atomic.Bool
	// lastBusy is the last whole window's busy share in millionths, read
	// from any goroutine (Engine.PacerBusy): how full the pacer's core
	// is, which the lateness shows only once it is nearly full.
	lastBusy atomic.Uint32
}

// ticksLaterThan is how many of the k ticks a wake-up served were later
// than limit, the last of them due late ago and each one before it a
// millisecond earlier. A wake-up covering two ticks is common and
// harmless (the timer fired just after a tick was due); a stall that
// missed many counts each at its own lateness.
func ticksLaterThan(k int64, late, limit time.Duration) int64 {
	if late > limit {
		return k
	}
	first := int64((limit-late)/time.Millisecond) + 1 // the first index past limit
	return max(k-first, 0)
}

// worked counts time the pacer's loop spent working (from a wake-up to
// its next sleep).
func (w *loadWindow) worked(d time.Duration) { w.busy += d }

func (w *loadWindow) add(k int64, late time.Duration) {
	w.ticks += k
	w.overEnter += ticksLaterThan(k, late, overloadEnterLate)
	w.overLeave += ticksLaterThan(k, late, overloadLeaveLate)
	if w.ticks < overloadWindow {
		return
	}
	allowed := float64(w.ticks) * overloadShare
	w.lateRun, w.onTimeRun = w.lateRun+1, w.onTimeRun+1
	busy := float64(w.busy) / float64(time.Duration(w.ticks)*time.Millisecond)
	w.lastBusy.Store(uint32(min(busy, 1) * 1e6))
	if float64(w.overEnter) <= allowed || busy < overloadBusy {
		w.lateRun = 0
	}
	// Leaving judges the same way: with the loop idle (the calls gone,
	// or new ones refused) lateness is the host's, and staying in
	// overload would refuse calls an idle pacer has room for. Seen in
	// bench/ask.sh: one processor, the store's writers catching up after
	// a burst kept an idle pacer late, and every call of the next
	// seconds got 503.
	if float64(w.overLeave) > allowed && busy >= overloadBusy {
		w.onTimeRun = 0
	}
	if w.over.Load() {
		if w.onTimeRun >= overloadWindows {
			w.over.Store(false)
		}
	} else if w.lateRun >= overloadWindows {
		w.over.Store(true)
	}
	w.ticks, w.overEnter, w.overLeave, w.busy = 0, 0, 0, 0
}

// Overloaded reports whether a pacer has been waking late for the last
// second (see overloadWindow): the engine is past what this machine
// carries at the quality callers expect, and new calls should go to
// another node.
func (e *Engine) Overloaded() bool {
	if !e.cfg.OverloadGuard {
		return false
	}
	for _, p := range e.pacers {
		if p.late.load.over.Load() {
			return true
		}
	}
	return false
}

// PacerBusy is the share of the last half second the busiest pacer's
// loop spent working (sending due frames, reading what arrived), 0 to 1:
// the media core's headroom. Near 1 its core is full and the guard
// (Overloaded) is about to refuse calls.
func (e *Engine) PacerBusy() float64 {
	var most uint32
	for _, p := range e.pacers {
		most = max(most, p.late.load.lastBusy.Load())
	}
	return float64(most) / 1e6
}

// MediaIO says how the pacers move packets: "io_uring" (one system
// call a millisecond for all of a pacer's sockets), or "epoll: " and why
// the ring was not had (one system call a packet); "" off Linux.
func (e *Engine) MediaIO() string {
	if len(e.pacers) == 0 {
		return ""
	}
	return e.pacers[0].mediaIO()
}

// Pacers is how many pacer loops the engine runs.
func (e *Engine) Pacers() int { return len(e.pacers) }

// Scheduling says how the pacer threads run: "SCHED_FIFO 10", or
// "normal" with why real-time priority was not had ("" when it was not
// asked for), and whether every pacer got it.
func (e *Engine) Scheduling() (string, bool) {
	if len(e.pacers) == 0 {
		return "", false
	}
	all := true
	for _, p := range e.pacers {
		all = all && p.realtime
	}
	return e.pacers[0].sched, all
}
