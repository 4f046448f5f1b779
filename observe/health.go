package observe

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// Health answers /healthz and /readyz. Every field is read per request.
type Health struct {
	// PingStore checks the store answers (a short query).
	PingStore func(ctx context.Context) error
	// Listening reports whether every configured SIP listener is bound.
	Listening func() bool
	// Draining is sip.Server.Draining: the state OPTIONS answers 503 in.
	Draining func() bool
	// Overloaded is media.Engine.Overloaded: OPTIONS answers 503 then too.
	Overloaded func() bool
	// Backlogged: call records and webhook events waiting for the store
	// passed the node's high-water mark; new calls (and OPTIONS) get 503
	// until it has caught up.
	Backlogged func() bool
	// Capacity is how many more calls the server can take (free RTP
	// port pairs); nil: unlimited.
	Capacity func() int
	// Trunks are the trunks' outbound registrations: not ready while one
	// has failed (trunks.go).
	Trunks func() []TrunkGauge
}

// Check is one readiness condition as /readyz reports it.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// Healthz: the process is alive and serving HTTP (no dependency is
// checked: a load balancer restarting ivrd for a slow database would
// only make things worse).
func (h *Health) Healthz(w http.ResponseWriter, r *http.Request) {
	writeHealth(w, http.StatusOK, map[string]any{"status": "alive"})
}

// Readyz: 200 when the server should get new calls, 503 (with every
// check) when not: the store does not answer, a SIP listener is down, the
// server is draining (SIP OPTIONS says 503 too) or it has no room left.
func (h *Health) Readyz(w http.ResponseWriter, r *http.Request) {
	checks := h.Checks(r.Context())
	ready := true
	for _, c := range checks {
		ready = ready && c.OK
	}
	status, word := http.StatusOK, "ready"
	if !ready {
		status, word = http.StatusServiceUnavailable, "not ready"
		w.Header().Set("Retry-After", "5")
	}
	writeHealth(w, status, map[string]any{"status": word, "checks": checks})
}

// Checks runs every readiness check.
func (h *Health) Checks(ctx context.Context) []Check {
	var out []Check
	if h.PingStore != nil {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := h.PingStore(ctx)
		cancel()
		c := Check{Name: "store", OK: err == nil}
		if err != nil {
			c.Detail = err.Error()
		}
		out = append(out, c)
	}
	if h.Listening != nil {
		c := Check{Name: "sip_listeners", OK: h.Listening()}
		if !c.OK {
			c.Detail = "a SIP listener is not bound"
		}
		out = append(out, c)
	}
	if h.Draining != nil {
		c := Check{Name: "not_draining", OK: !h.Draining()}
		if !c.OK {
			c.Detail = "draining: no new calls (SIP OPTIONS answers 503)"
		}
		out = append(out, c)
	}
	if h.Overloaded != nil {
		c := Check{Name: "not_overloaded", OK: !h.Overloaded()}
		if !c.OK {
			c.Detail = "the media pacers keep waking late: new calls are refused (SIP 503) until they catch up"
		}
		out = append(out, c)
	}
	if h.Backlogged != nil {
		c := Check{Name: "store_caught_up", OK: !h.Backlogged()}
		if !c.OK {
			c.Detail = "call records and webhook events waiting for the store passed the high-water mark: new calls are refused (SIP 503) until they are written"
		}
		out = append(out, c)
	}
	if h.Capacity != nil {
		c := Check{Name: "capacity", OK: h.Capacity() > 0}
		if !c.OK {
			c.Detail = "no free RTP port pair for another call"
		}
		out = append(out, c)
	}
	if h.Trunks != nil {
		out = append(out, trunkCheck(h.Trunks))
	}
	return out
}

func writeHealth(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
