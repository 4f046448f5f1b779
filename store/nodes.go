package store

import (
	"context"
	"database/sql"
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
// "node lost"; and in the same transaction self adopts the undelivered
// webhook outbox rows of every node not alive (AdoptWebhooks). The node
// that settles a call is so always the one holding its earlier events,
// and the call.ended it then writes for it comes after them in its own
// outbox: delivered in order. (Settling and adopting in two steps let a
// second survivor adopt a call's call.started between them while the
// first sent its call.ended: the receiver saw the end first.) The dead
// nodes' heartbeat rows are locked first (PostgreSQL), so survivors
// sweeping at once, or a node coming back and beating, go one after the
// other. It returns the calls it settled (the sweeper tells the webhooks
// they ended) and how many outbox rows it adopted.
func (s *Store) SweepLost(ctx context.Context, self string, staleAfter time.Duration) (lost []SettledCall, adopted int64, err error) {
	now := time.Now()
	cutoff := now.Add(-staleAfter).UnixMilli()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		lost, adopted = nil, 0
		if s.dialect.name() == "postgres" { // SQLite's immediate transaction already holds the one write lock
			if _, err := s.exec(ctx, tx, `SELECT node FROM cluster_nodes WHERE seen_at < ? AND node <> ? FOR UPDATE`, cutoff, self); err != nil {
				return err
			}
		}
		rows, err := s.query(ctx, tx, `UPDATE call_records SET state = 'interrupted', end_reason = ?, ended_by = ?, end_at = ?
			WHERE state = 'started' AND node <> ? AND node IN (SELECT node FROM cluster_nodes WHERE seen_at < ?)
			RETURNING node, call_id`, string(cdr.EndNodeLost), string(cdr.EndedByIVRD), now.UnixMilli(), self, cutoff)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c SettledCall
			if err := rows.Scan(&c.Node, &c.CallID); err != nil {
				_ = rows.Close() // the scan's error is the one to report
				return err
			}
			lost = append(lost, c)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		adopted, err = s.adopt(ctx, tx, self, cutoff)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return lost, adopted, nil
}

// AdoptWebhooks gives self the undelivered webhook outbox rows of nodes
// that are not alive (no heartbeat within staleAfter: killed, crashed,
// or stopped and not back), so that what a dead node had written but not
// delivered is sent by a survivor, in its order. A node beats before it
// takes its first call, so a live node's rows are never taken. One
// statement: survivors adopting at once each take a row once. A row the
// dead node was sending when it died may reach its receiver twice; its
// event id (X-Ivrd-Event-Id) tells them apart. It returns the rows
// adopted. SweepLost does this too, with the settling of the calls.
func (s *Store) AdoptWebhooks(ctx context.Context, self string, staleAfter time.Duration) (int64, error) {
	return s.adopt(ctx, s.db, self, time.Now().Add(-staleAfter).UnixMilli())
}

func (s *Store) adopt(ctx context.Context, q querier, self string, cutoff int64) (int64, error) {
	res, err := s.exec(ctx, q, `UPDATE webhook_outbox SET node = ?
		WHERE delivered_at IS NULL AND node <> ?
		AND node NOT IN (SELECT node FROM cluster_nodes WHERE seen_at >= ?)`, self, self, cutoff)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
