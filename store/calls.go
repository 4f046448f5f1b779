package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// CallRecord is one call as issue 11 lists it. The call owner inserts it
// when the INVITE arrives (CallStarted) and completes it when the call
// ends (CallEnded): a process killed in between leaves a 'started' row,
// which MarkInterrupted settles when that node opens the store again.
type CallRecord struct {
	CallID         string          `json:"call_id"`
	Node           string          `json:"node"`
	State          string          `json:"state"` // started | ended | interrupted
	From           string          `json:"from"`
	To             string          `json:"to"`
	Source         string          `json:"source"`      // trunk | extension | unknown
	SourceName     string          `json:"source_name"` // the trunk or extension
	InviteAt       time.Time       `json:"invite_at"`
	AnswerAt       *time.Time      `json:"answer_at,omitempty"`
	EndAt          *time.Time      `json:"end_at,omitempty"`
	IVR            string          `json:"ivr"`
	Path           string          `json:"path"` // menus, "main>support"
	Keys           json.RawMessage `json:"keys"` // [{key, at, method}]
	Invalid        int             `json:"invalid"`
	Timeouts       int             `json:"timeouts"`
	ScheduleBranch string          `json:"schedule_branch"`
	Transfers      json.RawMessage `json:"transfers"` // [{dest, method, result, at}]
	Voicemail      string          `json:"voicemail"`
	Outcome        string          `json:"outcome"`
	EndReason      string          `json:"end_reason"`
	EndedBy        string          `json:"ended_by"`
	Quality        json.RawMessage `json:"quality"` // both directions: packets, loss, jitter, rtt, mos
}

func rawOr(r json.RawMessage, empty string) string {
	if len(r) == 0 {
		return empty
	}
	return string(r)
}

func msPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

// CallStarted inserts the 'started' row of a call.
func (s *Store) CallStarted(ctx context.Context, r CallRecord) error {
	if r.CallID == "" {
		return fmt.Errorf("call record without a call id: %w", ErrBadInput)
	}
	_, err := s.exec(ctx, s.db, `INSERT INTO call_records (call_id, node, state, from_user, to_user, source, source_name, invite_at, ivr)
		VALUES (?, ?, 'started', ?, ?, ?, ?, ?, ?)`,
		r.CallID, r.Node, r.From, r.To, r.Source, r.SourceName, r.InviteAt.UnixMilli(), r.IVR)
	return err
}

// CallEnded completes a call's row (inserting it if CallStarted never ran).
func (s *Store) CallEnded(ctx context.Context, r CallRecord) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		args := []any{msPtr(r.AnswerAt), msPtr(r.EndAt), r.IVR, r.Path, rawOr(r.Keys, "[]"), r.Invalid, r.Timeouts,
			r.ScheduleBranch, rawOr(r.Transfers, "[]"), r.Voicemail, r.Outcome, r.EndReason, r.EndedBy, rawOr(r.Quality, "{}")}
		res, err := s.exec(ctx, tx, `UPDATE call_records SET state = 'ended', answer_at = ?, end_at = ?, ivr = ?, path = ?, keys = ?,
			invalid = ?, timeouts = ?, schedule_branch = ?, transfers = ?, voicemail = ?, outcome = ?, end_reason = ?, ended_by = ?, quality = ?
			WHERE call_id = ?`, append(args, r.CallID)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		if err := s.CallStartedTx(ctx, tx, r); err != nil {
			return err
		}
		_, err = s.exec(ctx, tx, `UPDATE call_records SET state = 'ended', answer_at = ?, end_at = ?, ivr = ?, path = ?, keys = ?,
			invalid = ?, timeouts = ?, schedule_branch = ?, transfers = ?, voicemail = ?, outcome = ?, end_reason = ?, ended_by = ?, quality = ?
			WHERE call_id = ?`, append(args, r.CallID)...)
		return err
	})
}

// CallStartedTx is CallStarted inside a transaction.
func (s *Store) CallStartedTx(ctx context.Context, tx *sql.Tx, r CallRecord) error {
	_, err := s.exec(ctx, tx, `INSERT INTO call_records (call_id, node, state, from_user, to_user, source, source_name, invite_at, ivr)
		VALUES (?, ?, 'started', ?, ?, ?, ?, ?, ?)`,
		r.CallID, r.Node, r.From, r.To, r.Source, r.SourceName, r.InviteAt.UnixMilli(), r.IVR)
	return err
}

// MarkInterrupted settles the calls node left 'started' when it stopped
// without ending them (a crash): they become 'interrupted', ended by
// "ivrd", at the time of this call. It returns how many there were.
func (s *Store) MarkInterrupted(ctx context.Context, node string) (int64, error) {
	res, err := s.exec(ctx, s.db, `UPDATE call_records SET state = 'interrupted', end_reason = 'ivrd stopped during the call', ended_by = 'ivrd', end_at = ?
		WHERE node = ? AND state = 'started'`, time.Now().UnixMilli(), node)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Call returns one call record.
func (s *Store) Call(ctx context.Context, callID string) (CallRecord, error) {
	r, err := scanCall(s.queryRow(ctx, s.db, `SELECT call_id, node, state, from_user, to_user, source, source_name, invite_at, answer_at, end_at,
		ivr, path, keys, invalid, timeouts, schedule_branch, transfers, voicemail, outcome, end_reason, ended_by, quality
		FROM call_records WHERE call_id = ?`, callID))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("call %q: %w", callID, ErrNotFound)
	}
	return r, err
}
