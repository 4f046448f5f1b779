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

// distinct is how many different events (by id) arrived.
func (rv *receiver) distinct() int {
	ids := map[string]bool{}
	for _, ev := range rv.got() {
		ids[ev.ID] = true
	}
	return len(ids)
}

func (rv *receiver) got() []webhook.Event {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return append([]webhook.Event(nil), rv.events...)
}

// TestWebhooksSurviveADownReceiverAndARestart: events of calls made while
// the receiver is down are kept in the outbox across an ivrd restart
// (the same SQLite store) and delivered once it is up: every one, signed,
// in order per call, a repeat only under the same event id.
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
	require.Eventually(t, func() bool { return backlog(svc) == 0 && rv.distinct() >= 3*calls }, 20*time.Second, 20*time.Millisecond,
		"every event delivered after the restart")

	got := rv.got()
	require.NoError(t, rv.sigError)
	// Delivery is at least once, with the event id as the idempotency
	// key: a delivery whose success was not recorded (the answer lost to
	// a timeout, or the store not taking the mark under load) is sent
	// again. A receiver that drops repeated ids sees each event once, in
	// order per call; a repeat must be the same event, not a new one.
	seen := map[string]webhook.Event{}
	perCall := map[string][]string{}
	for _, ev := range got {
		if first, ok := seen[ev.ID]; ok {
			t.Logf("event %s (%s) delivered again: a receiver drops it by its id", ev.ID, ev.Type)
			assert.Equal(t, first.Type, ev.Type, "a repeated id is the same event")
			assert.Equal(t, first.CallID, ev.CallID, "a repeated id is the same event")
			continue
		}
		seen[ev.ID] = ev
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
