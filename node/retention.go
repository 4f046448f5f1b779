package node

import (
	"context"
	"time"
)

// sweepEvery is how often old call records and webhook rows are deleted.
const sweepEvery = time.Hour

// sweep deletes, at start and then hourly, the call records and webhook
// outbox rows older than server.store_retention_days (0: keep
// everything). Calls still in progress are never deleted. On a shared
// PostgreSQL store every node sweeps; the deletes are idempotent.
func (c *control) sweep(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		if days := c.retention.Load(); days > 0 {
			cutoff := time.Now().Add(-time.Duration(days) * 24 * time.Hour)
			calls, err := c.st.PruneCalls(ctx, cutoff)
			if err == nil {
				var events int64
				var recs int
				events, err = c.st.PruneWebhooks(ctx, cutoff)
				if err == nil {
					recs, err = c.pruneRecordings(ctx, cutoff) // recordings.go
				}
				if calls+events+int64(recs) > 0 {
					c.log.Info("retention: old records deleted", "calls", calls, "webhook_events", events, "recordings", recs, "days", days)
				}
			}
			if err != nil && ctx.Err() == nil {
				c.log.Warn("retention sweep", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
