package store

import (
	"sync"
	"sync/atomic"
)

// Backlog is a queue of writes waiting for the store (call records, the
// webhook outbox): callers Push without ever blocking or being refused,
// one writer goroutine Takes what has gathered and writes it in one
// transaction (a group commit), then calls Done. It has no bound of its
// own: what bounds it is the node refusing new calls while Len is past
// its high-water mark (node/admission.go), so what a call was promised
// (its record, its events) is kept in memory rather than dropped while
// the store is slow or restarting.
type Backlog[T any] struct {
	mu     sync.Mutex
	ready  *sync.Cond // signalled on Push and Close
	items  []T
	closed bool
	// n is what is queued plus what a writer holds and has not written
	// yet: the backlog the node's admission looks at, read without the
	// lock on every INVITE.
	n atomic.Int64
}

// NewBacklog makes an empty backlog.
func NewBacklog[T any]() *Backlog[T] {
	b := &Backlog[T]{}
	b.ready = sync.NewCond(&b.mu)
	return b
}

// Push queues v; false when the backlog is closed (v is not queued).
func (b *Backlog[T]) Push(v T) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.items = append(b.items, v)
	b.n.Add(1)
	b.ready.Signal()
	return true
}

// Take waits for at least one queued item and returns up to max of them,
// oldest first, appended to buf[:0]; ok is false once the backlog is
// closed and empty. The writer calls Done(len) when they are written.
func (b *Backlog[T]) Take(buf []T, max int) (batch []T, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.items) == 0 && !b.closed {
		b.ready.Wait()
	}
	if len(b.items) == 0 {
		return buf[:0], false
	}
	k := min(max, len(b.items))
	batch = append(buf[:0], b.items[:k]...)
	clear(b.items[:k]) // what the writer holds is no longer kept here
	b.items = b.items[k:]
	if len(b.items) == 0 {
		b.items = b.items[:0:0] // a burst's large array is let go
	}
	return batch, true
}

// Done says n taken items are written (or given up).
func (b *Backlog[T]) Done(n int) { b.n.Add(-int64(n)) }

// Len is what is queued or held by a writer, not yet written.
func (b *Backlog[T]) Len() int { return int(b.n.Load()) }

// Close refuses further pushes; Take still returns what is queued.
func (b *Backlog[T]) Close() {
	b.mu.Lock()
	b.closed = true
	b.ready.Broadcast()
	b.mu.Unlock()
}
