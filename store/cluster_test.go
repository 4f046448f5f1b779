package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/store/storetest"
)

// TestNotifyReachesOtherNode: two nodes on one PostgreSQL database; a
// change made through node A is delivered to node B's subscription by
// LISTEN/NOTIFY well within a second, without B polling anything.
func TestNotifyReachesOtherNode(t *testing.T) {
	t.Parallel()
	url := storetest.Postgres(t)
	a, b := openTest(t, url), openTest(t, url)
	importExample(t, a)
	changes, unsubscribe := b.Subscribe()
	defer unsubscribe()
	waitListeners(t, a, nil)

	res, err := a.Put(context.Background(), "t", IVRs, "extra", body(t, `{"prompt":"main-choices","extensions":["555"],"keys":{"1":"hangup"}}`), 0)
	require.NoError(t, err)
	committed := time.Now()
	waitVersion(t, changes, res.Version, "node B hears the version node A wrote")
	t.Logf("node B heard the change %s after node A's commit", time.Since(committed))
}

// TestListenerReconnects: the listening connection killed by the server
// (a PostgreSQL restart, a proxy's idle timeout) is opened again, and the
// next change is heard through it.
func TestListenerReconnects(t *testing.T) {
	t.Parallel()
	url := storetest.Postgres(t)
	a, b := openTest(t, url), openTest(t, url)
	importExample(t, a)
	changes, unsubscribe := b.Subscribe()
	defer unsubscribe()

	ctx := context.Background()
	before := waitListeners(t, a, nil)
	res, err := a.db.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN `+configChannel+`'`)
	require.NoError(t, err)
	n, _ := res.RowsAffected()
	require.EqualValues(t, 2, n, "both stores' listening connections found and ended")
	// Both listen again, on new connections, before the change is made.
	waitListeners(t, a, before)
	put, err := a.Put(ctx, "t", IVRs, "extra", body(t, `{"prompt":"main-choices","extensions":["555"],"keys":{"1":"hangup"}}`), 0)
	require.NoError(t, err)
	waitVersion(t, changes, put.Version, "the change heard through the new connection")
}

// waitListeners waits until both stores of the test's database listen for
// changes on connections other than those in old, and returns their
// backends' pids.
func waitListeners(t *testing.T, s *Store, old map[int]bool) map[int]bool {
	t.Helper()
	var pids map[int]bool
	require.Eventually(t, func() bool {
		rows, err := s.db.QueryContext(context.Background(), `SELECT pid FROM pg_stat_activity
			WHERE datname = current_database() AND query = 'LISTEN `+configChannel+`'`)
		if err != nil {
			return false
		}
		defer rows.Close()
		pids = map[int]bool{}
		for rows.Next() {
			var pid int
			if rows.Scan(&pid) == nil && !old[pid] {
				pids[pid] = true
			}
		}
		return rows.Err() == nil && len(pids) == 2
	}, listenRetry+10*time.Second, 10*time.Millisecond, "both stores listening")
	return pids
}

// waitVersion reads announcements until want comes: a listener announces
// the version it finds when it connects, so an older one may come first.
func waitVersion(t *testing.T, changes <-chan int64, want int64, what string) {
	t.Helper()
	timeout := time.After(time.Second)
	for {
		select {
		case v := <-changes:
			if v == want {
				return
			}
		case <-timeout:
			t.Fatalf("%s: version %d not announced within 1 s", what, want)
		}
	}
}

// TestPromptUploadedOnOneNodePlaysOnAnother: prompts live in the
// database, so a prompt uploaded through node A is in node B's library,
// sample for sample.
func TestPromptUploadedOnOneNodePlaysOnAnother(t *testing.T) {
	t.Parallel()
	url := storetest.Postgres(t)
	a, b := openTest(t, url), openTest(t, url)
	importExample(t, a)
	pcm := make([]int16, 8000)
	for i := range pcm {
		pcm[i] = int16((i % 40) * 300)
	}
	_, err := a.PutPrompt(context.Background(), "t", "sales-welcome", pcm, 0)
	require.NoError(t, err)
	lib, err := b.PromptLibrary(context.Background(), prompts.Builtin())
	require.NoError(t, err)
	p, ok := lib.Get("sales-welcome")
	require.True(t, ok, "node B's library has the prompt node A stored")
	require.Equal(t, pcm, p.PCM, "the same samples")
}

