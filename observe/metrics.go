package observe

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ivrd/ivrd/call"
)

// Gauges are read when /metrics is scraped.
type Gauges struct {
	ActiveCalls func() int
	Ports       func() (inUse, total int) // the RTP port pool
	Draining    func() bool
	// Overloaded is media.Engine.Overloaded: the pacers keep waking late
	// and new calls are refused.
	Overloaded func() bool
	// Realtime: the media pacers run at real-time priority.
	Realtime func() bool
	// IOURing: the media pacers move packets through io_uring (one
	// system call a millisecond) rather than a system call a packet.
	IOURing func() bool
	// PacerBusy is media.Engine.PacerBusy: how full the busiest pacer's
	// core is.
	PacerBusy func() float64
	// Trunks are the trunks' outbound registrations (sip.Server's
	// Registrations); TLSHandshakeFailures its failed inbound TLS
	// handshakes (trunks.go).
	Trunks               func() []TrunkGauge
	TLSHandshakeFailures func() uint64
	// WebSocketRefused and WebSocketBadFrames are sip.Server's: upgrade
	// requests refused on ws/wss listeners, connections closed for a bad
	// frame.
	WebSocketRefused, WebSocketBadFrames func() uint64
	// Queues are the call queues (queues.go).
	Queues func() []QueueGauge
	// Streams are the media streams' counters (streams.go).
	Streams func() StreamGauge
	// StoreBacklog is the node's writes not yet in the store (call
	// records and webhook events), whether new calls are refused for it,
	// how many were, and how often the backlog passed its memory bound.
	StoreBacklog func() (backlog int, refusing bool, refused, overBound uint64)
}

// Metrics holds every collector. Labels are bounded sets only: no call
// id, number or URI is ever a label value.
type Metrics struct {
	reg *prometheus.Registry

	callsSetUp   prometheus.Counter
	callsEnded   *prometheus.CounterVec
	callDuration prometheus.Histogram
	sipResponses *prometheus.CounterVec
	digits       *prometheus.CounterVec
	transfers    *prometheus.CounterVec
	rtpPackets   *prometheus.HistogramVec
	rtpLoss      *prometheus.HistogramVec
	rtpJitter    *prometheus.HistogramVec
	rtt          prometheus.Histogram
	mos          *prometheus.HistogramVec
	storeQuery   *prometheus.HistogramVec
	apiRequests  *prometheus.CounterVec
	apiDuration  *prometheus.HistogramVec
	webhooks     *prometheus.CounterVec
	pacerLate    prometheus.Histogram
}

