package node

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"math"
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
// queue instead. The end (and a started row that waited too long) go
// through a few queues, a call's always the same one, so a call never
// waits for the database at its end and its end is never written before
// its start. Each queue's writer writes what has gathered in one
// transaction (a group commit), and retries it, in order, while the
// store is down; nothing is dropped: a queue that grows makes the node
// refuse new calls (admission.go) until it has drained.
type recorder struct {
	st   *store.Store
	node string
	log  *slog.Logger
	// on is false only for measuring what recording costs (serve's
	// --no-records): a node run for callers always records.
	on bool
	// qs are the writers' queues: a call's writes all go to one (chosen
	// by its call id), so its end still follows its start, while other
	// calls' writes go on beside it.
	qs []*store.Backlog[write]
	// writeCalls writes a run of call records in one transaction
	// (store.WriteCalls; a test's own).
	writeCalls func(context.Context, []store.CallWrite) error
	wg         sync.WaitGroup
	// stopping, closed by close, makes a write the store refuses give up
	// at once: a node stopping with its store down must not wait out
	// every retry.
	stopping  chan struct{}
	closeOnce sync.Once // a node stopping twice at once must not close stopping twice
	// pending holds each call's started row from the answer until it is
	// written with the call's first event (call id -> cdr.Record).
	pending sync.Map
	// isExtension says whether a caller is a configured extension (the
	// started row's source); nil: none is.
	isExtension func(caller string) bool
}

func newRecorder(st *store.Store, node string, log *slog.Logger, on bool) *recorder {
	r := &recorder{st: st, node: node, log: log, on: on, stopping: make(chan struct{}), writeCalls: st.WriteCalls}
	n := recordWriters
	if st.Backend() == "sqlite" {
		n = 1 // one writer at a time holds SQLite's lock: more would only queue on it
	}
	r.qs = make([]*store.Backlog[write], n)
	for i := range r.qs {
		r.qs[i] = store.NewBacklog[write]()
		r.wg.Add(1)
		go r.run(r.qs[i])
	}
	return r
}

// recordWriters is how many transactions of call records are in flight
// at once on PostgreSQL: a quarter of its pool (store/open.go), leaving
// the rest to the starts' writers (durable.go), the webhook outbox and
// the API. Each writes a batch per transaction: two kept up where four
// writing a statement per commit did not.
const recordWriters = 2

// recordBatch bounds one transaction of a writer: a burst at 1,000 calls
// a second costs a commit per few hundred writes instead of one each,
// and a batch the store refuses is still quick to write again.
const recordBatch = 256

// write is one queued write for one call: a call record's start or end
// (call, written with the others around it in one transaction), or
// something else (do, alone: a recording's row); what names it in the
// log.
type write struct {
	callID, what string
	call         *store.CallWrite
	do           func(context.Context) error
}

// startWrite and endWrite are a call record's queued writes.
func startWrite(rec cdr.Record) write {
	return write{callID: rec.CallID, what: "start", call: &store.CallWrite{Record: rec}}
}

func endWrite(rec cdr.Record) write {
	return write{callID: rec.CallID, what: "end", call: &store.CallWrite{End: true, Record: rec}}
}

// retryFor bounds the retries of a write the store refused
// (restarting, unreachable): none but the node stopping. The queue
// waits, in order, so that a call's end still follows its start, and
// catches up once the store is back (store.RetryWrite).
const retryFor = time.Duration(math.MaxInt64)

func (r *recorder) run(q *store.Backlog[write]) {
	defer r.wg.Done()
	var buf []write
	for {
		batch, ok := q.Take(buf, recordBatch)
		if !ok {
			return
		}
		r.performAll(batch)
		q.Done(len(batch))
		clear(batch) // the records are not kept until the next batch
		buf = batch
	}
}

// performAll writes a batch in order: each run of call records in one
// transaction, anything else alone.
func (r *recorder) performAll(batch []write) {
	var calls []store.CallWrite
	for i := 0; i < len(batch); {
		if batch[i].call == nil {
			r.perform(batch[i])
			i++
			continue
		}
		j := i
		calls = calls[:0]
		for ; j < len(batch) && batch[j].call != nil; j++ {
			calls = append(calls, *batch[j].call)
		}
		run := batch[i:j]
		if len(run) == 1 {
			r.perform(run[0])
		} else {
			r.performRun(run, calls)
		}
		i = j
	}
}

// performRun writes a run of call records in one transaction; one the
// store can never take (bad input) makes the run go one by one, so that
// only that one is lost.
func (r *recorder) performRun(run []write, calls []store.CallWrite) {
	attempts, err := store.RetryWrite(r.stopping, retryFor, func(err error) {
		r.log.Warn("call records not written yet: retrying", "records", len(run), "err", err)
	}, func(ctx context.Context) error { return r.writeCalls(ctx, calls) })
	switch {
	case errors.Is(err, store.ErrBadInput):
		for _, w := range run {
			r.perform(w)
		}
	case err != nil:
		r.log.Error("call records not written: the node stopped with the store down", "records", len(run), "attempts", attempts, "err", err)
	case attempts > 1:
		r.log.Info("call records written after the store came back", "records", len(run), "attempts", attempts)
	}
}

func (r *recorder) perform(w write) {
	do := w.do
	if w.call != nil {
		cw := []store.CallWrite{*w.call}
		do = func(ctx context.Context) error { return r.writeCalls(ctx, cw) }
	}
	attempts, err := store.RetryWrite(r.stopping, retryFor, func(err error) {
		r.log.Warn("call record not written yet: retrying", "call_id", w.callID, "record", w.what, "err", err)
	}, do)
	switch {
	case err != nil:
		r.log.Error("call record not written", "call_id", w.callID, "record", w.what, "attempts", attempts, "err", err)
	case attempts > 1:
		r.log.Info("call record written after the store came back", "call_id", w.callID, "record", w.what, "attempts", attempts)
	}
}

// backlog is how many writes are queued or being written.
func (r *recorder) backlog() int {
	n := 0
	for _, q := range r.qs {
		n += q.Len()
	}
	return n
}

// close writes what is queued and stops.
func (r *recorder) close() {
	r.closeOnce.Do(func() {
		close(r.stopping)
		for _, q := range r.qs {
			q.Close()
		}
	})
	r.wg.Wait()
}

func (r *recorder) enqueue(w write) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(w.callID)) // a hash.Hash never fails to write
	if !r.qs[h.Sum32()%uint32(len(r.qs))].Push(w) {
		r.log.Warn("call record not written: the store is closed", "call_id", w.callID, "record", w.what)
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
	r.enqueue(endWrite(rec))
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
