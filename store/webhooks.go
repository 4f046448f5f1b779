package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/ivrd/ivrd/cdr"
)

// WebhookRow is one event waiting for (or done with) delivery to one
// target: the outbox keeps it until the target answers 2xx.
type WebhookRow struct {
	ID       int64 // the outbox's order: deliveries of one call go in it
	EventID  string
	Target   string // the webhook's URL
	Node     string // the node that wrote it delivers it
	CallID   string
	Type     string
	Payload  []byte // the JSON body, signed as is
	Created  time.Time
	Attempts int
	NextAt   time.Time
}

// EnqueueWebhooks adds rows to the outbox in one transaction, in order.
// A row whose event and target are already there is skipped (a retry of
// the same write).
func (s *Store) EnqueueWebhooks(ctx context.Context, rows []WebhookRow) error {
	if len(rows) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.enqueueTx(ctx, tx, rows) })
}

// EnqueueWebhooksWithStarts is EnqueueWebhooks that also inserts recs'
// started rows (a row already there is kept) in the same transaction: a
// call's first event and its record, both or neither.
func (s *Store) EnqueueWebhooksWithStarts(ctx context.Context, rows []WebhookRow, recs []cdr.Record) error {
	for i := range recs {
		if recs[i].CallID == "" {
			return fmt.Errorf("call record without a call id: %w", ErrBadInput)
		}
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.insertStartedTx(ctx, tx, recs); err != nil {
			return err
		}
		return s.enqueueTx(ctx, tx, rows)
	})
}

// outboxChunk is how many rows one INSERT carries (8 values each: well
// under SQLite's and PostgreSQL's limits on parameters).
const outboxChunk = 64

// enqueueTx inserts rows with one multi-row INSERT per outboxChunk:
// the outbox's ids follow the rows' order (a call's events are delivered
// in it), as one INSERT per row did, at a fraction of the statements.
func (s *Store) enqueueTx(ctx context.Context, tx *sql.Tx, rows []WebhookRow) error {
	for _, r := range rows {
		if r.EventID == "" || r.Target == "" {
			return fmt.Errorf("webhook row without event id or target: %w", ErrBadInput)
		}
	}
	var q strings.Builder
	args := make([]any, 0, 8*min(len(rows), outboxChunk))
	for len(rows) > 0 {
		chunk := rows[:min(len(rows), outboxChunk)]
		rows = rows[len(chunk):]
		q.Reset()
		args = args[:0]
		q.WriteString(`INSERT INTO webhook_outbox (event_id, target, node, call_id, type, payload, created_at, next_attempt_at) VALUES `)
		for i, r := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, r.EventID, r.Target, r.Node, r.CallID, r.Type, string(r.Payload), r.Created.UnixMilli(), r.NextAt.UnixMilli())
		}
		q.WriteString(` ON CONFLICT (event_id, target) DO NOTHING`)
		if _, err := s.exec(ctx, tx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// PendingWebhooks returns up to limit undelivered rows of node for
// target, oldest first (due or not: the caller keeps a call's order).
func (s *Store) PendingWebhooks(ctx context.Context, node, target string, limit int) ([]WebhookRow, error) {
	rows, err := s.query(ctx, s.db, `SELECT id, event_id, target, node, call_id, type, payload, created_at, attempts, next_attempt_at
		FROM webhook_outbox WHERE node = ? AND target = ? AND delivered_at IS NULL ORDER BY id LIMIT ?`, node, target, limit)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var out []WebhookRow
	for rows.Next() {
		var r WebhookRow
		var payload string
		var created, next int64
		if err := rows.Scan(&r.ID, &r.EventID, &r.Target, &r.Node, &r.CallID, &r.Type, &payload, &created, &r.Attempts, &next); err != nil {
			return nil, err
		}
		r.Payload, r.Created, r.NextAt = []byte(payload), time.UnixMilli(created), time.UnixMilli(next)
		out = append(out, r)
	}
	return out, rows.Err()
}

// WebhookDelivered marks a row delivered.
func (s *Store) WebhookDelivered(ctx context.Context, id int64, attempts int) error {
	_, err := s.exec(ctx, s.db, `UPDATE webhook_outbox SET delivered_at = ?, attempts = ?, last_error = '' WHERE id = ?`,
		time.Now().UnixMilli(), attempts, id)
	return err
}

// WebhooksDelivered marks rows delivered, each after one more attempt
// than it had: one statement (and one commit) for a round's deliveries
// where one per row cost a commit per event.
func (s *Store) WebhooksDelivered(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	var q strings.Builder
	args := make([]any, 0, len(ids)+1)
	args = append(args, time.Now().UnixMilli())
	q.WriteString(`UPDATE webhook_outbox SET delivered_at = ?, attempts = attempts + 1, last_error = '' WHERE id IN (`)
	for i, id := range ids {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("?")
		args = append(args, id)
	}
	q.WriteString(")")
	_, err := s.exec(ctx, s.db, q.String(), args...)
	return err
}

// WebhookFailed records a failed attempt and when to try again.
func (s *Store) WebhookFailed(ctx context.Context, id int64, attempts int, next time.Time, reason string) error {
	if len(reason) > 500 {
		reason = reason[:500]
	}
	_, err := s.exec(ctx, s.db, `UPDATE webhook_outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?`,
		attempts, next.UnixMilli(), reason, id)
	return err
}

// WebhookBacklog counts undelivered rows (all nodes and targets).
func (s *Store) WebhookBacklog(ctx context.Context) (int64, error) {
	var n int64
	err := s.queryRow(ctx, s.db, `SELECT COUNT(*) FROM webhook_outbox WHERE delivered_at IS NULL`).Scan(&n)
	return n, err
}

// PruneWebhooks deletes outbox rows created before cutoff, delivered or
// not (an event older than the retention is of no use to anyone).
func (s *Store) PruneWebhooks(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.exec(ctx, s.db, `DELETE FROM webhook_outbox WHERE created_at < ?`, cutoff.UnixMilli())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
