package node

import (
	"log/slog"
	"sync"

	"github.com/ivrd/ivrd/sip"
)

// admission refuses new calls (503 to INVITE, OPTIONS and calls placed,
// sip.Config.Refuse) while the node's writes not yet in the store (call
// records and webhook events, queued or being written) are past a
// high-water mark, and takes them again once the writes are below a
// low-water mark. The queues never drop what a call was promised: a store
// that is slow or restarting makes them longer, and this is what stops
// them growing without end (new calls go to another node through the
// proxy's OPTIONS probing, or are retried). The calls already up go on,
// and their writes still queue: the memory a backlog may take is the
// high-water mark plus what the calls up then write, so past
// backlogBound something is wrong enough to say so loudly.
type admission struct {
	// parts are the writes waiting: call records (the recorder's
	// queues) and webhook events (the dispatcher's).
	parts     func() (records, events int)
	high, low int
	log       *slog.Logger

	mu       sync.Mutex // guards refusing and overBound, and orders their log lines
	refusing bool
	over     bool   // backlog past backlogBound now
	overs    uint64 // times it passed backlogBound (a metric)
	refusals uint64 // new calls and OPTIONS refused (a metric)
}

// The default marks: at 1,000 calls a second a node queues about five
// writes a call (the record's start and end, three events) when the store
// does not take them at once, so backlogHigh rides through a store that
// stops answering for about four seconds (a PostgreSQL restart) at full
// rate, longer at less, and holds some tens of MB (a record or an event
// is about a kB). Admission resumes at backlogLow, well below, so that
// it does not flap with every batch written.
const (
	backlogHigh  = 20000
	backlogLow   = 5000
	backlogBound = 5 * backlogHigh
)

func newAdmission(parts func() (records, events int), high, low int, log *slog.Logger) *admission {
	if high <= 0 {
		high, low = backlogHigh, backlogLow
	}
	if low <= 0 || low >= high {
		low = high / 4
	}
	return &admission{parts: parts, high: high, low: low, log: log}
}

func (a *admission) backlog() int {
	r, e := a.parts()
	return r + e
}

// refuse is sip.Config.Refuse: sip.ErrBacklogged while the backlog is
// (or was, until it drains below the low mark) past the high mark.
func (a *admission) refuse() error {
	if a.check() {
		a.mu.Lock()
		a.refusals++
		a.mu.Unlock()
		return sip.ErrBacklogged
	}
	return nil
}

// check reads the backlog, moves between admitting and refusing, and
// reports whether new calls are refused. Metrics scrapes call it too, so
// that a bound passed while no INVITE arrives is still said.
func (a *admission) check() bool {
	records, events := a.parts()
	n := records + events
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case !a.refusing && n >= a.high:
		a.refusing = true
		a.log.Warn("new calls refused: call records and webhook events not yet in the store passed the high-water mark",
			"backlog", n, "records", records, "events", events, "high", a.high, "low", a.low)
	case a.refusing && n < a.low:
		a.refusing = false
		a.log.Info("new calls taken again: the store caught up", "backlog", n, "low", a.low)
	}
	switch {
	case !a.over && n >= backlogBound && a.high < backlogBound:
		a.over = true
		a.overs++
		a.log.Error("writes waiting for the store passed their memory bound: the store has been away too long or is far too slow; nothing is dropped, but a crash now loses them",
			"backlog", n, "bound", backlogBound)
	case a.over && n < backlogBound/2:
		a.over = false
	}
	return a.refusing
}

// gauges is what the metrics show: the backlog, whether new calls are
// refused, how many were, and how often the bound was passed.
func (a *admission) gauges() (backlog int, refusing bool, refusals, overs uint64) {
	refusing = a.check()
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.backlog(), refusing, a.refusals, a.overs
}
