package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Recording is one call recording's entry in the index; the audio is the
// WAV file at Path, on the disk of the node that recorded it.
type Recording struct {
	ID         string    `json:"id"`
	CallID     string    `json:"call_id"`
	Node       string    `json:"node"`
	Path       string    `json:"-"` // where the file is: never shown through the API
	Start      time.Time `json:"start"`
	DurationMs int64     `json:"duration_ms"`
	Bytes      int64     `json:"bytes"`
	Format     string    `json:"format"` // stereo | mono
	Channels   int       `json:"channels"`
	Rate       int       `json:"rate"`
	// Stopped is why the recording ended before the call ("" when it
	// did not): a disk that failed, for one.
	Stopped string `json:"stopped,omitempty"`
}

const recordingColumns = `id, call_id, node, path, start_at, duration_ms, bytes, format, channels, rate, stopped`

// AddRecording indexes a finished recording.
func (s *Store) AddRecording(ctx context.Context, r Recording) error {
	if r.ID == "" || r.CallID == "" {
		return fmt.Errorf("recording without an id or a call id: %w", ErrBadInput)
	}
	_, err := s.exec(ctx, s.db, `INSERT INTO recordings (`+recordingColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.CallID, r.Node, r.Path, r.Start.UnixMilli(), r.DurationMs, r.Bytes, r.Format, r.Channels, r.Rate, r.Stopped)
	return err
}

func scanRecording(row rowScanner) (Recording, error) {
	var r Recording
	var start int64
	err := row.Scan(&r.ID, &r.CallID, &r.Node, &r.Path, &start, &r.DurationMs, &r.Bytes, &r.Format, &r.Channels, &r.Rate, &r.Stopped)
	r.Start = time.UnixMilli(start).UTC()
	return r, err
}

// Recordings lists a call's recordings, oldest first.
func (s *Store) Recordings(ctx context.Context, callID string) ([]Recording, error) {
	rows, err := s.query(ctx, s.db, `SELECT `+recordingColumns+` FROM recordings WHERE call_id = ? ORDER BY start_at, id`, callID)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }() // a read error surfaces in rows.Err
	var out []Recording
	for rows.Next() {
		r, err := scanRecording(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Recording returns one of a call's recordings (ErrNotFound).
func (s *Store) Recording(ctx context.Context, callID, id string) (Recording, error) {
	r, err := scanRecording(s.queryRow(ctx, s.db, `SELECT `+recordingColumns+` FROM recordings WHERE call_id = ? AND id = ?`, callID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("recording %q of call %q: %w", id, callID, ErrNotFound)
	}
	return r, err
}

// DeleteRecording removes a recording from the index and writes the
// audit entry, in one transaction; it returns the entry (its Path is the
// file the caller removes). ErrNotFound when there is none.
func (s *Store) DeleteRecording(ctx context.Context, who, callID, id string) (Recording, error) {
	var r Recording
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = scanRecording(s.queryRow(ctx, tx, `SELECT `+recordingColumns+` FROM recordings WHERE call_id = ? AND id = ?`, callID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("recording %q of call %q: %w", id, callID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM recordings WHERE id = ?`, id); err != nil {
			return err
		}
		return s.auditTx(ctx, tx, time.Now().UnixMilli(), who, "delete", "recordings", callID+"/"+id, 0, 0)
	})
	return r, err
}

// PruneRecordings removes from the index node's recordings that began
// before cutoff, at most limit of them, and returns them (their files,
// on node's disk, are the caller's to remove).
func (s *Store) PruneRecordings(ctx context.Context, node string, cutoff time.Time, limit int) ([]Recording, error) {
	var out []Recording
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := s.query(ctx, tx, `SELECT `+recordingColumns+` FROM recordings WHERE start_at < ? AND node = ? ORDER BY start_at LIMIT ?`,
			cutoff.UnixMilli(), node, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			r, err := scanRecording(rows)
			if err != nil {
				_ = rows.Close()
				return err
			}
			out = append(out, r)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, r := range out {
			if _, err := s.exec(ctx, tx, `DELETE FROM recordings WHERE id = ?`, r.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}
