package node

import (
	"context"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/ivrd/ivrd/call"
	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/sip"
	"github.com/ivrd/ivrd/store"
)

// recorder writes call records to the store: a 'started' row when a call
// is handed to its menu and the whole record when it ends.
//
// The started row is written before the menu begins (startedWait at
// most, on the call's goroutine), in one transaction with the call's
// call.started webhook event (durable.go): a node killed once a caller
// has heard anything leaves that call's record and event, and a
// survivor's sweep settles the record as interrupted. A store slower
// than that, or unreachable, does not hold the call: the row goes to the
// queue instead. The end (and a
// started row that waited too long) go through a few queues, a call's
// always the same one, so a call never waits for the database at its end and its
// end is never written before its start; when the queue is full (the
// database far behind) a write is dropped and logged.
type recorder struct {
	st   *store.Store
	node string
	log  *slog.Logger
	// on is false only for measuring what recording costs (serve's
	// --no-records): a node run for callers always records.
	on bool
	// qs are the writers' queues: a call's writes all go to one (chosen
	// by its call id), so its end still follows its start, while other
	// calls' writes go on beside it. One writer, one statement at a time,
	// kept up with about one statement per commit latency: at 1,000
	// calls a second on PostgreSQL its queue overflowed and records were
	// dropped (bench/durability.sh).
	qs []chan write
	wg sync.WaitGroup
	// stopping, closed by close, makes a write the store refuses give up
	// at once: a node stopping with its store down must not wait out
	// every retry.
	stopping chan struct{}
	// pending holds each call's started row from the answer until it is
	// written with the call's first event (call id -> cdr.Record).
	pending sync.Map
	// isExtension says whether a caller is a configured extension (the
	// started row's source); nil: none is.
	isExtension func(caller string) bool

	mu     sync.Mutex // guards closed: a call ending late must not send on a closed queue
	closed bool
}

func newRecorder(st *store.Store, node string, log *slog.Logger, on bool) *recorder {
	r := &recorder{st: st, node: node, log: log, on: on, stopping: make(chan struct{})}
	r.qs = make([]chan write, recordWriters)
	for i := range r.qs {
		r.qs[i] = make(chan write, 4096/recordWriters)
		r.wg.Add(1)
		go r.run(r.qs[i])
	}
	return r
}

// recordWriters is how many statements are in flight at once: half the
// PostgreSQL pool (store/open.go), leaving the rest to the calls' own
// started rows, the webhook outbox and the API.
const recordWriters = 4

// write is one queued statement for one call; what names it in the log.
type write struct {
	callID, what string
	do           func(context.Context) error
}

// retryFor bounds the retries of a write the store refused
// (restarting, unreachable): the queue waits, in order, so that a call's
// end still follows its start, and catches up once the store is back
// (store.RetryWrite). A write still refused after it is dropped and
// logged (the queue must move on).
const retryFor = 2 * time.Minute

func (r *recorder) run(q <-chan write) {
	defer r.wg.Done()
	for w := range q {
		r.perform(w)
	}
}

func (r *recorder) perform(w write) {
	attempts, err := store.RetryWrite(r.stopping, retryFor, func(err error) {
		r.log.Warn("call record not written yet: retrying", "call_id", w.callID, "record", w.what, "err", err)
	}, w.do)
	switch {
	case err != nil:
		r.log.Error("call record not written", "call_id", w.callID, "record", w.what, "attempts", attempts, "err", err)
	case attempts > 1:
		r.log.Info("call record written after the store came back", "call_id", w.callID, "record", w.what, "attempts", attempts)
	}
}

// close writes what is queued and stops.
func (r *recorder) close() {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.stopping)
		for _, q := range r.qs {
			close(q)
		}
	}
	r.mu.Unlock()
	r.wg.Wait()
}

func (r *recorder) enqueue(w write) {
	callID := w.callID
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		r.log.Warn("call record not written: the store is closed", "call_id", callID)
		return
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(callID)) // a hash.Hash never fails to write
	select {
	case r.qs[h.Sum32()%uint32(len(r.qs))] <- w:
	default:
		r.log.Error("call record dropped: the store is too far behind", "call_id", callID)
	}
}

