package sip

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"
)

// minLevel passes on only records at or above min: sipgo's own bookkeeping
// warnings (connection reference counts) are noise to an operator.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(a []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(a), h.min}
}

func (h minLevel) WithGroup(n string) slog.Handler { return minLevel{h.Handler.WithGroup(n), h.min} }

// libSink is where sipgo's package-level records go: the handler of the
// server made last (one per process, but tests make many and must see
// what their own server's sipgo logs). Before any server, nowhere.
var libSink atomic.Pointer[slog.Handler]

// sipgo's default logger is a plain package variable that every new
// sipgo user agent reads: it is set here, at package initialisation,
// before any goroutine can make one. (Set with the first server instead,
// it raced with user agents made meanwhile, which the race detector
// reported once tests made servers and user agents in parallel.) What
// it writes goes to libSink.
func init() {
	sipgosip.SetDefaultLogger(slog.New(sinkHandler{}).With("component", "sipgo"))
}

// Bad input from the network is logged, but at most this often per message.
const (
	badInputBurst  = 10
	badInputWindow = 10 * time.Second
)

// quietLibrary routes sipgo's package-level logger into ours, errors
// only, at most badInputBurst lines per message and window; log's handler
// cuts what came from the network (logsafe.go).
func quietLibrary(log *slog.Logger) {
	var h slog.Handler = minLevel{newRateLimited(log.Handler(), badInputBurst, badInputWindow), slog.LevelError}
	libSink.Store(&h)
}

// sinkHandler hands records to the current libSink. sipgo derives its
// loggers (With) once, at start, so the attributes are kept here and
// applied to whichever sink is current when a record comes.
type sinkHandler struct {
	ops []func(slog.Handler) slog.Handler
}

func (h sinkHandler) sink() slog.Handler {
	p := libSink.Load()
	if p == nil {
		return nil
	}
	out := *p
	for _, op := range h.ops {
		out = op(out)
	}
	return out
}

func (h sinkHandler) Enabled(ctx context.Context, l slog.Level) bool {
	p := libSink.Load()
	return p != nil && (*p).Enabled(ctx, l)
}

func (h sinkHandler) Handle(ctx context.Context, r slog.Record) error {
	sink := h.sink()
	if sink == nil {
		return nil // no server yet: nobody to tell
	}
	return sink.Handle(ctx, r)
}

func (h sinkHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return sinkHandler{append(h.ops[:len(h.ops):len(h.ops)], func(x slog.Handler) slog.Handler { return x.WithAttrs(a) })}
}

func (h sinkHandler) WithGroup(n string) slog.Handler {
	return sinkHandler{append(h.ops[:len(h.ops):len(h.ops)], func(x slog.Handler) slog.Handler { return x.WithGroup(n) })}
}

// rateLimited passes on at most burst records with the same message per
// window and counts the rest into the next one let through: a flood of
// malformed packets must not become a flood of log lines.
type rateLimited struct {
	slog.Handler
	burst  int
	window time.Duration
	state  *rateState
}

type rateState struct {
	mu     sync.Mutex
	counts map[string]*rateCount
}

type rateCount struct {
	start      time.Time
	n, dropped int
}

func newRateLimited(h slog.Handler, burst int, window time.Duration) rateLimited {
	return rateLimited{Handler: h, burst: burst, window: window, state: &rateState{counts: map[string]*rateCount{}}}
}

func (h rateLimited) Handle(ctx context.Context, r slog.Record) error {
	st := h.state
	st.mu.Lock()
	c := st.counts[r.Message]
	if c == nil {
		if len(st.counts) > 1000 { // messages are a fixed set; this bounds a surprise
			clear(st.counts)
		}
		c = &rateCount{start: r.Time}
		st.counts[r.Message] = c
	}
	if r.Time.Sub(c.start) >= h.window {
		c.start, c.n = r.Time, 0
	}
	c.n++
	if c.n > h.burst {
		c.dropped++
		st.mu.Unlock()
		return nil
	}
	dropped := c.dropped
	c.dropped = 0
	st.mu.Unlock()
	if dropped > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("suppressed_before", dropped))
	}
	return h.Handler.Handle(ctx, r)
}

func (h rateLimited) WithAttrs(a []slog.Attr) slog.Handler {
	return rateLimited{h.Handler.WithAttrs(a), h.burst, h.window, h.state}
}

func (h rateLimited) WithGroup(n string) slog.Handler {
	return rateLimited{h.Handler.WithGroup(n), h.burst, h.window, h.state}
}
