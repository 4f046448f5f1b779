package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ivrd/ivrd/cdr"
)

// Call records are cdr.Record, the one record type. The call owner
// inserts a call's row when the INVITE arrives (CallStarted) and
// completes it when the call ends (CallEnded): a process killed in
// between leaves a 'started' row, which MarkInterrupted settles when that
// node opens the store again (or SweepLost, on another node). The lists
// and the quality are kept as JSON text of their typed values, read whole;
// what filters look at has columns of its own (outcome_kind, key_set).

func msPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

// listsJSON is a record's keys, transfers and quality as stored.
func listsJSON(r *cdr.Record) (keys, transfers, quality string, err error) {
	k, err := json.Marshal(nonNilList(r.Keys))
	if err != nil {
		return "", "", "", err
	}
	t, err := json.Marshal(nonNilList(r.Transfers))
	if err != nil {
		return "", "", "", err
	}
	q, err := json.Marshal(r.Quality)
	if err != nil {
		return "", "", "", err
	}
	return string(k), string(t), string(q), nil
}

func nonNilList[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CallStarted inserts the 'started' row of a call; a row already there
// (a retry of a write that went in after all, or the call's end written
// first) is left as it is.
func (s *Store) CallStarted(ctx context.Context, r cdr.Record) error {
	if r.CallID == "" {
		return fmt.Errorf("call record without a call id: %w", ErrBadInput)
	}
	_, err := s.exec(ctx, s.db, `INSERT INTO call_records (call_id, node, state, from_user, to_user, source, source_name, invite_at, ivr, direction)
		VALUES (?, ?, 'started', ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (call_id) DO NOTHING`,
		r.CallID, r.Node, r.From, r.To, string(r.Source), r.SourceName, r.InviteAt.UnixMilli(), r.IVR, string(directionOf(r)))
	return err
}

// CallEnded completes a call's row (inserting it if CallStarted never ran).
func (s *Store) CallEnded(ctx context.Context, r cdr.Record) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.callEndedTx(ctx, tx, r) })
}

func startedArgs(r cdr.Record) []any {
	return []any{r.CallID, r.Node, r.From, r.To, string(r.Source), r.SourceName, r.InviteAt.UnixMilli(), r.IVR, string(directionOf(r))}
}

// endedArgs are the values an end writes, in endedColumns' order, the
// call id last.
func endedArgs(r *cdr.Record, keys, transfers, quality string) []any {
	o := r.Outcome
	return []any{msPtr(r.AnswerAt), msPtr(r.EndAt), r.IVR, r.Path.String(), keys, r.KeySet(), r.Invalid, r.Timeouts,
		r.ScheduleBranch, transfers, r.Voicemail, o.String(), string(o.Kind), o.Detail, boolInt(o.Done), boolInt(o.Operator),
		string(r.EndReason), string(r.EndedBy), quality, r.CallID}
}

func (s *Store) callEndedTx(ctx context.Context, tx *sql.Tx, r cdr.Record) error {
	keys, transfers, quality, err := listsJSON(&r)
	if err != nil {
		return fmt.Errorf("call record %s: %w: %w", r.CallID, ErrBadInput, err)
	}
	args := endedArgs(&r, keys, transfers, quality)
	const update = `UPDATE call_records SET state = 'ended', answer_at = ?, end_at = ?, ivr = ?, path = ?, keys = ?, key_set = ?,
			invalid = ?, timeouts = ?, schedule_branch = ?, transfers = ?, voicemail = ?, outcome = ?, outcome_kind = ?,
			outcome_detail = ?, outcome_done = ?, outcome_operator = ?, end_reason = ?, ended_by = ?, quality = ?
			WHERE call_id = ?`
	res, err := s.exec(ctx, tx, update, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	if err := s.CallStartedTx(ctx, tx, r); err != nil {
		return err
	}
	_, err = s.exec(ctx, tx, update, args...)
	return err
}

// CallStartedWithWebhooks writes a call's 'started' row and the outbox
// rows of its first webhook event in one transaction: a process killed
// at any moment leaves both or neither. Either already there is kept.
func (s *Store) CallStartedWithWebhooks(ctx context.Context, r cdr.Record, rows []WebhookRow) error {
	if r.CallID == "" {
		return fmt.Errorf("call record without a call id: %w", ErrBadInput)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `INSERT INTO call_records (call_id, node, state, from_user, to_user, source, source_name, invite_at, ivr, direction)
			VALUES (?, ?, 'started', ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (call_id) DO NOTHING`,
			r.CallID, r.Node, r.From, r.To, string(r.Source), r.SourceName, r.InviteAt.UnixMilli(), r.IVR, string(directionOf(r)))
		if err != nil {
			return err
		}
		return s.enqueueTx(ctx, tx, rows)
	})
}

// CallStartedTx is CallStarted inside a transaction.
func (s *Store) CallStartedTx(ctx context.Context, tx *sql.Tx, r cdr.Record) error {
	_, err := s.exec(ctx, tx, `INSERT INTO call_records (call_id, node, state, from_user, to_user, source, source_name, invite_at, ivr, direction)
		VALUES (?, ?, 'started', ?, ?, ?, ?, ?, ?, ?)`,
		r.CallID, r.Node, r.From, r.To, string(r.Source), r.SourceName, r.InviteAt.UnixMilli(), r.IVR, string(directionOf(r)))
	return err
}

// MarkInterrupted settles the calls node left 'started' when it stopped
// without ending them (a crash): they become 'interrupted', ended by
// "ivrd", at the time of this call. It returns their Call-IDs (the node
// tells the webhooks they ended).
func (s *Store) MarkInterrupted(ctx context.Context, node string) ([]string, error) {
	rows, err := s.query(ctx, s.db, `UPDATE call_records SET state = 'interrupted', end_reason = ?, ended_by = ?, end_at = ?
		WHERE node = ? AND state = 'started' RETURNING call_id`, string(cdr.EndInterrupted), string(cdr.EndedByIVRD), time.Now().UnixMilli(), node)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }() // rows.Err below reports a failed read
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Call returns one call record.
func (s *Store) Call(ctx context.Context, callID string) (cdr.Record, error) {
	r, err := scanCall(s.queryRow(ctx, s.db, `SELECT `+callColumns+` FROM call_records WHERE call_id = ?`, callID))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("call %q: %w", callID, ErrNotFound)
	}
	return r, err
}

// directionOf is a record's direction, inbound when it says none.
func directionOf(r cdr.Record) cdr.Direction {
	if r.Direction == "" {
		return cdr.DirectionInbound
	}
	return r.Direction
}
