package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/store"
	"github.com/ivrd/ivrd/store/storetest"
)

// TestFlakyReceiverGetsEveryEventInOrderPerCall: a receiver that fails
// every third request still ends up with each event once, each call's in
// the order published, and only the events its filter asks for.
func TestFlakyReceiverGetsEveryEventInOrderPerCall(t *testing.T) {
	t.Parallel()
	// Each backend's URL is made with the subtest's own t: a skip for a
	// missing PostgreSQL must end that subtest, not its parent.
	for name, url := range map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "w.db") },
		"postgres": func(t *testing.T) string { return storetest.Postgres(t) },
	} {
		t.Run(name, func(t *testing.T) {
			st, err := store.Open(context.Background(), url(t), store.Options{})
			require.NoError(t, err)
			defer st.Close()
			var mu sync.Mutex
			n := 0
			var got []Event
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				defer mu.Unlock()
				n++
				if n%3 == 0 {
					w.WriteHeader(http.StatusBadGateway)
					return
				}
				require.NoError(t, Verify("0123456789abcdef", r.Header.Get(SignatureHeader), body, time.Now(), time.Minute))
				var ev Event
				require.NoError(t, json.Unmarshal(body, &ev))
				got = append(got, ev)
			}))
			defer srv.Close()
			d := New(st, []ivr.Webhook{{URL: srv.URL, Secret: "0123456789abcdef", Events: []string{"digit", "call.ended"}}},
				Options{Node: "n", RetryMin: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond, Poll: 10 * time.Millisecond})
			defer d.Close()
			want := map[string][]string{}
			for i := 0; i < 20; i++ {
				call := fmt.Sprintf("call-%d", i%4)
				typ := "digit"
				if i >= 16 {
					typ = "call.ended"
				}
				ev := Event{ID: NewID(), Type: typ, Created: time.Now(), Node: "n", CallID: call, Data: map[string]any{"i": i}}
				want[call] = append(want[call], ev.ID)
				d.Publish(ev)
				d.Publish(Event{ID: NewID(), Type: "menu.entered", Created: time.Now(), CallID: call}) // filtered out
			}
			// Every event arrived and the outbox has nothing left to send;
			// then Close waits for the senders, so nothing more can come.
			require.Eventually(t, func() bool {
				mu.Lock()
				distinct := map[string]bool{}
				for _, ev := range got {
					distinct[ev.ID] = true
				}
				mu.Unlock()
				backlog, err := st.WebhookBacklog(context.Background())
				return err == nil && backlog == 0 && len(distinct) == 20
			}, 20*time.Second, 10*time.Millisecond)
			d.Close()
			mu.Lock()
			defer mu.Unlock()
			require.Len(t, got, 20, "each event once")
			per := map[string][]string{}
			for _, ev := range got {
				per[ev.CallID] = append(per[ev.CallID], ev.ID)
			}
			assert.Equal(t, want, per, "in order per call")
		})
	}
}
