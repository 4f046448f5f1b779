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

// SweepLost settles the calls of nodes that stopped beating: every call
// still 'started' on a node (other than self) whose heartbeat is older
// than staleAfter becomes 'interrupted', ended by "ivrd" with the reason
// "node lost". One statement, so that several survivors sweeping at once
// settle each call once. It returns the calls settled, by node.
func (s *Store) SweepLost(ctx context.Context, self string, staleAfter time.Duration) (map[string]int, error) {
	now := time.Now()
	rows, err := s.query(ctx, s.db, `UPDATE call_records SET state = 'interrupted', end_reason = ?, ended_by = ?, end_at = ?
		WHERE state = 'started' AND node <> ? AND node IN (SELECT node FROM cluster_nodes WHERE seen_at < ?)
		RETURNING node`, string(cdr.EndNodeLost), string(cdr.EndedByIVRD), now.UnixMilli(), self, now.Add(-staleAfter).UnixMilli())
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }() // rows.Err below reports a failed read
	lost := map[string]int{}
	for rows.Next() {
		var node string
		if err := rows.Scan(&node); err != nil {
			return nil, err
		}
		lost[node]++
	}
	return lost, rows.Err()
}
