package node

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/store"
	"github.com/ivrd/ivrd/store/storetest"
	"github.com/ivrd/ivrd/webhook"
)

// countedOutbox counts the outbox transactions the dispatcher makes.
type countedOutbox struct {
	webhook.Outbox
	txs atomic.Int64
}

func (c *countedOutbox) EnqueueWebhooks(ctx context.Context, rows []store.WebhookRow) error {
	c.txs.Add(1)
	return c.Outbox.EnqueueWebhooks(ctx, rows)
}

// TestBurstOfRecordsAndEventsAllLand: a burst of calls' records (start and
// end each) and events (started, menu, ended each), queued all at once
// as a node at well over 1,000 calls a second would queue them, all land
// in the store: every call has its ended record, every event is
// delivered (a repeat only with its event id, as receivers are told) and
// a call's events in the order they were published, in a few hundred
// transactions where one per write (what the queues did, and overflowed)
// would have taken tens of thousands. On SQLite and on PostgreSQL when a
// server answers.
func TestBurstOfRecordsAndEventsAllLand(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			url := "sqlite://" + filepath.Join(t.TempDir(), "ivrd.db")
			if backend == "postgres" {
				url = storetest.Postgres(t)
			}
			ctx := t.Context()
			st, err := store.Open(ctx, url, store.Options{})
			require.NoError(t, err)
			t.Cleanup(func() { _ = st.Close() })

			// The receiver notes each call's events in the order they come.
			var mu sync.Mutex
			got := map[string][]string{}
			seen := map[string]int{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				var ev webhook.Event
				if json.Unmarshal(body, &ev) == nil {
					mu.Lock()
					if seen[ev.ID] == 0 { // a repeat (at least once: a mark the store did not take) is deduplicated by its id
						got[ev.CallID] = append(got[ev.CallID], ev.Type)
					}
					seen[ev.ID]++
					mu.Unlock()
				}
			}))
			t.Cleanup(srv.Close)

			log := slog.New(slog.DiscardHandler)
			rec := newRecorder(st, "n1", log, true)
			var recTxs atomic.Int64
			write := rec.writeCalls
			rec.writeCalls = func(ctx context.Context, ws []store.CallWrite) error {
				recTxs.Add(1)
				return write(ctx, ws)
			}
			outbox := &countedOutbox{Outbox: st}
			hooks := webhook.New(outbox, []ivr.Webhook{{URL: srv.URL, Secret: "0123456789abcdef"}}, webhook.Options{Node: "n1", Log: log})

			const calls = 3000
			types := []string{"call.started", "menu.entered", "call.ended"}
			at := time.Now()
			for i := range calls {
				id := fmt.Sprintf("burst-%d", i)
				r := cdr.Record{CallID: id, Node: "n1", State: cdr.StateStarted, From: "alice", To: "100", Source: cdr.SourceTrunk, InviteAt: at}
				rec.enqueue(startWrite(r))
				for _, ty := range types[:2] {
					hooks.Publish(webhook.Event{ID: webhook.NewID(), Type: ty, Created: at, Node: "n1", CallID: id})
				}
			}
			for i := range calls {
				id := fmt.Sprintf("burst-%d", i)
				end := at.Add(time.Second)
				r := cdr.Record{CallID: id, Node: "n1", State: cdr.StateEnded, From: "alice", To: "100", Source: cdr.SourceTrunk,
					InviteAt: at, AnswerAt: &at, EndAt: &end, IVR: "load", Path: cdr.Path{}, EndReason: cdr.EndCallerHangup, EndedBy: cdr.EndedByCaller}
				rec.enqueue(endWrite(r))
				hooks.Publish(webhook.Event{ID: webhook.NewID(), Type: types[2], Created: end, Node: "n1", CallID: id})
			}
			rec.close() // writes everything queued
			require.Zero(t, rec.backlog())

			n, err := st.CountCalls(ctx)
			require.NoError(t, err)
			require.EqualValues(t, calls, n, "every call has its record")
			for i := 0; i < calls; i += 97 {
				r, err := st.Call(ctx, fmt.Sprintf("burst-%d", i))
				require.NoError(t, err)
				require.Equal(t, cdr.StateEnded, r.State, "the end was written after the start, not lost under it")
			}
			require.Less(t, recTxs.Load(), int64(2*calls/20), "records group-committed (%d transactions for %d writes)", recTxs.Load(), 2*calls)

			waitUntil(t, 60*time.Second, func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(seen) == 3*calls
			}, func() string {
				mu.Lock()
				defer mu.Unlock()
				return fmt.Sprintf("%d of %d events delivered", len(seen), 3*calls)
			})
			hooks.Close()
			require.Zero(t, hooks.Backlog())
			mu.Lock()
			defer mu.Unlock()
			repeats := 0
			for _, n := range seen {
				repeats += n - 1
			}
			t.Logf("%d deliveries repeated (receivers deduplicate by event id)", repeats)
			for i := range calls {
				id := fmt.Sprintf("burst-%d", i)
				require.Equal(t, types, got[id], "call %s: its events in order", id)
			}
			require.Less(t, outbox.txs.Load(), int64(3*calls/20), "events group-committed (%d transactions for %d events)", outbox.txs.Load(), 3*calls)
		})
	}
}
