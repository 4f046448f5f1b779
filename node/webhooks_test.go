package node

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/webhook"
)

const webhookConfig = drainConfig + `
webhooks:
  - url: "HOOK_URL"
    secret: "0123456789abcdef-test"
`

// receiver is a webhook endpoint that can be down (503) or up; up, it
// keeps every delivery it accepts.
type receiver struct {
	up       atomic.Bool
	refused  atomic.Int64
	mu       sync.Mutex
	events   []webhook.Event
	sigError error
}

func (rv *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if !rv.up.Load() {
		rv.refused.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var ev webhook.Event
	err := webhook.Verify("0123456789abcdef-test", r.Header.Get(webhook.SignatureHeader), body, time.Now(), 5*time.Minute)
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if err != nil {
		rv.sigError = err
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID != r.Header.Get("X-Ivrd-Event-Id") {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rv.events = append(rv.events, ev)
	w.WriteHeader(http.StatusNoContent)
}

func (rv *receiver) got() []webhook.Event {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return append([]webhook.Event(nil), rv.events...)
}

// TestWebhooksSurviveADownReceiverAndARestart: events of calls made while
// the receiver is down are kept in the outbox across an ivrd restart
// (the same SQLite store) and delivered once it is up: every one, once,
// signed, in order per call.
func TestWebhooksSurviveADownReceiverAndARestart(t *testing.T) {
	t.Parallel()
	rv := &receiver{}
	hook := httptest.NewServer(rv)
	defer hook.Close()
	path := writeConfig(t, webhookConfig, "SIP_PORT", "0", "DRAIN", "30s", "HOOK_URL", hook.URL+"/ivrd")

	svc, err := newService(path, os.Stderr, "warn")
	require.NoError(t, err)
	require.NoError(t, svc.Start(context.Background()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const calls = 3
	ids := map[string]bool{}
	for i := 0; i < calls; i++ {
		c := newCaller(t)
		answered, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
		require.NoError(t, err)
		ids[answered.Dialog.InviteRequest.CallID().Value()] = true
		waitUntil(t, 5*time.Second, func() bool { return len(c.Packets()) > 0 }, func() string { return "no RTP from the node" })
		require.NoError(t, answered.Dialog.Bye(ctx))
	}
	require.Eventually(t, func() bool { return svc.obs.live.Len() == 0 }, 10*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool { return rv.refused.Load() >= 3 }, 10*time.Second, 10*time.Millisecond, "deliveries were tried while down")
	svc.Close()

	backlog := func(s *Node) int64 {
		n, err := s.ctl.st.WebhookBacklog(ctx)
		require.NoError(t, err)
		return n
	}
	rv.up.Store(true)
	svc, err = newService(path, os.Stderr, "warn")
	require.NoError(t, err)
	require.NoError(t, svc.Start(context.Background()))
	defer svc.Close()
	require.Eventually(t, func() bool { return backlog(svc) == 0 && len(rv.got()) >= 3*calls }, 20*time.Second, 20*time.Millisecond,
		"every event delivered after the restart")

	got := rv.got()
	require.NoError(t, rv.sigError)
	seen := map[string]bool{}
	perCall := map[string][]string{}
	for _, ev := range got {
		assert.False(t, seen[ev.ID], "event %s delivered once", ev.ID)
		seen[ev.ID] = true
		perCall[ev.CallID] = append(perCall[ev.CallID], ev.Type)
	}
	require.Len(t, perCall, calls)
	for id, types := range perCall {
		assert.True(t, ids[id], "a call we made")
		assert.Equal(t, []string{"call.started", "menu.entered", "call.ended"}, types, "in order for call %s", id)
	}
	for _, ev := range got {
		if ev.Type == "call.ended" {
			rec := ev.Data.(map[string]any)
			assert.Equal(t, "caller hung up", rec["end_reason"])
			assert.Equal(t, "main", rec["ivr"])
		}
	}
}
