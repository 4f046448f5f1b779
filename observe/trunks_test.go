package observe

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTrunkRegistrationMetricsAndReadiness(t *testing.T) {
	trunks := []TrunkGauge{{Trunk: "provider", Status: "registered"}, {Trunk: "backup", Status: "failed", Failures: 3, LastError: "registrar answered 403 Forbidden"}}
	m := NewMetrics(Gauges{Trunks: func() []TrunkGauge { return trunks }, TLSHandshakeFailures: func() uint64 { return 7 }})
	out := scrape(t, m)
	for _, line := range []string{
		`ivrd_trunk_registration{state="registered",trunk="provider"} 1`,
		`ivrd_trunk_registration{state="failed",trunk="provider"} 0`,
		`ivrd_trunk_registration{state="failed",trunk="backup"} 1`,
		`ivrd_trunk_registration_failures{trunk="backup"} 3`,
		`ivrd_sip_tls_handshake_failures_total 7`,
	} {
		assert.Contains(t, out, line+"\n")
	}

	h := &Health{Trunks: func() []TrunkGauge { return trunks }}
	w := httptest.NewRecorder()
	h.Readyz(w, httptest.NewRequest("GET", "/readyz", nil))
	assert.Equal(t, 503, w.Code)
	assert.Contains(t, w.Body.String(), "backup: registrar answered 403 Forbidden")
	trunks[1].Status = "registered"
	checks := h.Checks(context.Background())
	require.Len(t, checks, 1)
	assert.True(t, checks[0].OK)
}

func TestWebSocketMetrics(t *testing.T) {
	m := NewMetrics(Gauges{WebSocketRefused: func() uint64 { return 4 }, WebSocketBadFrames: func() uint64 { return 2 }})
	out := scrape(t, m)
	assert.Contains(t, out, "ivrd_sip_ws_upgrades_refused_total 4\n")
	assert.Contains(t, out, "ivrd_sip_ws_bad_frames_total 2\n")
}
