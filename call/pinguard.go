package call

import (
	"sync"
	"time"
)

// pinGuard counts wrong PINs per box across calls and locks a box that
// gets too many in a row: four digits fall to a caller who may simply
// call again. Kept per node in memory, like the registrar's lockout.
type pinGuard struct {
	mu    sync.Mutex
	fails map[string]int
	until map[string]time.Time
}

// locked reports whether box refuses logins now.
func (g *pinGuard) locked(box string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return now.Before(g.until[box])
}

// failed counts a wrong PIN; after that many in a row the box locks for
// lockout (and the count starts again).
func (g *pinGuard) failed(box string, after int, lockout time.Duration, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fails == nil {
		g.fails, g.until = map[string]int{}, map[string]time.Time{}
	}
	g.fails[box]++
	if g.fails[box] >= after {
		g.until[box] = now.Add(lockout)
		delete(g.fails, box)
	}
}

// succeeded forgets a box's failures.
func (g *pinGuard) succeeded(box string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.fails, box)
}
