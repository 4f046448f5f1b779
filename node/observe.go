package node

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/ivrd/ivrd/api"
	"github.com/ivrd/ivrd/call"
	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/observe"
)

// observer joins serve to what watches it: the registry of live calls the
// API reads and moves, the metrics, the health answers, and the call
// events for webhooks. It is made before the store (whose statements it
// times) and attached to the service once SIP and media exist; until then
// its gauges read zero.
type observer struct {
	live    *call.Live
	metrics *observe.Metrics
	health  *observe.Health
	node    atomic.Pointer[Node]
	hooks   []func(call.Event) // more listeners of call events (webhooks)
	streams *streamers         // media streams' dialers (streams.go)
}

func newObserver() *observer {
	o := &observer{live: call.NewLive(), streams: &streamers{log: slog.Default()}}
	o.metrics = observe.NewMetrics(observe.Gauges{
		ActiveCalls: o.live.Len,
		Ports: func() (int, int) {
			if s := o.node.Load(); s != nil {
				return s.engine.Ports()
			}
			return 0, 0
		},
		Draining: func() bool {
			s := o.node.Load()
			return s != nil && s.sip.Draining()
		},
		Overloaded: func() bool {
			s := o.node.Load()
			return s != nil && s.engine.Overloaded()
		},
		Realtime: func() bool {
			s := o.node.Load()
			if s == nil {
				return false
			}
			_, rt := s.engine.Scheduling()
			return rt
		},
		IOURing: func() bool {
			s := o.node.Load()
			return s != nil && s.engine.MediaIO() == "io_uring"
		},
		PacerBusy: func() float64 {
			if s := o.node.Load(); s != nil {
				return s.engine.PacerBusy()
			}
			return 0
		},
		StoreBacklog: func() (int, bool, uint64, uint64) {
			if s := o.node.Load(); s != nil {
				return s.adm.gauges()
			}
			return 0, false, 0, 0
		},
		Trunks:           o.trunkGauges,
		Queues:           o.queueGauges,
		Streams:          o.streams.gauge,
		WebSocketRefused: o.wsRefused(), WebSocketBadFrames: o.wsBadFrames(), // browser.go
		TLSHandshakeFailures: func() uint64 {
			if s := o.node.Load(); s != nil {
				return s.sip.TLSHandshakeFailures()
			}
			return 0
		},
	})
	o.health = &observe.Health{
		PingStore: func(ctx context.Context) error {
			s := o.node.Load()
			if s == nil {
				return errors.New("not started")
			}
			return s.ctl.st.Ping(ctx)
		},
		Listening: func() bool {
			s := o.node.Load()
			return s != nil && s.listening()
		},
		Draining: func() bool {
			s := o.node.Load()
			return s == nil || s.sip.Draining()
		},
		Overloaded: func() bool {
			s := o.node.Load()
			return s != nil && s.engine.Overloaded()
		},
		Backlogged: func() bool {
			s := o.node.Load()
			return s != nil && s.adm.check()
		},
		Trunks: o.trunkGauges,
		Capacity: func() int {
			s := o.node.Load()
			if s == nil {
				return 0
			}
			used, total := s.engine.Ports()
			return total - used
		},
	}
	return o
}

// event is call.Options.Events: metrics first, then the other listeners.
func (o *observer) event(ev call.Event) {
	o.metrics.CallEvent(ev)
	for _, h := range o.hooks {
		h(ev)
	}
}

// listening: every server.sip.listen entry is bound.
func (n *Node) listening() bool {
	for _, l := range n.snap.Load().Config.Server.SIP.Listen {
		u, err := url.Parse(l)
		if err != nil || !n.sip.Addr(u.Scheme).IsValid() {
			return false
		}
	}
	return true
}

// handler is everything on the API listener: /metrics, /healthz and
// /readyz without a token (Prometheus and load balancers; they say
// nothing about callers), the rest through the API and its tokens, every
// request counted by route pattern.
func (o *observer) handler(a *api.Server) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", o.metrics.Handler())
	mux.HandleFunc("GET /healthz", o.health.Healthz)
	mux.HandleFunc("GET /readyz", o.health.Readyz)
	mux.Handle("/", a)
	return o.metrics.Instrument(mux, func(r *http.Request) string {
		if _, p := mux.Handler(r); p != "/" {
			return p
		}
		return a.Pattern(r)
	})
}

// liveControl is the API's view of the calls in progress.
type liveControl struct {
	live *call.Live
	node string
}

func (lc liveControl) LiveCalls() []api.LiveCall {
	list := lc.live.List()
	out := make([]api.LiveCall, 0, len(list))
	now := time.Now()
	for _, c := range list {
		qual := quality(call.QualityOf(c.Media))
		out = append(out, api.LiveCall{CallID: c.CallID, Node: lc.node, From: c.From, To: c.To, Trunk: c.Trunk, IVR: c.IVR,
			Menu: c.Menu, State: string(c.State), AnsweredAt: c.Answered.UTC(), DurationMs: now.Sub(c.Answered).Milliseconds(),
			Codec: c.Codec, Quality: &qual})
	}
	return out
}

// quality is a call's media quality as records and the API give it.
func quality(q call.Quality) cdr.Quality {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return cdr.Quality{Sent: q.Sent, Received: q.Received, Lost: q.Lost, JitterMs: ms(q.Jitter), PeerLost: q.PeerLost,
		PeerJitterMs: ms(q.PeerJitter), RTTMs: ms(q.RTT), MOSIn: q.MOSIn, MOSOut: q.MOSOut}
}

func (lc liveControl) HangupCall(id string) error { return apiCallError(lc.live.Hangup(id)) }

func (lc liveControl) TransferCall(ctx context.Context, id string, dest *ivr.Destination, method ivr.TransferMethod) error {
	return apiCallError(lc.live.Transfer(ctx, id, dest, method))
}

// apiCallError maps the call package's errors to the API's (api must not
// import call).
func apiCallError(err error) error {
	switch {
	case errors.Is(err, call.ErrNoSuchCall):
		return api.ErrNoSuchCall
	case errors.Is(err, call.ErrNotInMenu):
		return api.ErrNotInMenu
	}
	return err
}

// trunkGauges is every registering trunk's state (none before the node
// is built).
func (o *observer) trunkGauges() []observe.TrunkGauge {
	if n := o.node.Load(); n != nil {
		return trunkStates{n}.gauges()
	}
	return nil
}
