package ivrload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// ServiceConfig is `ivrload service`: the HTTP peer an IVR's steps talk
// to during a load run, on a local address. It answers every POST (any
// path) after Delay with Status and Answer: a decision service answering
// ask steps (bench/ask.sh) or a webhook receiver (Delay 0, no body:
// bench/durability.sh). It measures its own side, so that a run can
// tell the service's time from the IVR's.
type ServiceConfig struct {
	Listen string        // host:port
	Delay  time.Duration // how long each answer is held back
	Status int           // default 200
	Answer []byte        // the body of every answer ("": none)
	// Reset, when it fires, forgets the figures so far (the connections
	// stay open): a run can warm the IVR's connection pool with a first
	// round and measure a second, as a service in steady use is asked.
	Reset <-chan struct{}
}

// ServiceResult is what the service saw, and the JSON --json writes.
type ServiceResult struct {
	Listen      string  `json:"listen"`
	DelayMs     float64 `json:"delay_ms"`
	Requests    int     `json:"requests"`
	MaxInFlight int64   `json:"max_in_flight"`
	// Held is each request's time in the service, from its headers read
	// to its answer written: Delay plus what the service itself added.
	HeldP50Ms float64 `json:"held_p50_ms"`
	HeldP99Ms float64 `json:"held_p99_ms"`
	HeldMaxMs float64 `json:"held_max_ms"`
	// ArrivalSpreadMs is from the first request's arrival to the last's:
	// how nearly at once the IVR asked.
	ArrivalSpreadMs float64 `json:"arrival_spread_ms"`
}

// service is a running ServiceConfig.
type service struct {
	cfg      ServiceConfig
	inFlight atomic.Int64
	maxIn    atomic.Int64

	mu      sync.Mutex
	held    []time.Duration
	first   time.Time
	last    time.Time
	stopped chan struct{}
}

// maxServiceSamples bounds the per-request figures kept (the count goes on).
const maxServiceSamples = 1 << 20

func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.maxIn.Load()
		if n <= m || s.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20)) // the request's content is not judged here
	if s.cfg.Delay > 0 {
		t := time.NewTimer(s.cfg.Delay - time.Since(start))
		select {
		case <-t.C:
		case <-r.Context().Done(): // the IVR gave up
			t.Stop()
			return
		case <-s.stopped:
			t.Stop()
			return
		}
	}
	if len(s.cfg.Answer) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(s.cfg.Status)
	_, _ = w.Write(s.cfg.Answer)
	held := time.Since(start)
	s.mu.Lock()
	if s.first.IsZero() {
		s.first = start
	}
	if start.After(s.last) { // the latest arrival, whatever order they finish in
		s.last = start
	}
	if len(s.held) < maxServiceSamples {
		s.held = append(s.held, held)
	}
	s.mu.Unlock()
}

// RunService serves until ctx ends, then reports. ready, when set, is
// told the address once the service listens.
func RunService(ctx context.Context, cfg ServiceConfig, ready func(addr string)) (*ServiceResult, error) {
	if cfg.Status == 0 {
		cfg.Status = http.StatusOK
	}
	if cfg.Status < 200 || cfg.Status > 599 {
		return nil, fmt.Errorf("ivrload service: status %d: want 200-599", cfg.Status)
	}
	if cfg.Delay < 0 {
		return nil, fmt.Errorf("ivrload service: delay %v: want 0 or more", cfg.Delay)
	}
	l, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("ivrload service: %w", err)
	}
	s := &service{cfg: cfg, stopped: make(chan struct{})}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	if ready != nil {
		ready(l.Addr().String())
	}
	for serving := true; serving; {
		select {
		case <-ctx.Done():
			serving = false
		case <-cfg.Reset:
			s.reset()
		case err := <-served:
			return nil, fmt.Errorf("ivrload service: %w", err)
		}
	}
	close(s.stopped)
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("ivrload service: %w", err)
	}
	return s.result(l.Addr().String()), nil
}

// reset forgets the figures so far.
func (s *service) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held, s.first, s.last = s.held[:0], time.Time{}, time.Time{}
	s.maxIn.Store(s.inFlight.Load())
}

func (s *service) result(addr string) *ServiceResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	res := &ServiceResult{Listen: addr, DelayMs: ms(s.cfg.Delay), Requests: len(s.held), MaxInFlight: s.maxIn.Load()}
	if len(s.held) > 0 {
		res.HeldP50Ms, res.HeldP99Ms, res.HeldMaxMs = ms(pct(s.held, 0.5)), ms(pct(s.held, 0.99)), ms(pct(s.held, 1))
		res.ArrivalSpreadMs = ms(s.last.Sub(s.first))
	}
	return res
}

// Summary is the one-line report.
func (r *ServiceResult) Summary() string {
	return fmt.Sprintf("service %s: requests=%d max_in_flight=%d delay=%.0fms held_p50=%.2fms p99=%.2fms max=%.2fms arrivals_spread=%.1fms",
		r.Listen, r.Requests, r.MaxInFlight, r.DelayMs, r.HeldP50Ms, r.HeldP99Ms, r.HeldMaxMs, r.ArrivalSpreadMs)
}
