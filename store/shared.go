package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// The state a cluster shares for calls (call.Shared): every node asks
// the store, so the limits hold for the cluster and survive a restart.
// Each operation is one atomic statement or transaction, so nodes asking
// at once never lose a count.

// PINLocked reports whether box refuses logins now.
func (s *Store) PINLocked(ctx context.Context, box string, now time.Time) (bool, error) {
	var until int64
	err := s.queryRow(ctx, s.db, `SELECT locked_until FROM pin_guard WHERE box = ?`, box).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil && now.UnixMilli() < until, err
}

// PINFailed counts a wrong PIN for box; at after failures in a row it
// locks the box until now+lockout and starts counting again.
func (s *Store) PINFailed(ctx context.Context, box string, after int, lockout time.Duration, now time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var fails int
		err := s.queryRow(ctx, tx, `INSERT INTO pin_guard (box, fails) VALUES (?, 1)
			ON CONFLICT (box) DO UPDATE SET fails = pin_guard.fails + 1 RETURNING fails`, box).Scan(&fails)
		if err != nil || fails < after {
			return err
		}
		_, err = s.exec(ctx, tx, `UPDATE pin_guard SET fails = 0, locked_until = ? WHERE box = ?`, now.Add(lockout).UnixMilli(), box)
		return err
	})
}

// PINSucceeded forgets box's failures (a lockout in force stays).
func (s *Store) PINSucceeded(ctx context.Context, box string) error {
	_, err := s.exec(ctx, s.db, `UPDATE pin_guard SET fails = 0 WHERE box = ?`, box)
	return err
}

// RotationTake returns the member index a rotate group's next call
// starts from, and moves the group on by one, for every node at once.
func (s *Store) RotationTake(ctx context.Context, group string, members int) (int, error) {
	if members <= 0 {
		return 0, nil
	}
	var taken int64
	err := s.queryRow(ctx, s.db, `INSERT INTO group_rotation (group_id, taken) VALUES (?, 1)
		ON CONFLICT (group_id) DO UPDATE SET taken = group_rotation.taken + 1 RETURNING taken`, group).Scan(&taken)
	if err != nil {
		return 0, err
	}
	return int((taken - 1) % int64(members)), nil
}

// AgentLogin is a queue agent's login as the cluster last set it.
type AgentLogin struct {
	Queue, Agent string
	LoggedIn     bool
	Changed      time.Time
}

// AgentSetLoggedIn records that agent logged in to (or out of) queue at
// now, unless a later change is recorded already.
func (s *Store) AgentSetLoggedIn(ctx context.Context, queue, agent string, in bool, now time.Time) error {
	flag := 0
	if in {
		flag = 1
	}
	_, err := s.exec(ctx, s.db, `INSERT INTO queue_agents (queue, agent, logged_in, changed) VALUES (?, ?, ?, ?)
		ON CONFLICT (queue, agent) DO UPDATE SET logged_in = excluded.logged_in, changed = excluded.changed
		WHERE queue_agents.changed <= excluded.changed`, queue, agent, flag, now.UnixMilli())
	return err
}

// AgentLogins lists every recorded login, by queue then agent.
func (s *Store) AgentLogins(ctx context.Context) ([]AgentLogin, error) {
	rows, err := s.query(ctx, s.db, `SELECT queue, agent, logged_in, changed FROM queue_agents ORDER BY queue, agent`)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }() // a read error surfaces in rows.Err
	var out []AgentLogin
	for rows.Next() {
		var l AgentLogin
		var in int
		var changed int64
		if err := rows.Scan(&l.Queue, &l.Agent, &in, &changed); err != nil {
			return nil, err
		}
		l.LoggedIn, l.Changed = in == 1, time.UnixMilli(changed)
		out = append(out, l)
	}
	return out, rows.Err()
}