// wrap makes a sip.Handler that inserts the started row before the call
// handler runs the call.
func (r *recorder) wrap(h sip.Handler) sip.Handler {
	if !r.on {
		return h
	}
	return recordingHandler{h: h, r: r}
}

type recordingHandler struct {
	h sip.Handler
	r *recorder
}

func (rh recordingHandler) Route(dialled string) bool { return rh.h.Route(dialled) }

func (rh recordingHandler) Serve(ctx context.Context, c *sip.Call) {
	rec := cdr.Record{CallID: c.ID, Node: rh.r.node, State: cdr.StateStarted, From: c.Caller, To: c.Dialled,
		Source: cdr.SourceUnknown, SourceName: c.Trunk, InviteAt: time.Now()}
	if c.Trunk != "" {
		rec.Source = cdr.SourceTrunk
	} else if rh.r.isExtension != nil && c.Caller != "" && rh.r.isExtension(c.Caller) {
		rec.Source = cdr.SourceExtension
	}
	// The row is written with the call's first webhook event, in one
	// transaction, when the handler announces the call (durable.go):
	// before its menu begins. A handler that never announced it gets the
	// row here, after the call.
	rh.r.pending.Store(c.ID, rec)
	rh.h.Serve(ctx, c)
	if rec, ok := rh.r.takePending(c.ID); ok {
		rh.r.writeStarted(rec)
	}
}

// startedWait bounds how long a call waits for its started row before
// its menu begins: one round trip to a healthy store takes about a
// millisecond; a store that is restarting must not hold callers in
// silence.
const startedWait = 300 * time.Millisecond

// ended is call.Options.Records: the finished call's record, queued.
func (r *recorder) ended(cr *call.Record) {
	if !r.on {
		return
	}
	rec := record(cr, r.node)
	r.enqueue(write{callID: rec.CallID, what: "end", do: func(ctx context.Context) error { return r.st.CallEnded(ctx, rec) }})
}

// record is a finished call's record as the store keeps it and the
// call.ended webhook carries it.
func record(cr *call.Record, node string) cdr.Record {
	keys := make([]cdr.Key, 0, len(cr.Keys))
	for _, k := range cr.Keys {
		keys = append(keys, cdr.Key{Key: string(k.Key), AtMs: k.At.Milliseconds(), Method: k.Method.String()})
	}
	transfers := make([]cdr.Transfer, 0, len(cr.Transfers))
	for _, t := range cr.Transfers {
		transfers = append(transfers, cdr.Transfer{Dest: t.Dest, Method: string(t.Method), Error: t.Err, AtMs: t.At.Milliseconds(), Operator: t.Operator})
	}
	rec := cdr.Record{CallID: cr.CallID, Node: node, State: cdr.StateEnded, From: cr.From, To: cr.To, Source: cr.Source,
		SourceName: cr.Trunk, InviteAt: cr.Answered, IVR: cr.IVR, Path: cdr.Path(cr.Path), Keys: keys, Invalid: cr.Invalid,
		Timeouts: cr.Timeouts, ScheduleBranch: cr.ScheduleBranch, Transfers: transfers, Voicemail: cr.Voicemail,
		Outcome: cr.Outcome, EndReason: cr.Reason.Record(), EndedBy: cr.Side.Record(),
		Quality:   quality(call.QualityOf(cr.Media)), // both ways, with E-model MOS (observe.go)
		Direction: cr.Direction}
	if rec.Source == "" {
		rec.Source = cdr.SourceUnknown
	}
	if rec.Direction == "" {
		rec.Direction = cdr.DirectionInbound
	}
	if rec.Path == nil {
		rec.Path = cdr.Path{}
	}
	if !cr.Answered.IsZero() {
		a := cr.Answered
		rec.AnswerAt = &a
	}
	if !cr.Ended.IsZero() {
		e := cr.Ended
		rec.EndAt = &e
	}
	return rec
}
