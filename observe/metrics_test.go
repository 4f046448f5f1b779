package observe

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/call"
	"github.com/ivrd/ivrd/dtmf"
	"github.com/ivrd/ivrd/media"
)

// scrape returns the metrics as Prometheus would read them.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// TestEveryDashboardMetricExists: each metric the Grafana dashboard
// queries is one ivrd exports, and labels stay in bounded sets.
func TestEveryDashboardMetricExists(t *testing.T) {
	m := NewMetrics(Gauges{ActiveCalls: func() int { return 2 }, Ports: func() (int, int) { return 4, 100 }, Draining: func() bool { return false }})
	now := time.Now()
	m.CallEvent(call.Event{Type: call.EventCallStarted})
	m.CallEvent(call.Event{Type: call.EventDigit, Method: dtmf.RFC4733})
	m.CallEvent(call.Event{Type: call.EventTransferFinished, TransferMethod: "refer", Err: "603"})
	m.CallEvent(call.Event{Type: call.EventCallEnded, Record: &call.Record{Answered: now.Add(-time.Minute), Ended: now,
		Reason: call.EndCallerHangup, Side: call.SideCaller,
		Media: media.Stats{Sent: 3000, Received: 2990, Lost: 10, Jitter: 3 * time.Millisecond, RTCPReceived: 2, PeerLost: 1, RTT: 40 * time.Millisecond}}})
	m.SIPResponse("INVITE", 200)
	m.SIPResponse("FROBNICATE", 999)
	m.StoreQuery("SELECT", time.Millisecond)
	m.WebhookDelivery(true)
	m.PacerLateness(time.Millisecond)
	h := m.Instrument(http.NotFoundHandler(), func(*http.Request) string { return "" })
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/random/path/123", nil))
	text := scrape(t, m)

	assert.Contains(t, text, `ivrd_sip_responses_total{class="other",method="other"} 1`, "unknown methods and codes fold into one label value")
	assert.Contains(t, text, `ivrd_api_requests_total{code="404",route="unmatched"} 1`)
	assert.Contains(t, text, `ivrd_calls_total{end_reason="caller hung up",ended_by="caller"} 1`)
	assert.Contains(t, text, `ivrd_transfers_total{method="refer",result="failed"} 1`)
	assert.Contains(t, text, `ivrd_calls_active 2`)

	data, err := os.ReadFile("../deploy/grafana/ivrd.json")
	require.NoError(t, err)
	var dash map[string]any
	require.NoError(t, json.Unmarshal(data, &dash), "the dashboard is JSON")
	names := regexp.MustCompile(`ivrd_[a-z_]+`).FindAllString(string(data), -1)
	require.NotEmpty(t, names)
	for _, n := range names {
		n = strings.TrimSuffix(n, "_bucket")
		assert.Contains(t, text, "# TYPE "+n+" ", "the dashboard's %s is exported", n)
	}
}
