package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Recording is one recording's entry in the index: a call's, or a
// conference room's (Conference and Session set, CallID empty); the
// audio is the WAV file at Path, on the disk of the node that recorded
// it.
type Recording struct {
	ID     string `json:"id"`
	CallID string `json:"call_id,omitempty"`
	// Conference is the room whose whole mix this is ("" for a call's
	// recording); Session the room's session it covers: from the first
	// participant's joining to the last one's leaving.
	Conference string    `json:"conference,omitempty"`
	Session    string    `json:"session,omitempty"`
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

// RecordingOwner is whose recordings a lookup is about: a call's
// (CallID) or a conference room's (Conference).
type RecordingOwner struct {
	CallID, Conference string
}

// where is the owner's condition and argument; and how it is said in
// errors and the audit.
func (o RecordingOwner) where() (cond, arg, name string) {
	if o.Conference != "" {
		return "conference = ?", o.Conference, "conference " + o.Conference
	}
	return "call_id = ? AND conference = ''", o.CallID, o.CallID
}

const recordingColumns = `id, call_id, conference, session, node, path, start_at, duration_ms, bytes, format, channels, rate, stopped`

// AddRecording indexes a finished recording.
func (s *Store) AddRecording(ctx context.Context, r Recording) error {
	if r.ID == "" || (r.CallID == "") == (r.Conference == "") || r.Conference != "" && r.Session == "" {
		return fmt.Errorf("a recording needs an id and either a call id or a conference and its session: %w", ErrBadInput)
	}
	_, err := s.exec(ctx, s.db, `INSERT INTO recordings (`+recordingColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.CallID, r.Conference, r.Session, r.Node, r.Path, r.Start.UnixMilli(), r.DurationMs, r.Bytes, r.Format, r.Channels, r.Rate, r.Stopped)
	return err
}

func scanRecording(row rowScanner) (Recording, error) {
	var r Recording
	var start int64
	err := row.Scan(&r.ID, &r.CallID, &r.Conference, &r.Session, &r.Node, &r.Path, &start, &r.DurationMs, &r.Bytes, &r.Format, &r.Channels, &r.Rate, &r.Stopped)
	r.Start = time.UnixMilli(start).UTC()
	return r, err
}

// Recordings lists a call's recordings, oldest first.
func (s *Store) Recordings(ctx context.Context, callID string) ([]Recording, error) {
	return s.RecordingsOf(ctx, RecordingOwner{CallID: callID})
}

// RecordingsOf lists a call's or a room's recordings, oldest first.
func (s *Store) RecordingsOf(ctx context.Context, o RecordingOwner) ([]Recording, error) {
	cond, arg, _ := o.where()
	rows, err := s.query(ctx, s.db, `SELECT `+recordingColumns+` FROM recordings WHERE `+cond+` ORDER BY start_at, id`, arg)
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
	return s.RecordingOf(ctx, RecordingOwner{CallID: callID}, id)
}

// RecordingOf returns one of a call's or a room's recordings
// (ErrNotFound).
func (s *Store) RecordingOf(ctx context.Context, o RecordingOwner, id string) (Recording, error) {
	return s.recordingOf(ctx, s.db, o, id)
}

func (s *Store) recordingOf(ctx context.Context, q querier, o RecordingOwner, id string) (Recording, error) {
	cond, arg, name := o.where()
	r, err := scanRecording(s.queryRow(ctx, q, `SELECT `+recordingColumns+` FROM recordings WHERE `+cond+` AND id = ?`, arg, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("recording %q of %s: %w", id, quoteOwner(o, name), ErrNotFound)
	}
	return r, err
}

func quoteOwner(o RecordingOwner, name string) string {
	if o.Conference != "" {
		return name
	}
	return fmt.Sprintf("call %q", name)
}

// DeleteRecording removes a call's recording from the index and writes
// the audit entry, in one transaction; it returns the entry (its Path is
// the file the caller removes). ErrNotFound when there is none.
func (s *Store) DeleteRecording(ctx context.Context, who, callID, id string) (Recording, error) {
	return s.DeleteRecordingOf(ctx, who, RecordingOwner{CallID: callID}, id)
}

// DeleteRecordingOf is DeleteRecording for a call's or a room's
// recording; a room's is audited as "conference/ROOM/ID".
func (s *Store) DeleteRecordingOf(ctx context.Context, who string, o RecordingOwner, id string) (Recording, error) {
	var r Recording
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if r, err = s.recordingOf(ctx, tx, o, id); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM recordings WHERE id = ?`, id); err != nil {
			return err
		}
		what := o.CallID + "/" + id
		if o.Conference != "" {
			what = "conference/" + o.Conference + "/" + id
		}
		return s.auditTx(ctx, tx, time.Now().UnixMilli(), who, "delete", "recordings", what, 0, 0)
	})
	return r, err
}

// PruneRecordings removes from the index node's recordings (calls' and
// rooms') that began before cutoff, at most limit of them, and returns
// them (their files, on node's disk, are the caller's to remove).
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
