//go:build !linux

package media

import "time"

// stdTicker is the portable fallback: time.Ticker wakes up to ~1 ms late,
// which the pacer absorbs by counting elapsed milliseconds.
type stdTicker struct {
	t    *time.Ticker
	last time.Time
	done chan struct{}
}

func newTicker() (ticker, error) {
	return &stdTicker{t: time.NewTicker(time.Millisecond), last: time.Now(), done: make(chan struct{})}, nil
}

func (t *stdTicker) wait() (uint64, error) {
	select {
	case now := <-t.t.C:
		n := uint64(now.Sub(t.last) / time.Millisecond)
		t.last = t.last.Add(time.Duration(n) * time.Millisecond)
		return n, nil
	case <-t.done:
		return 0, nil
	}
}

func (t *stdTicker) close() { t.t.Stop(); close(t.done) }
