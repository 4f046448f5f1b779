package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/store"
	"github.com/ivrd/ivrd/store/storetest"
)

// commitClock is an Outbox that notes, for each event, how long after
// its Publish the outbox transaction holding it committed: the window in
// which a SIGKILL loses the event.
type commitClock struct {
	Outbox
	mu        sync.Mutex
	published map[string]time.Time
	delays    []time.Duration
}

func (c *commitClock) publish(d *Dispatcher, ev Event) {
	c.mu.Lock()
	c.published[ev.ID] = time.Now()
	c.mu.Unlock()
	d.Publish(ev)
}

func (c *commitClock) EnqueueWebhooks(ctx context.Context, rows []store.WebhookRow) error {
	err := c.Outbox.EnqueueWebhooks(ctx, rows)
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range rows {
		if at, ok := c.published[r.EventID]; ok && err == nil {
			c.delays = append(c.delays, now.Sub(at))
			delete(c.published, r.EventID)
		}
	}
	return err
}

func (c *commitClock) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.delays)
}

// BenchmarkOutboxCommitDelay measures the bound README's "Running several
// nodes" states: how long an event published by a call waits in memory
// before the outbox row holding it is committed to PostgreSQL (what a
// SIGKILL can lose), at a steady rate of events (each b.N is one event;
// 2,000 events a second: 200 calls a second with their ten events each).
// It reports the median, the 99th percentile and the maximum in ms.
//
//	go test -run '^$' -bench OutboxCommitDelay -benchtime 4000x ./webhook/
func BenchmarkOutboxCommitDelay(b *testing.B) {
	url := storetest.Postgres(b)
	st, err := store.Open(context.Background(), url, store.Options{})
	require.NoError(b, err)
	defer st.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer srv.Close()
	clock := &commitClock{Outbox: st, published: map[string]time.Time{}}
	d := New(clock, []ivr.Webhook{{URL: srv.URL, Secret: "0123456789abcdef"}}, Options{Node: "bench"})
	defer d.Close()
	const perSecond = 2000
	tick := time.NewTicker(time.Second / 100) // 100 bursts a second, as calls' events come
	defer tick.Stop()
	b.ResetTimer()
	for i := 0; i < b.N; {
		<-tick.C // the offered rate: events arrive over time, not at once
		for j := 0; j < perSecond/100 && i < b.N; j, i = j+1, i+1 {
			clock.publish(d, Event{ID: NewID(), Type: "digit", Created: time.Now(), Node: "bench", CallID: "c"})
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for clock.count() < b.N && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // the last batch's commit: polled, bounded
	}
	b.StopTimer()
	clock.mu.Lock()
	delays := slices.Clone(clock.delays)
	clock.mu.Unlock()
	require.Len(b, delays, b.N, "every event committed")
	slices.Sort(delays)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(delays[len(delays)/2]), "p50-ms")
	b.ReportMetric(ms(delays[len(delays)*99/100]), "p99-ms")
	b.ReportMetric(ms(delays[len(delays)-1]), "max-ms")
}

// TestPublishDurableIsInTheOutboxOnReturn: an event published durably is
// an outbox row when PublishDurable returns (a SIGKILL then cannot lose
// it), one per target that wants it, and is delivered from there like
// any other.
func TestPublishDurableIsInTheOutboxOnReturn(t *testing.T) {
	t.Parallel()
	st, srv, got := storeAndReceiver(t)
	// The dispatcher polls rarely: only the durable write's wake-up (or
	// the writer) can have made the row.
	d := New(st, []ivr.Webhook{{URL: srv.URL, Secret: "0123456789abcdef", Events: []string{"call.started"}},
		{URL: srv.URL + "/digits", Secret: "0123456789abcdef", Events: []string{"digit"}}}, Options{Node: "n", Poll: time.Hour})
	defer d.Close()
	ev := Event{ID: NewID(), Type: "call.started", Created: time.Now(), Node: "n", CallID: "c1"}
	d.PublishDurable(ev, time.Second)
	rows, err := st.PendingWebhooks(context.Background(), "n", srv.URL, 10)
	require.NoError(t, err)
	delivered := false
	select {
	case id := <-got:
		delivered = id == ev.ID
	default:
	}
	require.True(t, delivered || (len(rows) == 1 && rows[0].EventID == ev.ID), "the event is in the outbox (or already delivered from it)")
	others, err := st.PendingWebhooks(context.Background(), "n", srv.URL+"/digits", 10)
	require.NoError(t, err)
	require.Empty(t, others, "no row for a target that does not want the event")
	if !delivered {
		select {
		case id := <-got:
			require.Equal(t, ev.ID, id)
		case <-time.After(10 * time.Second):
			t.Fatal("the durable event was never delivered")
		}
	}
}

// TestStartedRecordGoesWithItsEvent: a call's first event queued with its
// started record (the durable write missed its wait) lands with it in
// one transaction, ahead of the call's later events; with no webhook at
// all the record is still written.
func TestStartedRecordGoesWithItsEvent(t *testing.T) {
	t.Parallel()
	st, srv, got := storeAndReceiver(t)
	d := New(st, []ivr.Webhook{{URL: srv.URL, Secret: "0123456789abcdef"}}, Options{Node: "n", Poll: 20 * time.Millisecond})
	started := Event{ID: NewID(), Type: "call.started", Created: time.Now(), Node: "n", CallID: "c1",
		Started: &cdr.Record{CallID: "c1", Node: "n", From: "1001", To: "100", InviteAt: time.Now()}}
	ended := Event{ID: NewID(), Type: "call.ended", Created: time.Now(), Node: "n", CallID: "c1"}
	d.Publish(started)
	d.Publish(ended)
	for _, want := range []string{started.ID, ended.ID} {
		select {
		case id := <-got:
			require.Equal(t, want, id, "call.started first, then call.ended")
		case <-time.After(10 * time.Second):
			t.Fatal("the events were never delivered")
		}
	}
	rec, err := st.Call(context.Background(), "c1")
	require.NoError(t, err, "the started record is written with its event")
	assert.Equal(t, "1001", rec.From)
	d.Close()

	quiet := New(st, nil, Options{Node: "n"})
	quiet.Publish(Event{ID: NewID(), Type: "call.started", Created: time.Now(), Node: "n", CallID: "c2",
		Started: &cdr.Record{CallID: "c2", Node: "n", From: "1002", To: "100", InviteAt: time.Now()}})
	quiet.Close() // writes what is queued
	rec, err = st.Call(context.Background(), "c2")
	require.NoError(t, err, "with no webhook the record is still written")
	assert.Equal(t, "1002", rec.From)
}

// storeAndReceiver is a SQLite store and a receiver that passes on each
// delivery's event id, both closed when the test ends.
func storeAndReceiver(t *testing.T) (*store.Store, *httptest.Server, chan string) {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite://"+t.TempDir()+"/w.db", store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	got := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("X-Ivrd-Event-Id")
	}))
	t.Cleanup(srv.Close)
	return st, srv, got
}
