package node

import (
	"context"
	"time"

	"github.com/ivrd/ivrd/call"
	"github.com/ivrd/ivrd/cdr"
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
	ctx, cancel := context.WithTimeout(context.Background(), startedWait)
	err := c.st.CallStartedWithWebhooks(ctx, rec, c.hooks.Rows(wev))
	cancel()
	if err != nil {
		// Both through their queues, in order; the same event id, so a
		// transaction that did commit after all is not sent twice.
		c.rec.queueStarted(rec, err)
		c.hooks.Publish(wev)
		return
	}
	c.hooks.Written()
}

// durableWait bounds how long a call's start waits for the outbox when
// records are off, as startedWait does for the record.
const durableWait = 300 * time.Millisecond
