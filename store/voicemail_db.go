package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"
)

// Mailboxes keeps voicemail messages and recorded greetings in the store
// itself (tables voicemail_messages and voicemail_greetings), so that on
// a shared PostgreSQL store every node plays every message, counts the
// same new and old messages for the lamps, and a lost disk loses none.
// It has the same methods as Voicemail (the files under voicemail_dir),
// which it replaces for serving; Import brings a voicemail_dir's
// messages in. Its methods take no context (the call owner's interface
// has none): each statement is bounded by mailboxTimeout.
type Mailboxes struct{ s *Store }

// mailboxTimeout bounds one voicemail statement.
const mailboxTimeout = 10 * time.Second

// maxMessageSamples bounds a stored message (an hour at 8 kHz); the
// recorder's own limit is far lower.
const maxMessageSamples = 3600 * 8000

// Mailboxes is the store's voicemail.
func (s *Store) Mailboxes() Mailboxes { return Mailboxes{s} }

func pcmBlob(pcm []int16) []byte {
	b := make([]byte, 2*len(pcm))
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

func blobPCM(b []byte) []int16 {
	pcm := make([]int16, len(b)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return pcm
}

func ctxTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), mailboxTimeout)
}

// Save deposits a message; it fills ID (time-ordered, unique across
// nodes), Duration and File (empty: the audio is in the store).
func (v Mailboxes) Save(m *Message, pcm []int16) error {
	if err := checkBox(m.Box); err != nil {
		return err
	}
	if len(pcm) > maxMessageSamples {
		return fmt.Errorf("voicemail: a message of %d samples is over the hour a box keeps", len(pcm))
	}
	var suffix [3]byte
	_, _ = rand.Read(suffix[:]) // crypto/rand never fails on Linux
	m.ID = m.Time.UTC().Format("20060102T150405.000Z") + "-" + hex.EncodeToString(suffix[:])
	m.File = ""
	m.Duration = time.Duration(len(pcm)) * time.Second / 8000
	ctx, cancel := ctxTimeout()
	defer cancel()
	_, err := v.s.exec(ctx, v.s.db, `INSERT INTO voicemail_messages (box, id, caller, call_id, at, duration_ms, reason, old, pcm)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.Box, m.ID, m.Caller, m.CallID, m.Time.UnixMilli(), m.Duration.Milliseconds(),
		m.Reason, boolInt(m.Old), pcmBlob(pcm))
	if err != nil {
		return fmt.Errorf("voicemail: saving a message for box %s: %w", m.Box, err)
	}
	return nil
}

// List returns the box's messages (every box's for ""), oldest first.
func (v Mailboxes) List(box string) ([]Message, error) {
	ctx, cancel := ctxTimeout()
	defer cancel()
	q := `SELECT box, id, caller, call_id, at, duration_ms, reason, old FROM voicemail_messages`
	var args []any
	if box != "" {
		q += ` WHERE box = ?`
		args = append(args, box)
	}
	rows, err := v.s.query(ctx, v.s.db, q+` ORDER BY at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("voicemail: %w", err)
	}
	defer func() { _ = rows.Close() }() // rows.Err below reports a failed read
	var out []Message
	for rows.Next() {
		var m Message
		var at, ms int64
		var old int
		if err := rows.Scan(&m.Box, &m.ID, &m.Caller, &m.CallID, &at, &ms, &m.Reason, &old); err != nil {
			return nil, fmt.Errorf("voicemail: %w", err)
		}
		m.Time, m.Duration, m.Old = time.UnixMilli(at).UTC(), time.Duration(ms)*time.Millisecond, old != 0
		out = append(out, m)
	}
	return out, rows.Err()
}

// Counts are a box's new and old messages.
func (v Mailboxes) Counts(box string) (newMsgs, oldMsgs int, err error) {
	ctx, cancel := ctxTimeout()
	defer cancel()
	err = v.s.queryRow(ctx, v.s.db, `SELECT COALESCE(SUM(CASE WHEN old = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN old <> 0 THEN 1 ELSE 0 END), 0) FROM voicemail_messages WHERE box = ?`, box).Scan(&newMsgs, &oldMsgs)
	return newMsgs, oldMsgs, err
}

