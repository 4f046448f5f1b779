package api

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type fakeTrunks []TrunkStatus

func (f fakeTrunks) TrunkStatuses() []TrunkStatus { return f }

// The registrations as the SIP layer reports them, checked against the
// OpenAPI document; without SIP the route says so.
func TestTrunkStatus(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/ivrd.db")
	r := e.get("/api/v1/trunks/status")
	require.Equal(t, 503, r.Status, string(r.Body))
	require.Equal(t, "no_sip", r.ErrCode(t))

	next := time.Date(2026, 12, 6, 21, 0, 0, 0, time.UTC)
	e.srv.cfg.Trunks = fakeTrunks{
		{Trunk: "provider", Registrar: "sip:sip.example.net", Contact: "sip:acme@192.0.2.1:5060", Status: "registered", LastCode: 200, NextAttempt: &next, Expires: &next},
		{Trunk: "backup", Registrar: "sip:b.example.net", Status: "failed", LastCode: 403, LastError: "registrar answered 403 Forbidden", NextAttempt: &next, Failures: 3},
	}
	e.srv.cfg.Node = "node-a"
	r = e.do(req{method: "GET", path: "/api/v1/trunks/status", token: readToken})
	require.Equal(t, 200, r.Status, string(r.Body))
	body := r.JSON(t)
	require.Equal(t, "node-a", body["node"])
	list := body["trunks"].([]any)
	require.Len(t, list, 2)
	failed := list[1].(map[string]any)
	require.Equal(t, "failed", failed["status"])
	require.Equal(t, float64(403), failed["last_code"])
	require.Equal(t, "registrar answered 403 Forbidden", failed["last_error"])
	require.Equal(t, "2026-12-06T21:00:00Z", failed["next_attempt"])
	require.NotContains(t, failed, "expires", "no binding: no expiry shown")
}
