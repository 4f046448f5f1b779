package store

import (
	"context"
	"database/sql"
	"time"
)

// AuditEntry is one change: who (the token's name, or "file" for an
// import), what, and the resource's version before and after (0: absent).
type AuditEntry struct {
	ID            int64     `json:"id"`
	At            time.Time `json:"at"`
	Who           string    `json:"who"`
	Action        string    `json:"action"`
	Kind          string    `json:"kind"`
	ResourceID    string    `json:"resource_id"`
	BeforeVersion int64     `json:"before_version"`
	AfterVersion  int64     `json:"after_version"`
}

func (s *Store) auditTx(ctx context.Context, tx *sql.Tx, atMs int64, who, action, kind, id string, before, after int64) error {
	_, err := s.exec(ctx, tx, `INSERT INTO audit_log (at, who, action, kind, resource_id, before_version, after_version) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		atMs, who, action, kind, id, before, after)
	return err
}

// Audit lists audit entries newest first, those with an id below before
// (0: from the newest), at most limit.
func (s *Store) Audit(ctx context.Context, before int64, limit int) ([]AuditEntry, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := s.query(ctx, s.db, `SELECT id, at, who, action, kind, resource_id, before_version, after_version
		FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?`, before, limit)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }() // a read error surfaces in rows.Err
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Who, &e.Action, &e.Kind, &e.ResourceID, &e.BeforeVersion, &e.AfterVersion); err != nil {
			return nil, err
		}
		e.At = time.UnixMilli(at).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
