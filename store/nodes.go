package store

import (
	"context"
	"time"

	"github.com/ivrd/ivrd/cdr"
)

// Heartbeat records that node is alive now (and when it started, the
// first time): the row other nodes sharing the store watch.
func (s *Store) Heartbeat(ctx context.Context, node string) error {
	now := time.Now().UnixMilli()
	_, err := s.exec(ctx, s.db, `INSERT INTO cluster_nodes (node, started_at, seen_at) VALUES (?, ?, ?)
		ON CONFLICT (node) DO UPDATE SET seen_at = excluded.seen_at`, node, now, now)
	return err
}

// LeaveCluster removes node's heartbeat: a node that stops cleanly has no
// calls left for the others to settle.
func (s *Store) LeaveCluster(ctx context.Context, node string) error {
	_, err := s.exec(ctx, s.db, `DELETE FROM cluster_nodes WHERE node = ?`, node)
	return err
}

// SettledCall is a call a sweep marked interrupted, and the node that
// carried it.
type SettledCall struct {
	Node, CallID string
}

// SweepLost settles the calls of nodes that stopped beating: every call
// still 'started' on a node (other than self) whose heartbeat is older
// than staleAfter becomes 'interrupted', ended by "ivrd" with the reason
// "node lost". One statement, so that several survivors sweeping at once
// settle each call once. It returns the calls it settled (the sweeper
// tells the webhooks they ended).
func (s *Store) SweepLost(ctx context.Context, self string, staleAfter time.Duration) ([]SettledCall, error) {
	now := time.Now()
	rows, err := s.query(ctx, s.db, `UPDATE call_records SET state = 'interrupted', end_reason = ?, ended_by = ?, end_at = ?
		WHERE state = 'started' AND node <> ? AND node IN (SELECT node FROM cluster_nodes WHERE seen_at < ?)
		RETURNING node, call_id`, string(cdr.EndNodeLost), string(cdr.EndedByIVRD), now.UnixMilli(), self, now.Add(-staleAfter).UnixMilli())
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }() // rows.Err below reports a failed read
	var lost []SettledCall
	for rows.Next() {
		var c SettledCall
		if err := rows.Scan(&c.Node, &c.CallID); err != nil {
			return nil, err
		}
		lost = append(lost, c)
	}
	return lost, rows.Err()
}

// AdoptWebhooks gives self the undelivered webhook outbox rows of nodes
// that are not alive (no heartbeat within staleAfter: killed, crashed,
// or stopped and not back), so that what a dead node had written but not
// delivered is sent by a survivor, in its order. A node beats before it
// takes its first call, so a live node's rows are never taken. One
// statement: survivors adopting at once each take a row once. A row the
// dead node was sending when it died may reach its receiver twice; its
// event id (X-Ivrd-Event-Id) tells them apart. It returns the rows
// adopted.
func (s *Store) AdoptWebhooks(ctx context.Context, self string, staleAfter time.Duration) (int64, error) {
	cutoff := time.Now().Add(-staleAfter).UnixMilli()
	res, err := s.exec(ctx, s.db, `UPDATE webhook_outbox SET node = ?
		WHERE delivered_at IS NULL AND node <> ?
		AND node NOT IN (SELECT node FROM cluster_nodes WHERE seen_at >= ?)`, self, self, cutoff)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
