package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ivrd/ivrd/cdr"
)

// CallFilter selects call records for the history: every set field must
// match. Times are the INVITE's.
type CallFilter struct {
	From, To  time.Time // [From, To); zero: unbounded
	IVR       string
	Outcome   cdr.OutcomeKind // the outcome is of this kind
	EndReason cdr.EndReason   // exactly
	Caller    string          // the From user, exactly
	Key       string          // a key pressed (one of 0-9 * # A-D)
	Node      string
	State     cdr.State
	Limit     int    // 1-1000; 0: 100
	Cursor    string // next_cursor of the previous page
}

// historyCursor is where a page ended: the last row's INVITE time and
// call id (the order is newest first, ties by call id).
type historyCursor struct {
	At int64  `json:"t"`
	ID string `json:"id"`
}

func decodeHistoryCursor(s string) (historyCursor, error) {
	var c historyCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.ID == "" {
		return c, fmt.Errorf("cursor %q is not one this server gave: %w", s, ErrBadInput)
	}
	return c, nil
}

func (c historyCursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

const callColumns = `call_id, node, state, from_user, to_user, source, source_name, invite_at, answer_at, end_at,
	ivr, path, keys, invalid, timeouts, schedule_branch, transfers, voicemail, outcome_kind, outcome_detail, outcome_done,
	outcome_operator, end_reason, ended_by, quality, direction`

// CallHistory returns one page of call records, newest first, and the
// cursor of the next page ("" at the end).
func (s *Store) CallHistory(ctx context.Context, f CallFilter) ([]cdr.Record, string, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > 1000 {
		return nil, "", fmt.Errorf("limit %d: at most 1000: %w", f.Limit, ErrBadInput)
	}
	if f.Key != "" && !cdr.ValidKey(f.Key) {
		return nil, "", fmt.Errorf("key %q: want one of 0-9 * # A-D: %w", f.Key, ErrBadInput)
	}
	if f.Outcome != "" {
		if err := cdr.Check("outcome", f.Outcome); err != nil {
			return nil, "", fmt.Errorf("%w: %w", err, ErrBadInput)
		}
	}
	if f.State != "" {
		if err := cdr.Check("state", f.State); err != nil {
			return nil, "", fmt.Errorf("%w: %w", err, ErrBadInput)
		}
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if !f.From.IsZero() {
		add("invite_at >= ?", f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		add("invite_at < ?", f.To.UnixMilli())
	}
	if f.IVR != "" {
		add("ivr = ?", f.IVR)
	}
	if f.Outcome != "" {
		add("outcome_kind = ?", string(f.Outcome))
	}
	if f.EndReason != "" {
		add("end_reason = ?", string(f.EndReason))
	}
	if f.Caller != "" {
		add("from_user = ?", f.Caller)
	}
	if f.Key != "" {
		// key_set holds each key pressed once, one character a key (and
		// no key is a LIKE wildcard): a substring test is exact.
		add("key_set LIKE ?", "%"+f.Key+"%")
	}
	if f.Node != "" {
		add("node = ?", f.Node)
	}
	if f.State != "" {
		add("state = ?", string(f.State))
	}
	if f.Cursor != "" {
		c, err := decodeHistoryCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		where = append(where, "(invite_at < ? OR (invite_at = ? AND call_id < ?))")
		args = append(args, c.At, c.At, c.ID)
	}
	q := `SELECT ` + callColumns + ` FROM call_records`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY invite_at DESC, call_id DESC LIMIT ` + strconv.Itoa(f.Limit+1)
	rows, err := s.query(ctx, s.db, q, args...)
	if err != nil {
		return nil, "", err
	}
	defer func() { _ = rows.Close() }()
	var out []cdr.Record
	for rows.Next() {
		r, err := scanCall(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		last := out[len(out)-1]
		next = historyCursor{At: last.InviteAt.UnixMilli(), ID: last.CallID}.encode()
	}
	return out, next, nil
}

// rowScanner is a *sql.Row or *sql.Rows: one call record is read from
// either the same way.
type rowScanner interface{ Scan(dest ...any) error }

// scanCall reads one call record in callColumns' order. A list that does
// not read back as its type is an error naming the call: the store wrote
// it from the same type, so it means the row was changed from outside.
func scanCall(rows rowScanner) (cdr.Record, error) {
	var r cdr.Record
	var invite int64
	var answer, end sql.NullInt64
	var state, source, path, keys, transfers, kind, endReason, endedBy, quality, direction string
	var done, operator int
	err := rows.Scan(&r.CallID, &r.Node, &state, &r.From, &r.To, &source, &r.SourceName,
		&invite, &answer, &end, &r.IVR, &path, &keys, &r.Invalid, &r.Timeouts, &r.ScheduleBranch, &transfers, &r.Voicemail,
		&kind, &r.Outcome.Detail, &done, &operator, &endReason, &endedBy, &quality, &direction)
	if err != nil {
		return r, err
	}
	r.State, r.Source, r.Path, r.Direction = cdr.State(state), cdr.Source(source), cdr.ParsePath(path), cdr.Direction(direction)
	r.Outcome.Kind, r.Outcome.Done, r.Outcome.Operator = cdr.OutcomeKind(kind), done != 0, operator != 0
	r.EndReason, r.EndedBy = cdr.EndReason(endReason), cdr.EndedBy(endedBy)
	r.InviteAt = time.UnixMilli(invite).UTC()
	if answer.Valid {
		t := time.UnixMilli(answer.Int64).UTC()
		r.AnswerAt = &t
	}
	if end.Valid {
		t := time.UnixMilli(end.Int64).UTC()
		r.EndAt = &t
	}
	r.Keys, r.Transfers = []cdr.Key{}, []cdr.Transfer{}
	if err := json.Unmarshal([]byte(keys), &r.Keys); err != nil {
		return r, fmt.Errorf("call record %s: keys: %w", r.CallID, err)
	}
	if err := json.Unmarshal([]byte(transfers), &r.Transfers); err != nil {
		return r, fmt.Errorf("call record %s: transfers: %w", r.CallID, err)
	}
	if err := json.Unmarshal([]byte(quality), &r.Quality); err != nil {
		return r, fmt.Errorf("call record %s: quality: %w", r.CallID, err)
	}
	return r, nil
}

// CountCalls counts the records (any state); the metrics tests compare it
// with the counters.
func (s *Store) CountCalls(ctx context.Context) (int64, error) {
	var n int64
	err := s.queryRow(ctx, s.db, `SELECT COUNT(*) FROM call_records`).Scan(&n)
	return n, err
}

// PruneCalls deletes the records of calls that began before cutoff and
// are over (a call in progress is never pruned). It returns how many.
func (s *Store) PruneCalls(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.exec(ctx, s.db, `DELETE FROM call_records WHERE invite_at < ? AND state <> 'started'`, cutoff.UnixMilli())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
