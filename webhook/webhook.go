package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/store"
)

// Event is one call event as receivers get it (the JSON body).
type Event struct {
	ID      string    `json:"id"` // unique: receivers deduplicate by it
	Type    string    `json:"type"`
	Created time.Time `json:"created_at"`
	Node    string    `json:"node"`
	CallID  string    `json:"call_id"`
	Data    any       `json:"data"`
	// Target limits the event to the webhook of that name or URL (a
	// route's webhook destination); "" sends it to every webhook.
	Target string `json:"-"`
	// Started is the call's started record, written in the same
	// transaction as this event's rows: a call's first event whose
	// durable write missed its wait goes through the queue with its
	// record, so a node killed meanwhile leaves both or neither (and the
	// event still ahead of the call's later ones).
	Started *cdr.Record `json:"-"`
}

// NewID is a random event id (128 bits, hex).
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// Options tune a Dispatcher; zero values take the defaults.
type Options struct {
	Node       string
	Log        *slog.Logger
	Client     *http.Client  // default: 10 s timeout
	RetryMin   time.Duration // first retry after this (default 1 s), doubling
	RetryMax   time.Duration // up to this (default 5 min)
	Poll       time.Duration // how often the outbox is looked at without news (default 1 s)
	OnDelivery func(ok bool) // metrics
}

// Outbox is what a Dispatcher needs of the store: the webhook outbox,
// written before anything is sent and read back per node and target.
// *store.Store is one.
type Outbox interface {
	// EnqueueWebhooks adds rows in order, in one transaction; a row
	// already there (same event and target) is skipped.
	EnqueueWebhooks(ctx context.Context, rows []store.WebhookRow) error
	// PendingWebhooks is up to limit undelivered rows of node for
	// target, oldest first.
	PendingWebhooks(ctx context.Context, node, target string, limit int) ([]store.WebhookRow, error)
	// WebhooksDelivered marks rows delivered, each after one more
	// attempt than it had, in one statement.
	WebhooksDelivered(ctx context.Context, ids []int64) error
	// WebhookFailed records a failed attempt and when to try again.
	WebhookFailed(ctx context.Context, id int64, attempts int, next time.Time, reason string) error
	// EnqueueWebhooksWithStarts is EnqueueWebhooks that also inserts
	// calls' started rows (a row already there is kept), in the same
	// transaction.
	EnqueueWebhooksWithStarts(ctx context.Context, rows []store.WebhookRow, started []cdr.Record) error
}

