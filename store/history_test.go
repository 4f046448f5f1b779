package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ivrd/ivrd/cdr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCallHistoryRetentionAndOutbox(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s, err := Open(ctx, url, Options{})
		require.NoError(t, err)
		defer s.Close()
		old := time.Now().Add(-40 * 24 * time.Hour)
		for i, at := range []time.Time{old, old.Add(time.Hour), time.Now().Add(-time.Hour)} {
			end := at.Add(time.Minute)
			require.NoError(t, s.CallEnded(ctx, cdr.Record{CallID: fmt.Sprintf("c%d", i), Node: "n", From: "a", To: "100",
				Source: cdr.SourceUnknown, InviteAt: at, AnswerAt: &at, EndAt: &end, IVR: "main", Keys: []cdr.Key{{Key: "5"}}}))
		}
		require.NoError(t, s.CallStarted(ctx, cdr.Record{CallID: "live", Node: "n", InviteAt: old}))
		rows, next, err := s.CallHistory(ctx, CallFilter{Key: "5", Limit: 2})
		require.NoError(t, err)
		assert.Len(t, rows, 2)
		assert.NotEmpty(t, next)
		_, _, err = s.CallHistory(ctx, CallFilter{Outcome: "50%_"})
		require.ErrorIs(t, err, ErrBadInput, "an outcome kind no record can have is refused, naming the kinds")
		assert.Contains(t, err.Error(), `"transfer"`)
		rows, _, err = s.CallHistory(ctx, CallFilter{Key: "#"})
		require.NoError(t, err)
		assert.Empty(t, rows, "no call pressed #")

		n, err := s.PruneCalls(ctx, time.Now().Add(-30*24*time.Hour))
		require.NoError(t, err)
		assert.Equal(t, int64(2), n, "the two old ended calls; never the one still started")
		left, err := s.CountCalls(ctx)
		require.NoError(t, err)
		assert.Equal(t, int64(2), left)

		// The outbox: rows in order, a retry's duplicate skipped, delivered
		// rows no longer pending.
		var in []WebhookRow
		for i := 0; i < 3; i++ {
			in = append(in, WebhookRow{EventID: fmt.Sprintf("e%d", i), Target: "http://x", Node: "n", CallID: "c", Type: "digit",
				Payload: []byte(`{}`), Created: time.Now(), NextAt: time.Now()})
		}
		require.NoError(t, s.EnqueueWebhooks(ctx, in))
		require.NoError(t, s.EnqueueWebhooks(ctx, in[:1]))
		p, err := s.PendingWebhooks(ctx, "n", "http://x", 10)
		require.NoError(t, err)
		require.Len(t, p, 3)
		assert.Equal(t, "e0", p[0].EventID)
		require.NoError(t, s.WebhookFailed(ctx, p[0].ID, 1, time.Now().Add(time.Minute), "503"))
		require.NoError(t, s.WebhookDelivered(ctx, p[1].ID, 1))
		p, err = s.PendingWebhooks(ctx, "n", "http://x", 10)
		require.NoError(t, err)
		require.Len(t, p, 2)
		assert.Equal(t, 1, p[0].Attempts)
		other, err := s.PendingWebhooks(ctx, "other-node", "http://x", 10)
		require.NoError(t, err)
		assert.Empty(t, other)
		n, err = s.PruneWebhooks(ctx, time.Now().Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, int64(3), n)
	})
}
