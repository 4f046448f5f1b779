package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/ivrd/ivrd/cdr"
)

// Call records written in batches: the node's queues hand over what has
// gathered and it goes in with one transaction and a few multi-row
// statements (a group commit). One statement and one commit per write
// did not keep up with 1,000 calls a second (bench/durability.sh): the
// commits, and the round trip and the driver's work per statement.

// CallWrite is one queued write of a call record: its start (the
// 'started' row, kept if there) or its end (the whole record).
type CallWrite struct {
	End    bool
	Record cdr.Record
}

// WriteCalls makes writes in one transaction: first every call's row
// (a start's, or for an end whose start never came the end's own, as
// CallEnded does; a row already there is kept), then the ends. A call's
// end so always lands on its start. A write the store can never take
// (no call id) fails the batch with ErrBadInput: the caller writes the
// batch one by one to find it.
func (s *Store) WriteCalls(ctx context.Context, ws []CallWrite) error {
	if len(ws) == 0 {
		return nil
	}
	recs := make([]cdr.Record, 0, len(ws))
	var ends []any
	for i := range ws {
		r := &ws[i].Record
		if r.CallID == "" {
			return fmt.Errorf("call record without a call id: %w", ErrBadInput)
		}
		recs = append(recs, *r)
		if !ws[i].End {
			continue
		}
		keys, transfers, quality, err := listsJSON(r)
		if err != nil {
			return fmt.Errorf("call record %s: %w: %w", r.CallID, ErrBadInput, err)
		}
		ends = append(ends, endedArgs(r, keys, transfers, quality)...)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.insertStartedTx(ctx, tx, recs); err != nil {
			return err
		}
		const per = endedCount
		for len(ends) > 0 {
			k := min(len(ends)/per, chunkRows)
			if err := s.updateEndedTx(ctx, tx, ends[:k*per], k); err != nil {
				return err
			}
			ends = ends[k*per:]
		}
		return nil
	})
}

// chunkRows is how many rows one multi-row statement carries (20 values
// each at most: well under SQLite's and PostgreSQL's parameter limits).
const chunkRows = 64

// insertStartedTx inserts recs' 'started' rows, chunkRows a statement; a
// row already there (or earlier in recs) is kept.
func (s *Store) insertStartedTx(ctx context.Context, tx *sql.Tx, recs []cdr.Record) error {
	var q strings.Builder
	for len(recs) > 0 {
		chunk := recs[:min(len(recs), chunkRows)]
		recs = recs[len(chunk):]
		q.Reset()
		q.WriteString(`INSERT INTO call_records (call_id, node, state, from_user, to_user, source, source_name, invite_at, ivr, direction) VALUES `)
		args := make([]any, 0, 9*len(chunk))
		for i, r := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, 'started', ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, startedArgs(r)...)
		}
		q.WriteString(` ON CONFLICT (call_id) DO NOTHING`)
		if _, err := s.exec(ctx, tx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// endedColumns are the columns an end sets (endedArgs' order) and their
// SQL types: the VALUES of a multi-row UPDATE carry no column types of
// their own, so each value is cast (the same CAST in SQLite and
// PostgreSQL).
func endedColumns() [endedCount]struct{ name, typ string } {
	return [endedCount]struct{ name, typ string }{{"answer_at", "BIGINT"}, {"end_at", "BIGINT"}, {"ivr", "TEXT"}, {"path", "TEXT"}, {"keys", "TEXT"}, {"key_set", "TEXT"},
		{"invalid", "INTEGER"}, {"timeouts", "INTEGER"}, {"schedule_branch", "TEXT"}, {"transfers", "TEXT"}, {"voicemail", "TEXT"},
		{"outcome", "TEXT"}, {"outcome_kind", "TEXT"}, {"outcome_detail", "TEXT"}, {"outcome_done", "INTEGER"},
		{"outcome_operator", "INTEGER"}, {"end_reason", "TEXT"}, {"ended_by", "TEXT"}, {"quality", "TEXT"}, {"call_id", "TEXT"},
	}
}

// endedCount is how many values an end writes (endedArgs).
const endedCount = 20

// updateEndedTx writes rows ends (endedArgs each, flattened) with one
// UPDATE ... FROM a VALUES list.
func (s *Store) updateEndedTx(ctx context.Context, tx *sql.Tx, args []any, rows int) error {
	cols := endedColumns()
	var q strings.Builder
	q.WriteString("WITH v (")
	for i, c := range cols {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(c.name)
	}
	q.WriteString(") AS (VALUES ")
	for r := range rows {
		if r > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(")
		for i, c := range cols {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("CAST(? AS " + c.typ + ")")
		}
		q.WriteString(")")
	}
	q.WriteString(") UPDATE call_records SET state = 'ended'")
	for _, c := range cols[:len(cols)-1] {
		q.WriteString(", " + c.name + " = v." + c.name)
	}
	q.WriteString(" FROM v WHERE call_records.call_id = v.call_id")
	_, err := s.exec(ctx, tx, q.String(), args...)
	return err
}

// StartWrite is one call's start as CallsStartedWithWebhooks writes it:
// its 'started' row and the outbox rows of its first webhook event.
type StartWrite struct {
	Record cdr.Record
	Rows   []WebhookRow
}

// CallsStartedWithWebhooks is CallStartedWithWebhooks for many calls in
// one transaction (a group commit: at 1,000 calls a second one commit
// for the starts gathered meanwhile instead of one each).
func (s *Store) CallsStartedWithWebhooks(ctx context.Context, starts []StartWrite) error {
	recs := make([]cdr.Record, 0, len(starts))
	var rows []WebhookRow
	for _, w := range starts {
		if w.Record.CallID == "" {
			return fmt.Errorf("call record without a call id: %w", ErrBadInput)
		}
		recs = append(recs, w.Record)
		rows = append(rows, w.Rows...)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.insertStartedTx(ctx, tx, recs); err != nil {
			return err
		}
		return s.enqueueTx(ctx, tx, rows)
	})
}