// NewMetrics registers the collectors (and Go's and the process's).
func NewMetrics(g Gauges) *Metrics {
	reg := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{reg: reg}
	m.callsSetUp = prometheus.NewCounter(prometheus.CounterOpts{Name: "ivrd_calls_setup_total",
		Help: "Calls answered and handed to their IVR (rate() of it is the setup rate)."})
	m.callsEnded = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ivrd_calls_total",
		Help: "Calls ended, by end reason and the side that ended them (one per call record)."}, []string{"end_reason", "ended_by"})
	m.callDuration = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ivrd_call_duration_seconds",
		Help: "Call length from the answer to the end.", Buckets: []float64{1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}})
	m.sipResponses = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ivrd_sip_responses_total",
		Help: "SIP responses sent, by the request's method and the code's class (1xx-6xx)."}, []string{"method", "class"})
	m.digits = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ivrd_digits_total",
		Help: "Keys the menus heard, by method (rfc4733, inband, info)."}, []string{"method"})
	m.transfers = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ivrd_transfers_total",
		Help: "Hand-offs finished, by method (refer, bridge, auto, voicemail) and result (ok, failed)."}, []string{"method", "result"})
	dirs := []string{"direction"}
	m.rtpPackets = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ivrd_rtp_packets",
		Help: "RTP packets per call at its end: in (received), out (sent).", Buckets: prometheus.ExponentialBuckets(50, 4, 8)}, dirs)
	m.rtpLoss = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ivrd_rtp_loss_ratio",
		Help: "Packet loss ratio per call at its end: in (ours), out (the caller's RTCP).", Buckets: []float64{0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5}}, dirs)
	m.rtpJitter = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ivrd_rtp_jitter_seconds",
		Help:    "Interarrival jitter per call at its end (RFC 3550): in (ours), out (the caller's RTCP).",
		Buckets: []float64{0.001, 0.002, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16}}, dirs)
	m.rtt = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ivrd_rtp_rtt_seconds",
		Help:    "Round-trip time per call at its end, from RTCP (calls without a report are not counted).",
		Buckets: []float64{0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.8}})
	m.mos = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ivrd_call_mos",
		Help: "E-model (ITU-T G.107) MOS estimate per call at its end.", Buckets: []float64{1, 2, 2.5, 3, 3.5, 3.8, 4, 4.2, 4.4, 4.5}}, dirs)
	m.storeQuery = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ivrd_store_query_seconds",
		Help: "Store statement latency, by verb.", Buckets: prometheus.ExponentialBuckets(0.0001, 3, 10)}, []string{"verb"})
	m.apiRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ivrd_api_requests_total",
		Help: "HTTP requests on the API listener, by route pattern and status code."}, []string{"route", "code"})
	m.apiDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ivrd_api_request_seconds",
		Help: "HTTP request latency on the API listener, by route pattern.", Buckets: prometheus.DefBuckets}, []string{"route"})
	m.webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ivrd_webhook_deliveries_total",
		Help: "Webhook delivery attempts, by result (ok, failed)."}, []string{"result"})
	m.pacerLate = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ivrd_pacer_lateness_seconds",
		Help:    "How late each RTP pacer turn had handed its oldest due tick's frames to the kernel (1 ms schedule; when the last went out).",
		Buckets: []float64{0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05}})
	for _, c := range []prometheus.Collector{m.pacerLate, m.callsSetUp, m.callsEnded, m.callDuration, m.sipResponses, m.digits, m.transfers,
		m.rtpPackets, m.rtpLoss, m.rtpJitter, m.rtt, m.mos, m.storeQuery, m.apiRequests, m.apiDuration, m.webhooks} {
		f(c)
	}
	if g.ActiveCalls != nil {
		f(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ivrd_calls_active", Help: "Calls in progress."},
			func() float64 { return float64(g.ActiveCalls()) }))
	}
	if g.Ports != nil {
		f(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ivrd_rtp_ports_in_use", Help: "RTP port pairs held by sessions."},
			func() float64 { n, _ := g.Ports(); return float64(n) }))
		f(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ivrd_rtp_ports_total", Help: "RTP port pairs in the configured range."},
			func() float64 { _, n := g.Ports(); return float64(n) }))
	}
	if g.Trunks != nil || g.TLSHandshakeFailures != nil {
		f(newTrunkCollector(g.Trunks, g.TLSHandshakeFailures))
	}
	if g.Queues != nil {
		f(newQueueCollector(g.Queues))
	}
	if g.Streams != nil {
		f(newStreamCollector(g.Streams))
	}
	webSocketCounters(g, f)
	if g.StoreBacklog != nil {
		storeBacklog(g.StoreBacklog, f)
	}
	if g.Draining != nil {
		f(boolGauge("ivrd_draining", "1 while draining (no new calls).", g.Draining))
	}
	if g.Realtime != nil {
		f(boolGauge("ivrd_pacer_realtime",
			"1 when the media pacer threads run at SCHED_FIFO priority (server.media.realtime_priority), 0 at normal priority.", g.Realtime))
	}
	if g.IOURing != nil {
		f(boolGauge("ivrd_pacer_io_uring",
			"1 when the media pacers send and receive through io_uring, 0 when through a system call a packet (the start log says why).", g.IOURing))
	}
	if g.PacerBusy != nil {
		f(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ivrd_pacer_busy_ratio",
			Help: "Share of the last half second the busiest media pacer's loop spent working (0-1): near 1 its core is full."},
			g.PacerBusy))
	}
	if g.Overloaded != nil {
		f(boolGauge("ivrd_media_overloaded", "1 while the media pacers keep waking late: new calls and OPTIONS get 503.", g.Overloaded))
	}
	return m
}

// boolGauge is a gauge of 1 while get says true, 0 otherwise.
func boolGauge(name, help string, get func() bool) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
		if get() {
			return 1
		}
		return 0
	})
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// sipMethods are the methods counted by name; anything else is "other".
var sipMethods = map[string]bool{"INVITE": true, "ACK": true, "BYE": true, "CANCEL": true, "OPTIONS": true, "REGISTER": true,
	"INFO": true, "UPDATE": true, "REFER": true, "NOTIFY": true, "SUBSCRIBE": true, "PRACK": true, "MESSAGE": true}

