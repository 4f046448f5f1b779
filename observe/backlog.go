package observe

import "github.com/prometheus/client_golang/prometheus"

// storeBacklog registers the gauges and counters of the writes waiting
// for the store (Gauges.StoreBacklog), read once per scrape.
func storeBacklog(read func() (int, bool, uint64, uint64), f func(prometheus.Collector)) {
	f(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ivrd_store_backlog",
		Help: "Call records and webhook events queued or being written, not yet in the store."},
		func() float64 { n, _, _, _ := read(); return float64(n) }))
	f(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ivrd_store_backlog_refusing",
		Help: "1 while new calls and OPTIONS get 503 because ivrd_store_backlog passed its high-water mark (until it drains below the low one)."},
		func() float64 {
			if _, r, _, _ := read(); r {
				return 1
			}
			return 0
		}))
	f(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ivrd_store_backlog_refused_total",
		Help: "New calls and OPTIONS refused (503) because the store was far behind."},
		func() float64 { _, _, n, _ := read(); return float64(n) }))
	f(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ivrd_store_backlog_over_bound_total",
		Help: "Times the writes waiting for the store passed their memory bound (nothing dropped; a crash then would lose them): should stay 0."},
		func() float64 { _, _, _, n := read(); return float64(n) }))
}
