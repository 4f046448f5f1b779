package wazo

import (
	"maps"
	"math/rand/v2"
	"sync"
	"time"
)

// confd lets an incall exist before any number reaches it, and an
// extension before it is associated with an incall (the seed creates
// both, then associates them). ivrd stores a number only on the IVR it
// reaches, so until the association an incall or an extension is held
// here, by the node that made it, in memory: a restart forgets it, and
// the association must be made through the same node. Once associated
// it is stored (the IVR's number_info) and every node shows it.
const (
	pendingMax = 1000           // each of incalls and extensions
	pendingTTL = 24 * time.Hour // an unassociated one is forgotten after this
)

type pendingIncall struct {
	ivr      string
	schedule string // attached before any number was (its numbers get it)
	at       time.Time
}

type pendingExten struct {
	exten, context string
	at             time.Time
}

type pending struct {
	mu      sync.Mutex
	incalls map[int64]pendingIncall
	extens  map[int64]pendingExten
}

func newPending() *pending {
	return &pending{incalls: map[int64]pendingIncall{}, extens: map[int64]pendingExten{}}
}

// snapshot copies the live entries (expired ones are dropped).
func (p *pending) snapshot(now time.Time) (map[int64]pendingIncall, map[int64]pendingExten) {
	p.mu.Lock()
	defer p.mu.Unlock()
	maps.DeleteFunc(p.incalls, func(_ int64, v pendingIncall) bool { return now.Sub(v.at) > pendingTTL })
	maps.DeleteFunc(p.extens, func(_ int64, v pendingExten) bool { return now.Sub(v.at) > pendingTTL })
	return maps.Clone(p.incalls), maps.Clone(p.extens)
}

// addIncall keeps an incall to ivr under a new id not in taken; false
// when pendingMax are held.
func (p *pending) addIncall(ivr string, taken func(int64) bool, now time.Time) (int64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.incalls) >= pendingMax {
		return 0, false
	}
	for {
		id := rand.Int64N(1<<31-2) + 1
		if _, held := p.incalls[id]; !held && !taken(id) {
			p.incalls[id] = pendingIncall{ivr: ivr, at: now}
			return id, true
		}
	}
}

func (p *pending) setIncall(id int64, ivr, schedule string, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.incalls[id] = pendingIncall{ivr: ivr, schedule: schedule, at: now}
}

// setSchedule attaches (or, with "", detaches) a schedule to a held
// incall; false if it is not held.
func (p *pending) setSchedule(id int64, schedule string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	inc, ok := p.incalls[id]
	if ok {
		inc.schedule = schedule
		p.incalls[id] = inc
	}
	return ok
}

// dropSchedule detaches a deleted schedule from every held incall.
func (p *pending) dropSchedule(schedule string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, inc := range p.incalls {
		if inc.schedule == schedule {
			inc.schedule = ""
			p.incalls[id] = inc
		}
	}
}

func (p *pending) dropIncall(id int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.incalls, id)
}

// addExten keeps an unassociated extension; false when pendingMax are
// held.
func (p *pending) addExten(id int64, exten, context string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, held := p.extens[id]; !held && len(p.extens) >= pendingMax {
		return false
	}
	p.extens[id] = pendingExten{exten, context, now}
	return true
}

func (p *pending) dropExten(id int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.extens, id)
}