// Dispatcher takes events from calls (Publish, never blocking), writes
// them to the outbox, and delivers the outbox to each target.
type Dispatcher struct {
	st  Outbox
	opt Options
	log *slog.Logger
	// in is the events not yet in the outbox. It has no bound of its
	// own and never drops: the node refuses new calls while Backlog is
	// past its high-water mark (node/admission.go).
	in   *store.Backlog[Event]
	wake chan struct{}
	// stopping is closed by Close: a batch the outbox refuses is not
	// retried after that (store.RetryWrite).
	stopping chan struct{}

	mu      sync.Mutex // guards targets and closed
	targets []ivr.Webhook
	closed  bool // a call ending late must not send on a closed queue

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New starts a dispatcher for targets (SetTargets replaces them) that
// keeps its events in st.
func New(st Outbox, targets []ivr.Webhook, opt Options) *Dispatcher {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Client == nil {
		opt.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opt.RetryMin <= 0 {
		opt.RetryMin = time.Second
	}
	if opt.RetryMax <= 0 {
		opt.RetryMax = 5 * time.Minute
	}
	if opt.Poll <= 0 {
		opt.Poll = time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &Dispatcher{st: st, opt: opt, log: opt.Log, in: store.NewBacklog[Event](), wake: make(chan struct{}, 1), stopping: make(chan struct{}),
		targets: targets, ctx: ctx, cancel: cancel}
	d.wg.Add(2)
	go d.writer()
	go d.deliverer()
	return d
}

// SetTargets replaces the webhooks (a reload). Rows already written for a
// target no longer configured stay in the outbox until the retention.
func (d *Dispatcher) SetTargets(t []ivr.Webhook) {
	d.mu.Lock()
	d.targets = t
	d.mu.Unlock()
}

func (d *Dispatcher) currentTargets() []ivr.Webhook {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.targets
}

// Publish queues an event; it never blocks (a call's goroutine calls it)
// and never drops it: a store far behind makes the queue longer
// (Backlog), and the node stops taking new calls.
func (d *Dispatcher) Publish(ev Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.targets) == 0 && ev.Started == nil { // a record is written even with nobody to tell
		return
	}
	if d.closed {
		d.log.Warn("webhook event not written: shutting down", "type", ev.Type, "call_id", ev.CallID)
		return
	}
	d.in.Push(ev)
}

// Backlog is how many published events are not in the outbox yet.
func (d *Dispatcher) Backlog() int { return d.in.Len() }

// PublishDurable writes ev to the outbox before it returns (within
// wait), so that a process killed right after has it: for a call's first
// event, which nothing of that call precedes in the queue. A store that
// does not take it within wait gets it through the queue, as Publish
// (order kept: nothing of the call was queued before it).
func (d *Dispatcher) PublishDurable(ev Event, wait time.Duration) {
	d.mu.Lock()
	targets, closed := d.targets, d.closed
	d.mu.Unlock()
	if len(targets) == 0 || closed {
		d.Publish(ev) // nothing to send, or the shutdown's warning
		return
	}
	rows := rowsFor([]Event{ev}, targets, d.opt.Node, d.log)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	err := d.st.EnqueueWebhooks(ctx, rows)
	cancel()
	if err != nil {
		d.log.Warn("webhook event queued: the outbox did not take it at once", "type", ev.Type, "call_id", ev.CallID, "err", err)
		d.Publish(ev)
		return
	}
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Rows is the outbox rows of ev (one per target that wants it) for a
// caller that writes them itself, in a transaction of its own (a call's
// first event with its record); nil when none wants it or the dispatcher
// is closed. Written tells the dispatcher they are there.
func (d *Dispatcher) Rows(ev Event) []store.WebhookRow {
	d.mu.Lock()
	targets, closed := d.targets, d.closed
	d.mu.Unlock()
	if closed {
		return nil
	}
	return rowsFor([]Event{ev}, targets, d.opt.Node, d.log)
}

// Written wakes the deliverer: rows were written to the outbox by
// someone else (Rows).
func (d *Dispatcher) Written() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Close writes what is queued to the outbox and stops delivering; what is
// not delivered yet is sent after the next start.
func (d *Dispatcher) Close() {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		close(d.stopping)
		d.in.Close()
	}
	d.mu.Unlock()
	d.wg.Wait()
}

// writer moves published events into the outbox, what has gathered
// (up to writeBatch events) in one transaction, one row per target that
// wants each event: while one commit runs the next batch gathers, so at
// 1,000 calls a second the commits per event fall instead of the queue
// growing.
func (d *Dispatcher) writer() {
	defer d.wg.Done()
	defer d.cancel() // the outbox holds everything: delivery stops
	var buf []Event
	for {
		batch, ok := d.in.Take(buf, writeBatch)
		if !ok {
			return
		}
		d.write(batch)
		d.in.Done(len(batch))
		clear(batch) // the events' payloads are not kept until the next batch
		buf = batch
	}
}

// writeBatch bounds one outbox transaction: large enough that a burst
// costs few commits, small enough that one statement's parameters stay
// within the databases' limits (store's multi-row INSERT splits it) and
// a failed batch is quick to retry.
const writeBatch = 256

// rowsFor is the outbox rows of events: one per target that wants each.
func rowsFor(batch []Event, targets []ivr.Webhook, node string, log *slog.Logger) []store.WebhookRow {
	var rows []store.WebhookRow
	for _, ev := range batch {
		body, err := json.Marshal(ev)
		if err != nil {
			log.Error("webhook event not encodable", "type", ev.Type, "err", err)
			continue
		}
		for _, t := range targets {
			if t.Wants(ev.Type) && (ev.Target == "" || ev.Target == t.Name || ev.Target == t.URL) {
				rows = append(rows, store.WebhookRow{EventID: ev.ID, Target: t.URL, Node: node, CallID: ev.CallID,
					Type: ev.Type, Payload: body, Created: ev.Created, NextAt: ev.Created})
			}
		}
	}
	return rows
}

func (d *Dispatcher) write(batch []Event) {
	rows := rowsFor(batch, d.currentTargets(), d.opt.Node, d.log)
	var started []cdr.Record
	for _, ev := range batch {
		if ev.Started != nil {
			started = append(started, *ev.Started)
		}
	}
	// A store that refuses (restarting, unreachable) is tried again, the
	// queue waiting behind this batch, until it takes it; when stopping,
	// not after one more failure (store.RetryWrite).
	attempts, err := store.RetryWrite(d.stopping, writeRetryFor, func(err error) {
		d.log.Warn("webhook events not written yet: retrying", "events", len(batch), "err", err)
	}, func(ctx context.Context) error {
		if len(started) > 0 {
			return d.st.EnqueueWebhooksWithStarts(ctx, rows, started)
		}
		return d.st.EnqueueWebhooks(ctx, rows)
	})
	switch {
	case err != nil:
		d.log.Error("webhook events lost: the outbox could not be written", "events", len(batch), "attempts", attempts, "err", err)
		return
	case attempts > 1:
		d.log.Info("webhook events written after the outbox came back", "events", len(batch), "attempts", attempts)
	}
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// writeRetryFor is how long a batch the outbox refuses is tried again:
// for as long as the node runs (the queue waits behind it, and the node
// refuses new calls once it is long); only a node stopping with its
// store down gives up, and says so.
const writeRetryFor = time.Duration(math.MaxInt64)

// deliverer sends each target's outbox, oldest first, until Close.
func (d *Dispatcher) deliverer() {
	defer d.wg.Done()
	tick := time.NewTicker(d.opt.Poll)
	defer tick.Stop()
	for {
		for _, t := range d.currentTargets() {
			d.deliverTarget(t)
		}
		select {
		case <-d.ctx.Done():
			return
		case <-d.wake:
		case <-tick.C:
		}
	}
}

// deliverTarget sends what is due for one target. A call whose event is
// waiting for a retry gets nothing newer meanwhile (order per call);
// other calls' events go on. A failure ends the round: a receiver that is
// down (or slow to time out) costs one attempt per round, not one per
// call waiting. Deliveries are marked in the outbox markEvery at a time
// (one statement, one commit) and before anything is read again or the
// round ends: a node killed in between sends those few again, with the
// same event id (receivers deduplicate by it).
func (d *Dispatcher) deliverTarget(t ivr.Webhook) {
	var done []int64
	mark := func() {
		if len(done) == 0 {
			return
		}
		// Not d.ctx: a delivery made just before Close must still be
		// marked, or it would be sent again after the restart.
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := d.st.WebhooksDelivered(uctx, done); err != nil {
			d.log.Warn("webhook outbox update", "rows", len(done), "err", err)
		}
		cancel()
		done = done[:0]
	}
	defer mark()
	for d.ctx.Err() == nil {
		rows, err := d.st.PendingWebhooks(d.ctx, d.opt.Node, t.URL, 500)
		if err != nil {
			if d.ctx.Err() == nil {
				d.log.Warn("webhook outbox unreadable", "err", err)
			}
			return
		}
		sent := 0
		blocked := map[string]bool{}
		now := time.Now()
		for _, r := range rows {
			if d.ctx.Err() != nil {
				return
			}
			if blocked[r.CallID] {
				continue
			}
			if r.NextAt.After(now) {
				blocked[r.CallID] = true
				continue
			}
			if err := d.send(t, r); err != nil {
				blocked[r.CallID] = true
				attempts := r.Attempts + 1
				next := time.Now().Add(backoff(d.opt.RetryMin, d.opt.RetryMax, attempts))
				d.log.Info("webhook delivery failed", "url", t.URL, "type", r.Type, "event_id", r.EventID, "attempt", attempts, "err", err)
				if err := d.st.WebhookFailed(d.ctx, r.ID, attempts, next, err.Error()); err != nil && d.ctx.Err() == nil {
					d.log.Warn("webhook outbox update", "err", err)
				}
				return
			}
			sent++
			if done = append(done, r.ID); len(done) >= markEvery {
				mark()
			}
		}
		mark() // before the outbox is read again
		if sent == 0 || len(rows) < 500 {
			return
		}
	}
}

// markEvery is how many deliveries share one outbox update.
const markEvery = 64

// backoff doubles from min per attempt up to max.
func backoff(min, max time.Duration, attempts int) time.Duration {
	d := min
	for i := 1; i < attempts && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d
}

// send POSTs one row; any answer but 2xx is a failure.
func (d *Dispatcher) send(t ivr.Webhook, r store.WebhookRow) error {
	ctx, cancel := context.WithTimeout(d.ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(r.Payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ivrd-webhook")
	req.Header.Set("X-Ivrd-Event", r.Type)
	req.Header.Set("X-Ivrd-Event-Id", r.EventID)
	req.Header.Set("X-Ivrd-Attempt", strconv.Itoa(r.Attempts+1))
	req.Header.Set(SignatureHeader, Sign(t.Secret, time.Now(), r.Payload))
	resp, err := d.opt.Client.Do(req)
	ok := err == nil && resp.StatusCode/100 == 2
	if d.opt.OnDelivery != nil {
		d.opt.OnDelivery(ok)
	}
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	resp.Body.Close()
	if !ok {
		return fmt.Errorf("%s answered %s", t.URL, resp.Status)
	}
	return nil
}
