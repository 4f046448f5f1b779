package node

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/cdr"
)

// TestQueuedStartsWriteTheSameRows: the "before" of bench/durability.sh
// (Options.QueuedStarts) is a fair one only if it writes what the
// durable start writes, through the queues: every call's record, ended,
// and its events delivered in order, call.started first.
func TestQueuedStartsWriteTheSameRows(t *testing.T) {
	t.Parallel()
	rv := &receiver{}
	rv.up.Store(true)
	hook := httptest.NewServer(rv)
	defer hook.Close()
	svc := startConfig(t, writeConfig(t, webhookConfig, "SIP_PORT", "0", "DRAIN", "30s", "HOOK_URL", hook.URL+"/ivrd"),
		func(o *Options) { o.QueuedStarts = true })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const calls = 2
	var ids []string
	for i := 0; i < calls; i++ {
		c := newCaller(t)
		answered, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
		require.NoError(t, err)
		ids = append(ids, answered.Dialog.InviteRequest.CallID().Value())
		waitUntil(t, 5*time.Second, func() bool { return len(c.Packets()) > 0 }, func() string { return "no RTP from the node" })
		require.NoError(t, answered.Dialog.Bye(ctx))
	}
	require.Eventually(t, func() bool { return len(rv.got()) >= 3*calls }, 20*time.Second, 20*time.Millisecond, "every event delivered")
	perCall := map[string][]string{}
	for _, ev := range rv.got() {
		perCall[ev.CallID] = append(perCall[ev.CallID], ev.Type)
	}
	for _, id := range ids {
		assert.Equal(t, []string{"call.started", "menu.entered", "call.ended"}, perCall[id], "in order for call %s", id)
		require.Eventually(t, func() bool {
			rec, err := svc.ctl.st.Call(ctx, id)
			return err == nil && rec.State == cdr.StateEnded
		}, 10*time.Second, 20*time.Millisecond, "call %s recorded and ended", id)
	}
}