// Audio is a message's recording.
func (v Mailboxes) Audio(m Message) ([]int16, error) {
	ctx, cancel := ctxTimeout()
	defer cancel()
	var b []byte
	err := v.s.queryRow(ctx, v.s.db, `SELECT pcm FROM voicemail_messages WHERE box = ? AND id = ?`, m.Box, m.ID).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("voicemail: message %s of box %s: %w", m.ID, m.Box, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("voicemail: %w", err)
	}
	return blobPCM(b), nil
}

// MarkOld records that the owner has heard a message.
func (v Mailboxes) MarkOld(m Message) error {
	ctx, cancel := ctxTimeout()
	defer cancel()
	_, err := v.s.exec(ctx, v.s.db, `UPDATE voicemail_messages SET old = 1 WHERE box = ? AND id = ?`, m.Box, m.ID)
	return err
}

// Delete removes a message.
func (v Mailboxes) Delete(m Message) error {
	ctx, cancel := ctxTimeout()
	defer cancel()
	_, err := v.s.exec(ctx, v.s.db, `DELETE FROM voicemail_messages WHERE box = ? AND id = ?`, m.Box, m.ID)
	return err
}

// Greeting is the greeting the owner recorded, if any.
func (v Mailboxes) Greeting(box string) ([]int16, bool) {
	ctx, cancel := ctxTimeout()
	defer cancel()
	var b []byte
	if err := v.s.queryRow(ctx, v.s.db, `SELECT pcm FROM voicemail_greetings WHERE box = ?`, box).Scan(&b); err != nil || len(b) < 2 {
		return nil, false
	}
	return blobPCM(b), true
}

// SaveGreeting keeps a greeting recorded by phone.
func (v Mailboxes) SaveGreeting(box string, pcm []int16) error {
	if err := checkBox(box); err != nil {
		return err
	}
	ctx, cancel := ctxTimeout()
	defer cancel()
	_, err := v.s.exec(ctx, v.s.db, `INSERT INTO voicemail_greetings (box, pcm, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (box) DO UPDATE SET pcm = excluded.pcm, updated_at = excluded.updated_at`, box, pcmBlob(pcm), time.Now().UnixMilli())
	return err
}

// Import brings the messages and greetings of a voicemail_dir into the
// store, once: a message already there (same box and id) is skipped, and
// the files are left where they are. It returns how many messages it
// imported.
func (v Mailboxes) Import(dir string, log *slog.Logger) (int, error) {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	files := Voicemail{Dir: dir}
	msgs, err := files.List("")
	if err != nil {
		log.Warn("voicemail import: some message files could not be read", "dir", dir, "err", err)
	}
	ctx, cancel := ctxTimeout()
	defer cancel()
	n := 0
	boxes := map[string]bool{}
	for _, m := range msgs {
		boxes[m.Box] = true
		pcm, err := files.Audio(m)
		if err != nil {
			log.Warn("voicemail import: a message's audio could not be read", "box", m.Box, "id", m.ID, "err", err)
			continue
		}
		res, err := v.s.exec(ctx, v.s.db, `INSERT INTO voicemail_messages (box, id, caller, call_id, at, duration_ms, reason, old, pcm)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (box, id) DO NOTHING`, m.Box, m.ID, m.Caller, m.CallID, m.Time.UnixMilli(),
			m.Duration.Milliseconds(), m.Reason, boolInt(m.Old), pcmBlob(pcm))
		if err != nil {
			return n, fmt.Errorf("voicemail import: %w", err)
		}
		if k, _ := res.RowsAffected(); k > 0 {
			n++
		}
	}
	entries, _ := os.ReadDir(dir) // boxes with only a greeting
	for _, e := range entries {
		if e.IsDir() {
			boxes[e.Name()] = true
		}
	}
	for box := range boxes {
		if pcm, ok := files.Greeting(box); ok {
			if _, had := v.Greeting(box); !had {
				if err := v.SaveGreeting(box, pcm); err != nil {
					return n, fmt.Errorf("voicemail import: greeting of %s: %w", box, err)
				}
			}
		}
	}
	return n, nil
}
