package media

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// slots is the number of 1 ms slots in one 20 ms packet period. Streams
// are spread over them so the pacer sends a few packets every millisecond
// instead of a burst every 20 ms (bursts were measured to blow the jitter
// budget from a few hundred streams).
const slots = 20

// pacer sends the next frame of every stream it owns, each stream once per
// 20 ms in its own 1 ms slot, and receives what its sessions' sockets get.
// How it is woken and how it reads is the system's (pacer_linux.go: one
// epoll loop on its own thread; pacer_other.go: a ticker goroutine and a
// reading goroutine per socket).
type pacer struct {
	log   *slog.Logger
	late  lateness
	mu    sync.Mutex
	slot  [slots][]*Session
	count atomic.Int32
	wg    sync.WaitGroup
	pos   int // next slot to serve
	batch []*Session
	sys   pacerSys
	// mixers are the conference rooms mixed on this pacer's tick
	// (mixer.go), once per 20 ms.
	mixers mixerSet
	// sched says how the loop is scheduled ("SCHED_FIFO 10", or
	// "normal: " and why), realtime whether it got real-time priority;
	// both set before the loop starts.
	sched    string
	realtime bool
}

func (p *pacer) load() int { return int(p.count.Load()) }

// add puts s in the least loaded slot.
func (p *pacer) add(s *Session) {
	p.mu.Lock()
	best := 0
	for i := 1; i < slots; i++ {
		if len(p.slot[i]) < len(p.slot[best]) {
			best = i
		}
	}
	p.slot[best] = append(p.slot[best], s)
	p.mu.Unlock()
	p.count.Add(1)
}

// remove stops sending s's frames and reading its sockets: once it
// returns, the pacer touches neither again.
func (p *pacer) remove(s *Session) {
	p.unwatch(s)
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.slot {
		for j, x := range p.slot[i] {
			if x == s {
				last := len(p.slot[i]) - 1
				p.slot[i][j] = p.slot[i][last]
				p.slot[i][last] = nil
				p.slot[i] = p.slot[i][:last]
				p.count.Add(-1)
				return
			}
		}
	}
}

// maxCatchUp bounds how many missed milliseconds are made up after a stall:
// one whole period, so a late pacer sends what it owes but never floods.
const maxCatchUp = slots

// maxPanics bounds how often a session's receiving survives a panic below
// it (in a DigitSink) before it stops listening.
const maxPanics = 10

// serve sends one frame for every stream of the current slot. The slot is
// copied under the lock and sent outside it, so adding a stream never
// waits for socket writes.
func (p *pacer) serve() {
	p.mu.Lock()
	p.batch = append(p.batch[:0], p.slot[p.pos]...)
	mix := p.pos == 0
	p.pos = (p.pos + 1) % slots
	p.mu.Unlock()
	if mix {
		p.mixers.tick()
	}
	for i, s := range p.batch {
		s.sendFrame(p.sys.txQueue())
		p.batch[i] = nil
	}
}

// lateness follows a pacer's 1 ms schedule from when its clock was armed:
// each tick is judged by when its frames were handed to the kernel (the
// last of them), against when it fell due. Judging by when the loop woke
// was measured to miss what callers hear: with a spare Go processor's
// thread on the pacer's CPU, the loop woke on time and was preempted in
// the middle of its sends (bench/RESULTS.md, ninth and tenth sessions).
type lateness struct {
	report  func(time.Duration) // nil: nobody listens
	epoch   time.Time
	ticks   int64
	pending int64 // ticks counted whose frames are not all handed over yet
	load    loadWindow
}

// tick counts k periods elapsed, served at once (no send queue).
func (l *lateness) tick(k int64) { l.tickAt(k, time.Now()) }

// tickAt is tick for frames handed over at now.
func (l *lateness) tickAt(k int64, now time.Time) {
	l.due(k)
	l.sent(now)
}

// due counts k ticks that fell due and are being served.
func (l *lateness) due(k int64) {
	l.ticks += k
	l.pending += k
}

// sent judges the pending ticks, their frames all handed to the kernel
// at now, and reports the lateness of the oldest of them, the one whose
// frames waited longest (the last is never a millisecond late unless
// the sending took that long: it fell due within the last millisecond).
func (l *lateness) sent(now time.Time) {
	k := l.pending
	if k == 0 {
		return
	}
	l.pending = 0
	late := max(now.Sub(l.epoch.Add(time.Duration(l.ticks)*time.Millisecond)), 0)
	l.load.add(k, late)
	if l.report != nil {
		l.report(late + time.Duration(k-1)*time.Millisecond)
	}
}

// flushed is sent for now, when ticks are pending: a send queue was just
// submitted (one clock read a tick, none when nothing was owed).
func (l *lateness) flushed() {
	if l.pending > 0 {
		l.sent(time.Now())
	}
}

// owed is how many ticks have fallen due by now and are not counted yet.
func (l *lateness) owed(now time.Time) int64 {
	return int64(now.Sub(l.epoch)/time.Millisecond) - l.ticks
}

// next is when the next tick falls due.
func (l *lateness) next() time.Time {
	return l.epoch.Add(time.Duration(l.ticks+1) * time.Millisecond)
}