// TestSweepSettlesOnlyLostNodes: a node whose heartbeat is older than
// the limit has its 'started' calls marked interrupted; a live node's
// calls, the sweeper's own and calls already ended are left alone.
func TestSweepSettlesOnlyLostNodes(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTest(t, url)
		for _, n := range []string{"a", "b", "c"} {
			require.NoError(t, s.Heartbeat(ctx, n))
		}
		// b went silent a minute ago; a is the sweeper; c is alive.
		_, err := s.exec(ctx, s.db, `UPDATE cluster_nodes SET seen_at = ? WHERE node = 'b'`, time.Now().Add(-time.Minute).UnixMilli())
		require.NoError(t, err)
		start := func(id, node string) {
			require.NoError(t, s.CallStarted(ctx, cdr.Record{CallID: id, Node: node, From: "1", To: "100", Source: cdr.SourceUnknown, InviteAt: time.Now()}))
		}
		start("b1", "b")
		start("b2", "b")
		start("c1", "c")
		start("a1", "a")
		start("b3", "b")
		end := time.Now()
		require.NoError(t, s.CallEnded(ctx, cdr.Record{CallID: "b3", Node: "b", EndAt: &end, EndReason: cdr.EndCallerHangup}))

		lost, _, err := s.SweepLost(ctx, "a", 10*time.Second)
		require.NoError(t, err)
		require.ElementsMatch(t, []SettledCall{{Node: "b", CallID: "b1"}, {Node: "b", CallID: "b2"}}, lost)
		for id, want := range map[string]string{"b1": "interrupted", "b2": "interrupted", "b3": "ended", "c1": "started", "a1": "started"} {
			r, err := s.Call(ctx, id)
			require.NoError(t, err)
			require.Equal(t, want, string(r.State), id)
		}
		r, _ := s.Call(ctx, "b1")
		require.Equal(t, cdr.EndNodeLost, r.EndReason)
		require.NotNil(t, r.EndAt)

		// A second sweep (another survivor) finds nothing left to settle.
		lost, _, err = s.SweepLost(ctx, "c", 10*time.Second)
		require.NoError(t, err)
		require.Empty(t, lost)

		// A node that leaves cleanly is no longer watched.
		require.NoError(t, s.LeaveCluster(ctx, "b"))
		start("b4", "b")
		lost, _, err = s.SweepLost(ctx, "a", 10*time.Second)
		require.NoError(t, err)
		require.Empty(t, lost)
	})
}

// TestAdoptWebhooksTakesOnlyDeadNodesRows: undelivered outbox rows of a
// node that stopped beating (or left) move to the adopting node, keeping
// their order, the last it wrote before dying included; a live node's
// rows and delivered rows stay where they are; two survivors adopting at
// once take each row once.
func TestAdoptWebhooksTakesOnlyDeadNodesRows(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTest(t, url)
		for _, n := range []string{"a", "b", "c"} {
			require.NoError(t, s.Heartbeat(ctx, n))
		}
		old := time.Now().Add(-time.Minute)
		_, err := s.exec(ctx, s.db, `UPDATE cluster_nodes SET seen_at = ? WHERE node = 'b'`, old.UnixMilli())
		require.NoError(t, err)
		row := func(id, node string, created time.Time) WebhookRow {
			return WebhookRow{EventID: id, Target: "http://127.0.0.1:9/hook", Node: node, CallID: "call-" + node, Type: "call.started",
				Payload: []byte(`{}`), Created: created, NextAt: created}
		}
		require.NoError(t, s.EnqueueWebhooks(ctx, []WebhookRow{
			row("b1", "b", old), row("b2", "b", old), row("b-done", "b", old), row("b-new", "b", time.Now()),
			row("c1", "c", old), row("gone1", "gone", old),
		}))
		pending, err := s.PendingWebhooks(ctx, "b", "http://127.0.0.1:9/hook", 10)
		require.NoError(t, err)
		for _, r := range pending {
			if r.EventID == "b-done" {
				require.NoError(t, s.WebhookDelivered(ctx, r.ID, 1))
			}
		}

		n, err := s.AdoptWebhooks(ctx, "a", 10*time.Second)
		require.NoError(t, err)
		require.Equal(t, int64(4), n, "b's undelivered rows and the row of a node with no heartbeat at all")
		again, err := s.AdoptWebhooks(ctx, "c", 10*time.Second)
		require.NoError(t, err)
		require.Zero(t, again, "a second survivor finds nothing left")

		mine, err := s.PendingWebhooks(ctx, "a", "http://127.0.0.1:9/hook", 10)
		require.NoError(t, err)
		var ids []string
		for _, r := range mine {
			ids = append(ids, r.EventID)
		}
		require.Equal(t, []string{"b1", "b2", "b-new", "gone1"}, ids, "adopted in their order")
		left, err := s.PendingWebhooks(ctx, "b", "http://127.0.0.1:9/hook", 10)
		require.NoError(t, err)
		require.Empty(t, left)
		cs, err := s.PendingWebhooks(ctx, "c", "http://127.0.0.1:9/hook", 10)
		require.NoError(t, err)
		require.Len(t, cs, 1, "a live node keeps its rows")
	})
}

