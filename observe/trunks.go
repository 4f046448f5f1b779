package observe

import (
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// TrunkGauge is one trunk's outbound registration as a scrape or a
// readiness check sees it.
type TrunkGauge struct {
	Trunk string
	// Status: registering, registered, failed or unregistered.
	Status string
	// Failures counts attempts failed in a row.
	Failures  int
	LastError string
}

// trunkStatuses are the states of the ivrd_trunk_registration state set.
var trunkStatuses = []string{"registering", "registered", "failed", "unregistered"}

// trunkCollector reads the registrations at each scrape: one series per
// trunk and state (1 for the state it is in), and its failures in a row.
// Trunk names come from the configuration: a bounded set.
type trunkCollector struct {
	read      func() []TrunkGauge
	state     *prometheus.Desc
	failures  *prometheus.Desc
	tls       *prometheus.Desc
	tlsFailed func() uint64
}

func newTrunkCollector(read func() []TrunkGauge, tlsFailed func() uint64) *trunkCollector {
	return &trunkCollector{read: read, tlsFailed: tlsFailed,
		state: prometheus.NewDesc("ivrd_trunk_registration",
			"Outbound registration of each trunk that registers: 1 for the state it is in.", []string{"trunk", "state"}, nil),
		failures: prometheus.NewDesc("ivrd_trunk_registration_failures",
			"Registration attempts of the trunk failed in a row (0 once registered).", []string{"trunk"}, nil),
		tls: prometheus.NewDesc("ivrd_sip_tls_handshake_failures_total",
			"Inbound TLS handshakes that failed or never finished on tls:// listeners.", nil, nil)}
}

func (c *trunkCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.state
	ch <- c.failures
	ch <- c.tls
}

func (c *trunkCollector) Collect(ch chan<- prometheus.Metric) {
	if c.read != nil {
		for _, t := range c.read() {
			for _, st := range trunkStatuses {
				v := 0.0
				if st == t.Status {
					v = 1
				}
				ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, v, t.Trunk, st)
			}
			ch <- prometheus.MustNewConstMetric(c.failures, prometheus.GaugeValue, float64(t.Failures), t.Trunk)
		}
	}
	if c.tlsFailed != nil {
		ch <- prometheus.MustNewConstMetric(c.tls, prometheus.CounterValue, float64(c.tlsFailed()))
	}
}

// trunkCheck is the readiness check of the registrations: not ready while
// one has failed (the provider cannot deliver that trunk's calls here).
func trunkCheck(read func() []TrunkGauge) Check {
	c := Check{Name: "trunk_registrations", OK: true}
	var failed []string
	for _, t := range read() {
		if t.Status == "failed" {
			failed = append(failed, fmt.Sprintf("%s: %s", t.Trunk, t.LastError))
		}
	}
	if len(failed) > 0 {
		c.OK = false
		c.Detail = "registration failed: " + strings.Join(failed, "; ")
	}
	return c
}
