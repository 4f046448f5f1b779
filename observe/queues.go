package observe

import "github.com/prometheus/client_golang/prometheus"

// QueueGauge is one call queue at a scrape (this node's state).
type QueueGauge struct {
	Queue string
	// Waiting callers now, and how long the first has waited.
	Waiting            int
	LongestWaitSeconds float64
	// Since the node started: callers who hung up while waiting, callers
	// answered, and of those the ones answered within the queue's
	// service level.
	Abandoned, Answered, AnsweredInTime uint64
}

// queueCollector reads the queues at each scrape. Queue ids come from
// the configuration: a bounded set.
type queueCollector struct {
	read                                 func() []QueueGauge
	waiting, longest                     *prometheus.Desc
	abandoned, answered, answeredInLevel *prometheus.Desc
}

func newQueueCollector(read func() []QueueGauge) *queueCollector {
	l := []string{"queue"}
	return &queueCollector{read: read,
		waiting:         prometheus.NewDesc("ivrd_queue_waiting", "Callers waiting in the queue now.", l, nil),
		longest:         prometheus.NewDesc("ivrd_queue_longest_wait_seconds", "How long the queue's first caller has waited (0: nobody waits).", l, nil),
		abandoned:       prometheus.NewDesc("ivrd_queue_abandoned_total", "Callers who hung up while waiting in the queue.", l, nil),
		answered:        prometheus.NewDesc("ivrd_queue_answered_total", "Queue callers answered by an agent.", l, nil),
		answeredInLevel: prometheus.NewDesc("ivrd_queue_answered_within_service_level_total", "Queue callers answered within the queue's service_level (the service level is this over answered plus abandoned).", l, nil)}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.waiting, c.longest, c.abandoned, c.answered, c.answeredInLevel} {
		ch <- d
	}
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	if c.read == nil {
		return
	}
	for _, q := range c.read() {
		ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(q.Waiting), q.Queue)
		ch <- prometheus.MustNewConstMetric(c.longest, prometheus.GaugeValue, q.LongestWaitSeconds, q.Queue)
		ch <- prometheus.MustNewConstMetric(c.abandoned, prometheus.CounterValue, float64(q.Abandoned), q.Queue)
		ch <- prometheus.MustNewConstMetric(c.answered, prometheus.CounterValue, float64(q.Answered), q.Queue)
		ch <- prometheus.MustNewConstMetric(c.answeredInLevel, prometheus.CounterValue, float64(q.AnsweredInTime), q.Queue)
	}
}
