package node

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ivrd/ivrd/call"
	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/sip"
	"github.com/ivrd/ivrd/store"
)

// recorder writes call records to the store: a 'started' row when a call
// is handed to its menu and the whole record when it ends. Writes go
// through one queue and one goroutine, so a call never waits for the
// database and a call's end is never written before its start; when the
// queue is full (the database far behind) a write is dropped and logged.
type recorder struct {
	st   *store.Store
	node string
	log  *slog.Logger
	// on is false only for measuring what recording costs (serve's
	// --no-records): a node run for callers always records.
	on   bool
	q    chan func(context.Context)
	done chan struct{}
	// isExtension says whether a caller is a configured extension (the
	// started row's source); nil: none is.
	isExtension func(caller string) bool

	mu     sync.Mutex // guards closed: a call ending late must not send on a closed queue
	closed bool
}

func newRecorder(st *store.Store, node string, log *slog.Logger, on bool) *recorder {
	r := &recorder{st: st, node: node, log: log, on: on, q: make(chan func(context.Context), 4096), done: make(chan struct{})}
	go r.run()
	return r
}

func (r *recorder) run() {
	defer close(r.done)
	for f := range r.q {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		f(ctx)
		cancel()
	}
}

// close writes what is queued and stops.
func (r *recorder) close() {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.q)
	}
	r.mu.Unlock()
	<-r.done
}

func (r *recorder) enqueue(callID string, f func(context.Context)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		r.log.Warn("call record not written: the store is closed", "call_id", callID)
		return
	}
	select {
	case r.q <- f:
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
	rh.r.enqueue(c.ID, func(ctx context.Context) {
		if err := rh.r.st.CallStarted(ctx, rec); err != nil {
			rh.r.log.Error("call record (start)", "call_id", rec.CallID, "err", err)
		}
	})
	rh.h.Serve(ctx, c)
}

// ended is call.Options.Records: the finished call's record, queued.
func (r *recorder) ended(cr *call.Record) {
	if !r.on {
		return
	}
	rec := record(cr, r.node)
	r.enqueue(cr.CallID, func(ctx context.Context) {
		if err := r.st.CallEnded(ctx, rec); err != nil {
			r.log.Error("call record (end)", "call_id", rec.CallID, "err", err)
		}
	})
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
