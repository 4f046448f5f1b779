package sip

import (
	"net/netip"
	"sync"
	"time"
)

// lockKey names whose failures are counted: one user from one address, or
// (user "") every user from one address together.
type lockKey struct {
	src  netip.Addr
	user string
}

type lockEntry struct {
	windowStart time.Time // of the failures counted now
	failures    int
	lockedUntil time.Time
	strikes     int // lockouts in a row: each doubles the next
	lastSeen    time.Time
}

// lockout counts failed digests and refuses a key that fails too often,
// for a window that doubles with each lockout in a row (up to maxLock). It
// is keyed by address and user so that one device guessing does not lock
// out the same user from elsewhere, and a lockout always ends: the correct
// password is never refused once the window has passed. The table has a
// fixed size; making room looks at a few entries, never the whole table.
type lockout struct {
	mu      sync.Mutex
	entries map[lockKey]*lockEntry
	max     int
	// failures allowed per window, for one user and for the whole address
	perUser, perSource int
	window             time.Duration
	maxLock            time.Duration
}

// Lockout defaults: five guesses a minute for one user from one address,
// twenty for all users from one address.
const (
	maxFailures       = 5
	maxSourceFailures = 20
	failWindow        = time.Minute
	maxLockout        = 30 * time.Minute
	lockTableSize     = 50000
	// forgetAfter drops an entry quiet for this long: its strikes are
	// history.
	forgetAfter = 2 * maxLockout
	// evictProbe is how many entries making room looks at.
	evictProbe = 8
	// maxUserKey bounds the user part of a key: it comes from the network.
	maxUserKey = 64
)

func newLockout(perUser, perSource int, window time.Duration, size int) *lockout {
	return &lockout{entries: map[lockKey]*lockEntry{}, max: size, perUser: perUser, perSource: perSource,
		window: window, maxLock: maxLockout}
}

func keysFor(src netip.Addr, user string) [2]lockKey {
	if len(user) > maxUserKey {
		user = user[:maxUserKey]
	}
	return [2]lockKey{{src, "\x00" + user}, {src, ""}}
}

// locked reports whether src may not try user's password now, and for how
// much longer.
func (l *lockout) locked(src netip.Addr, user string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, k := range keysFor(src, user) {
		if e := l.entries[k]; e != nil && now.Before(e.lockedUntil) {
			wait = max(wait, e.lockedUntil.Sub(now))
		}
	}
	return wait > 0, wait
}

// fail counts a wrong digest from src for user.
func (l *lockout) fail(src netip.Addr, user string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	keys := keysFor(src, user)
	for i, k := range keys {
		limit := l.perUser
		if i == 1 {
			limit = l.perSource
		}
		e := l.entry(k, now)
		if e.lastSeen.Add(forgetAfter).Before(now) {
			*e = lockEntry{}
		}
		e.lastSeen = now
		if now.Sub(e.windowStart) >= l.window || e.failures == 0 {
			e.windowStart, e.failures = now, 0
		}
		e.failures++
		if e.failures >= limit {
			lock := min(l.window<<min(e.strikes, 16), l.maxLock)
			e.lockedUntil = now.Add(lock)
			e.strikes++
			// The next window starts when this lockout ends.
			e.windowStart, e.failures = e.lockedUntil, 0
		}
	}
}

// succeed forgets user's failures from src: the right password came.
func (l *lockout) succeed(src netip.Addr, user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.entries, keysFor(src, user)[0])
}

// entry finds or makes k's entry, making room in a full table first.
func (l *lockout) entry(k lockKey, now time.Time) *lockEntry {
	if e := l.entries[k]; e != nil {
		return e
	}
	if len(l.entries) >= l.max {
		l.evict(now)
	}
	e := &lockEntry{}
	l.entries[k] = e
	return e
}

// evict drops one entry, looking at a few (map order is random): an
// entry not locked is dropped before a locked one, an old one first.
func (l *lockout) evict(now time.Time) {
	var victim lockKey
	found, victimLocked := false, true
	var victimSeen time.Time
	n := 0
	for k, e := range l.entries {
		isLocked := now.Before(e.lockedUntil)
		if !found || (victimLocked && !isLocked) || (victimLocked == isLocked && e.lastSeen.Before(victimSeen)) {
			victim, victimLocked, victimSeen, found = k, isLocked, e.lastSeen, true
		}
		if n++; n >= evictProbe {
			break
		}
	}
	if found {
		delete(l.entries, victim)
	}
}

// size is the number of entries (tests).
func (l *lockout) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}
