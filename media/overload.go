package media

import (
	"sync/atomic"
	"time"
)

// Overload is read from the pacer's own schedule, not from a call count:
// a pacer that keeps waking late sends every call's frames late (callers
// hear it as jitter, then gaps), whatever the machine, its other load or
// the codecs in use. Each pacer judges windows of overloadWindow ticks:
// overloadWindows windows in a row in which more than overloadEnter of
// the ticks woke later than overloadLate (a missed tick, made up by
// catching up, counts as late) put it in overload; it leaves after one
// window with fewer than overloadLeave late ticks (hysteresis, so that
// the SIP layer's answer does not flap at the edge). The thresholds are
// well past ordinary jitter (a phone's jitter buffer holds 40-60 ms): a
// busy moment of the host is not overload, frames half a packet late for
// seconds on end are. While any pacer is in overload the SIP
// layer refuses new calls and OPTIONS with 503 (sip.ErrOverloaded): the
// calls already up keep their quality, and a proxy sends new ones
// elsewhere.
const (
	overloadWindow  = 1000 // ticks: one second
	overloadWindows = 2    // late windows in a row that enter overload
	overloadLate    = 10 * time.Millisecond
	overloadEnter   = 0.05 // share of late ticks that makes a window late
	overloadLeave   = 0.01
)

// loadWindow counts one pacer's late ticks. add runs on the pacer's
// loop only; over is read from any goroutine.
type loadWindow struct {
	ticks, late int64
	lateWindows int // late windows in a row
	over        atomic.Bool
}

func (w *loadWindow) add(k int64, late time.Duration) {
	w.ticks += k
	// This wake-up served k ticks: the last was due late ago, each one
	// before it a millisecond earlier. A wake-up covering two ticks is
	// common and harmless (the timer fired just after a tick was due);
	// only the ticks served later than overloadLate count.
	for i := int64(0); i < k; i++ {
		if late+time.Duration(i)*time.Millisecond > overloadLate {
			w.late += k - i
			break
		}
	}
	if w.ticks < overloadWindow {
		return
	}
	share := float64(w.late) / float64(w.ticks)
	if share > overloadEnter {
		w.lateWindows++
	} else {
		w.lateWindows = 0
	}
	if w.over.Load() {
		if share < overloadLeave {
			w.over.Store(false)
		}
	} else if w.lateWindows >= overloadWindows {
		w.over.Store(true)
	}
	w.ticks, w.late = 0, 0
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
