package observe

import "github.com/prometheus/client_golang/prometheus"

// StreamGauge is the media streams' counters at a scrape.
type StreamGauge struct {
	Active, Opened, Failed int64
	// FramesSent: media messages sent; FramesDropped: 20 ms frames a far
	// end lost by reading too slowly; PlayDropped: samples a far end
	// sent beyond what may wait to be played.
	FramesSent, FramesDropped, PlayDropped uint64
}

// streamCollector reads the streams at each scrape.
type streamCollector struct {
	read                                   func() StreamGauge
	active, opened, failed                 *prometheus.Desc
	framesSent, framesDropped, playDropped *prometheus.Desc
}

func newStreamCollector(read func() StreamGauge) *streamCollector {
	return &streamCollector{read: read,
		active:        prometheus.NewDesc("ivrd_streams_active", "Media streams open (or opening) now.", nil, nil),
		opened:        prometheus.NewDesc("ivrd_streams_total", "Media streams started (destinations and the API).", nil, nil),
		failed:        prometheus.NewDesc("ivrd_stream_failures_total", "Media streams that could not be opened.", nil, nil),
		framesSent:    prometheus.NewDesc("ivrd_stream_frames_sent_total", "20 ms media messages sent to streams' far ends.", nil, nil),
		framesDropped: prometheus.NewDesc("ivrd_stream_frames_dropped_total", "20 ms frames dropped, the oldest first, because a stream's far end read too slowly.", nil, nil),
		playDropped:   prometheus.NewDesc("ivrd_stream_play_dropped_samples_total", "Samples a far end sent beyond the 20 s that may wait to be played.", nil, nil)}
}

func (c *streamCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.active, c.opened, c.failed, c.framesSent, c.framesDropped, c.playDropped} {
		ch <- d
	}
}

func (c *streamCollector) Collect(ch chan<- prometheus.Metric) {
	g := c.read()
	ch <- prometheus.MustNewConstMetric(c.active, prometheus.GaugeValue, float64(g.Active))
	ch <- prometheus.MustNewConstMetric(c.opened, prometheus.CounterValue, float64(g.Opened))
	ch <- prometheus.MustNewConstMetric(c.failed, prometheus.CounterValue, float64(g.Failed))
	ch <- prometheus.MustNewConstMetric(c.framesSent, prometheus.CounterValue, float64(g.FramesSent))
	ch <- prometheus.MustNewConstMetric(c.framesDropped, prometheus.CounterValue, float64(g.FramesDropped))
	ch <- prometheus.MustNewConstMetric(c.playDropped, prometheus.CounterValue, float64(g.PlayDropped))
}
