package node

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ivrd/ivrd/call"
	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/store"
)

// A call's start is made durable in one transaction: its 'started'
// record and the outbox rows of its call.started event, written when the
// call handler announces the call, before its menu begins. A node killed
// at any moment leaves both or neither, so every record a survivor
// settles has its call.started, and every call.started its record.

// takePending returns (and forgets) a call's started row not written yet.
func (r *recorder) takePending(callID string) (cdr.Record, bool) {
	v, ok := r.pending.LoadAndDelete(callID)
	if !ok {
		return cdr.Record{}, false
	}
	return v.(cdr.Record), true
}

// writeStarted writes a started row alone (startedWait at most), or
// queues it.
func (r *recorder) writeStarted(rec cdr.Record) {
	ctx, cancel := context.WithTimeout(context.Background(), startedWait)
	err := r.st.CallStarted(ctx, rec)
	cancel()
	if err != nil {
		r.queueStarted(rec, err)
	}
}

// queueStarted hands a started row the store did not take at once to the
// queue, which tries again (a row that did go in is kept: the insert is
// idempotent).
func (r *recorder) queueStarted(rec cdr.Record, err error) {
	r.log.Warn("call record (start) queued: the store did not take it at once", "call_id", rec.CallID, "err", err)
	r.enqueue(startWrite(rec))
}

// publishEvent is the webhooks' listener of call events. call.started
// goes to the store with the call's started row (durable, before the
// menu); every other event through the dispatcher's queue.
func (c *control) publishEvent(ev call.Event) {
	if ev.Type != call.EventCallStarted {
		c.hooks.Publish(webhookEvent(ev, c.node))
		return
	}
	rec, ok := c.rec.takePending(ev.CallID)
	if !ok { // records off (a measurement): the event alone
		c.hooks.PublishDurable(webhookEvent(ev, c.node), durableWait)
		return
	}
	rec.IVR = ev.IVR
	wev := webhookEvent(ev, c.node)
	if c.queuedStarts { // the "before" of bench/durability.sh
		c.rec.enqueue(startWrite(rec))
		c.hooks.Publish(wev)
		return
	}
	rows := c.hooks.Rows(wev)
	err := c.starts.start(store.StartWrite{Record: rec, Rows: rows}, startedWait)
	if err != nil {
		if len(rows) == 0 { // nobody to tell: the record alone
			c.rec.queueStarted(rec, err)
			return
		}
		// Both through the webhooks' queue, in one transaction (a node
		// killed meanwhile leaves both or neither: chaos found a record
		// without its call.started when they took separate queues) and
		// ahead of the call's later events; the same call and event ids,
		// so a group that did commit after all makes it a no-op.
		c.rec.log.Warn("call record (start) queued with its call.started: the store did not take them at once", "call_id", rec.CallID, "err", err)
		wev.Started = &rec
		c.hooks.Publish(wev)
		return
	}
	c.hooks.Written()
}

// durableWait bounds how long a call's start waits for the outbox when
// records are off, as startedWait does for the record.
const durableWait = 300 * time.Millisecond

// starter makes calls' starts durable in groups: each call's goroutine
// hands its started row and call.started outbox rows over and waits (up
// to startedWait) for the transaction holding them, which writes every
// start gathered meanwhile (store.CallsStartedWithWebhooks). One commit
// per call did not keep up at 1,000 calls a second on PostgreSQL: the
// starts queued for the pool's connections, missed their 300 ms and went
// to the queues instead (bench/durability.sh).
type starter struct {
	st *store.Store
	q  *store.Backlog[startReq]
	wg sync.WaitGroup
}

// startReq is one call's start and where its outcome goes (buffered: a
// caller that gave up waiting is not waited for).
type startReq struct {
	w    store.StartWrite
	done chan error
}

// startWriters: PostgreSQL commits one group while the next gathers; one
// SQLite writer holds the lock anyway.
func newStarter(st *store.Store) *starter {
	s := &starter{st: st, q: store.NewBacklog[startReq]()}
	n := 2
	if st.Backend() == "sqlite" {
		n = 1
	}
	for range n {
		s.wg.Go(s.run)
	}
	return s
}

// start writes w durably within wait, or says why not: the caller then
// sends both through their queues (a transaction that commits after all
// makes those writes no-ops: same call id, same event ids).
func (s *starter) start(w store.StartWrite, wait time.Duration) error {
	done := make(chan error, 1)
	if !s.q.Push(startReq{w: w, done: done}) {
		return errStarterClosed
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return context.DeadlineExceeded
	}
}

var errStarterClosed = errors.New("the node is stopping")

func (s *starter) run() {
	var buf []startReq
	var ws []store.StartWrite
	for {
		batch, ok := s.q.Take(buf, recordBatch)
		if !ok {
			return
		}
		ws = ws[:0]
		for _, r := range batch {
			ws = append(ws, r.w)
		}
		ctx, cancel := context.WithTimeout(context.Background(), startedWait)
		err := s.st.CallsStartedWithWebhooks(ctx, ws)
		cancel()
		for _, r := range batch {
			r.done <- err
		}
		s.q.Done(len(batch))
		clear(batch)
		clear(ws)
		buf = batch
	}
}

// close stops taking starts once those queued are written.
func (s *starter) close() {
	s.q.Close()
	s.wg.Wait()
}