// SIPResponse is sip.Config.OnResponse.
func (m *Metrics) SIPResponse(method string, code int) {
	if !sipMethods[method] {
		method = "other"
	}
	class := "other"
	if code >= 100 && code < 700 {
		class = strconv.Itoa(code/100) + "xx"
	}
	m.sipResponses.WithLabelValues(method, class).Inc()
}

// StoreQuery is store.Options.QueryHook.
func (m *Metrics) StoreQuery(verb string, d time.Duration) {
	m.storeQuery.WithLabelValues(verb).Observe(d.Seconds())
}

// PacerLateness observes how late one pacer tick was: media's
// EngineConfig.OnLate, wired in cmd/ivrd, so media imports no prometheus.
// It runs once a millisecond per pacer, not per frame.
func (m *Metrics) PacerLateness(late time.Duration) { m.pacerLate.Observe(late.Seconds()) }

// WebhookDelivery counts one delivery attempt.
func (m *Metrics) WebhookDelivery(ok bool) {
	if ok {
		m.webhooks.WithLabelValues("ok").Inc()
	} else {
		m.webhooks.WithLabelValues("failed").Inc()
	}
}

// CallEvent is (part of) call.Options.Events.
func (m *Metrics) CallEvent(ev call.Event) {
	switch ev.Type {
	case call.EventCallStarted:
		m.callsSetUp.Inc()
	case call.EventDigit:
		m.digits.WithLabelValues(strings.ToLower(ev.Method.String())).Inc()
	case call.EventTransferFinished:
		method := string(ev.TransferMethod)
		if method == "" {
			method = "voicemail"
		}
		result := "ok"
		if ev.Err != "" {
			result = "failed"
		}
		m.transfers.WithLabelValues(method, result).Inc()
	case call.EventCallEnded:
		m.callEnded(ev.Record)
	}
}

func (m *Metrics) callEnded(r *call.Record) {
	if r == nil {
		return
	}
	m.callsEnded.WithLabelValues(r.Reason.String(), r.Side.String()).Inc()
	if !r.Answered.IsZero() && !r.Ended.IsZero() {
		m.callDuration.Observe(r.Ended.Sub(r.Answered).Seconds())
	}
	st := r.Media
	q := call.QualityOf(st)
	m.rtpPackets.WithLabelValues("in").Observe(float64(st.Received))
	m.rtpPackets.WithLabelValues("out").Observe(float64(st.Sent))
	if st.Received > 0 {
		m.rtpLoss.WithLabelValues("in").Observe(ratio(st.Lost, st.Received))
		m.rtpJitter.WithLabelValues("in").Observe(st.Jitter.Seconds())
		m.mos.WithLabelValues("in").Observe(q.MOSIn)
	}
	if st.RTCPReceived > 0 {
		m.rtpLoss.WithLabelValues("out").Observe(ratio(st.PeerLost, st.Sent))
		m.rtpJitter.WithLabelValues("out").Observe(st.PeerJitter.Seconds())
		m.mos.WithLabelValues("out").Observe(q.MOSOut)
		if st.RTT > 0 {
			m.rtt.Observe(st.RTT.Seconds())
		}
	}
}

func ratio(lost int64, got uint64) float64 {
	if lost <= 0 {
		return 0
	}
	return float64(lost) / (float64(lost) + float64(got))
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes streaming (exports) through.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Instrument counts next's requests by route: route maps a request to
// its pattern ("GET /api/v1/ivrs/{id}"), "" for none (counted as
// "unmatched", so a scan of random paths adds one label value, not many).
func (m *Metrics) Instrument(next http.Handler, route func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pattern := route(r)
		if pattern == "" {
			pattern = "unmatched"
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		m.apiRequests.WithLabelValues(pattern, strconv.Itoa(sw.code)).Inc()
		m.apiDuration.WithLabelValues(pattern).Observe(time.Since(start).Seconds())
	})
}

// webSocketCounters registers the browser listeners' counters.
func webSocketCounters(g Gauges, f func(prometheus.Collector)) {
	if g.WebSocketRefused != nil {
		f(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ivrd_sip_ws_upgrades_refused_total",
			Help: "WebSocket upgrade requests refused on ws:// and wss:// listeners (origin, subprotocol, not an upgrade, too large or too slow)."},
			func() float64 { return float64(g.WebSocketRefused()) }))
	}
	if g.WebSocketBadFrames != nil {
		f(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ivrd_sip_ws_bad_frames_total",
			Help: "WebSocket connections closed because a frame broke RFC 6455 or was over 64 KB."},
			func() float64 { return float64(g.WebSocketBadFrames()) }))
	}
}