// TestCallStartedWithWebhooksWritesBoth: a call's started row and its
// first event's outbox rows go in together; a repeat keeps what is there;
// a row the outbox refuses leaves no record either (one transaction).
func TestCallStartedWithWebhooksWritesBoth(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTest(t, url)
		rec := cdr.Record{CallID: "c1", Node: "n", From: "1", To: "100", Source: cdr.SourceTrunk, IVR: "main", InviteAt: time.Now()}
		row := WebhookRow{EventID: "e1", Target: "http://127.0.0.1:9/hook", Node: "n", CallID: "c1", Type: "call.started",
			Payload: []byte(`{}`), Created: time.Now(), NextAt: time.Now()}
		require.NoError(t, s.CallStartedWithWebhooks(ctx, rec, []WebhookRow{row}))
		require.NoError(t, s.CallStartedWithWebhooks(ctx, rec, []WebhookRow{row}), "a repeat")
		r, err := s.Call(ctx, "c1")
		require.NoError(t, err)
		require.Equal(t, cdr.StateStarted, r.State)
		require.Equal(t, "main", r.IVR)
		pending, err := s.PendingWebhooks(ctx, "n", row.Target, 10)
		require.NoError(t, err)
		require.Len(t, pending, 1)

		bad := row
		bad.EventID = "" // refused by the outbox
		rec.CallID = "c2"
		require.ErrorIs(t, s.CallStartedWithWebhooks(ctx, rec, []WebhookRow{bad}), ErrBadInput)
		_, err = s.Call(ctx, "c2")
		require.ErrorIs(t, err, ErrNotFound, "no record without its event")
	})
}

// TestSweepHandsEachCallToOneSurvivor: two survivors sweep a dead node at
// the same moment, many times over. Whichever settles a call (and so
// writes its call.ended) holds that call's earlier outbox rows: the
// receiver gets its call.started first. Before the two steps were one
// transaction, the other survivor could adopt the call.started while the
// first sent the call.ended, and the end arrived before the start.
func TestSweepHandsEachCallToOneSurvivor(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTest(t, url)
		const target = "http://127.0.0.1:9/hook"
		for round := range 20 {
			dead := fmt.Sprintf("dead-%d", round)
			for _, n := range []string{"a", "c", dead} {
				require.NoError(t, s.Heartbeat(ctx, n))
			}
			var rows []WebhookRow
			for i := range 5 {
				id := fmt.Sprintf("%s-call-%d", dead, i)
				require.NoError(t, s.CallStarted(ctx, cdr.Record{CallID: id, Node: dead, From: "1", To: "100", Source: cdr.SourceUnknown, InviteAt: time.Now()}))
				rows = append(rows, WebhookRow{EventID: id + "-started", Target: target, Node: dead, CallID: id, Type: "call.started",
					Payload: []byte(`{}`), Created: time.Now(), NextAt: time.Now()})
			}
			require.NoError(t, s.EnqueueWebhooks(ctx, rows))
			_, err := s.exec(ctx, s.db, `UPDATE cluster_nodes SET seen_at = ? WHERE node = ?`, time.Now().Add(-time.Minute).UnixMilli(), dead)
			require.NoError(t, err)

			settled := map[string]string{} // call -> the survivor that settled it
			adopted := map[string]int64{}
			var mu sync.Mutex
			var wg sync.WaitGroup
			for _, self := range []string{"a", "c"} {
				wg.Go(func() {
					lost, n, err := s.SweepLost(ctx, self, 10*time.Second)
					assert.NoError(t, err)
					mu.Lock()
					defer mu.Unlock()
					adopted[self] = n
					for _, l := range lost {
						settled[l.CallID] = self
					}
				})
			}
			wg.Wait()
			require.Len(t, settled, 5, "each call settled once")
			require.Equal(t, int64(5), adopted["a"]+adopted["c"], "each row adopted once")
			for _, self := range []string{"a", "c"} {
				mine, err := s.PendingWebhooks(ctx, self, target, 100)
				require.NoError(t, err)
				for _, r := range mine {
					require.Equal(t, self, settled[r.CallID], "round %d: %s holds the call.started of %s, settled by %s", round, self, r.CallID, settled[r.CallID])
				}
			}
			require.NoError(t, s.LeaveCluster(ctx, dead))
			for _, self := range []string{"a", "c"} { // the next round starts with an empty outbox
				mine, err := s.PendingWebhooks(ctx, self, target, 100)
				require.NoError(t, err)
				for _, r := range mine {
					require.NoError(t, s.WebhookDelivered(ctx, r.ID, 1))
				}
			}
		}
	})
}
