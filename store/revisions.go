package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ivrd/ivrd/ivr"
)

// An IVR's history. Every saved state of an IVR is a Revision, numbered
// from 1 per IVR: each live write (create, update, import, restore) and
// each draft. A draft is a revision the editor works on without
// affecting calls: it is validated like a live write (so its problems
// show at once) but changes no configuration version, so no node
// applies it; Publish makes it live through the same validated write as
// a PUT, and Restore makes an older revision live again. Live writes do
// not touch a draft (an API client that knows nothing of drafts goes on
// publishing directly); publishing or restoring drops it.

// Revision is one saved state of an IVR.
type Revision struct {
	IVR    string    `json:"ivr"`
	N      int64     `json:"n"`
	At     time.Time `json:"at"`
	Who    string    `json:"who"`
	Action string    `json:"action"` // create, update, import, draft, restore, stored (before revisions were kept)
	// Changes says what differs from the revision before (n-1), one
	// short phrase each ("key 1 changed", "greeting added").
	Changes      []string `json:"changes"`
	RestoredFrom int64    `json:"restored_from,omitempty"`
	// LiveVersion is the IVR's version this revision went live as; 0
	// for a draft never published.
	LiveVersion int64          `json:"live_version,omitempty"`
	PublishedAt *time.Time     `json:"published_at,omitempty"`
	PublishedBy string         `json:"published_by,omitempty"`
	Body        map[string]any `json:"body,omitempty"`
}

// Draft is an IVR's pending draft: its revision and the live version it
// was based on (publishing it is refused once the live IVR has moved on).
type Draft struct {
	IVR         string         `json:"ivr"`
	Revision    int64          `json:"revision"`
	BaseVersion int64          `json:"base_version"`
	At          time.Time      `json:"at"`
	Who         string         `json:"who"`
	Body        map[string]any `json:"body"`
}

// revisionNote is what a write does to an IVR's history besides adding
// a revision: publish a draft's revision instead, or record a restore.
type revisionNote struct {
	publish      int64 // the draft revision this write makes live (no new revision)
	restoredFrom int64
	dropDraft    bool
}

// reviseTx keeps an IVR's history in step with a write of it (write
// calls it for every edit inside its transaction).
func (s *Store) reviseTx(ctx context.Context, tx *sql.Tx, now int64, who, action string, e edit, after int64, changed bool, canon string) error {
	if e.kind != IVRs {
		return nil
	}
	if e.body == nil {
		for _, q := range []string{`DELETE FROM ivr_drafts WHERE ivr = ?`, `DELETE FROM ivr_layouts WHERE ivr = ?`} {
			if _, err := s.exec(ctx, tx, q, e.id); err != nil {
				return err
			}
		}
		return nil
	}
	if e.rev.dropDraft {
		if _, err := s.exec(ctx, tx, `DELETE FROM ivr_drafts WHERE ivr = ?`, e.id); err != nil {
			return err
		}
	}
	if e.rev.publish != 0 {
		_, err := s.exec(ctx, tx, `UPDATE ivr_revisions SET live_version = ?, published_at = ?, published_by = ? WHERE ivr = ? AND n = ?`,
			after, now, who, e.id, e.rev.publish)
		return err
	}
	if !changed {
		return nil
	}
	_, err := s.insertRevisionTx(ctx, tx, e.id, canon, now, who, action, e.rev.restoredFrom, after)
	return err
}

// insertRevisionTx appends a revision with what changed since the one
// before; live is the version it went live as (0: a draft).
func (s *Store) insertRevisionTx(ctx context.Context, tx *sql.Tx, id, canon string, now int64, who, action string, restoredFrom, live int64) (int64, error) {
	var last int64
	var prevBody sql.NullString
	if err := s.queryRow(ctx, tx, `SELECT COALESCE(MAX(n), 0) FROM ivr_revisions WHERE ivr = ?`, id).Scan(&last); err != nil {
		return 0, err
	}
	var before map[string]any
	if last > 0 {
		if err := s.queryRow(ctx, tx, `SELECT body FROM ivr_revisions WHERE ivr = ? AND n = ?`, id, last).Scan(&prevBody); err != nil {
			return 0, err
		}
		b, err := DecodeBody([]byte(prevBody.String))
		if err != nil {
			return 0, fmt.Errorf("revision %d of %q: %w", last, id, err)
		}
		before = b
	}
	after, err := DecodeBody([]byte(canon))
	if err != nil {
		return 0, err
	}
	changes, err := json.Marshal(IVRChanges(before, after))
	if err != nil {
		return 0, err
	}
	var published any
	if live != 0 {
		published = now
	}
	publishedBy := ""
	if live != 0 {
		publishedBy = who
	}
	n := last + 1
	_, err = s.exec(ctx, tx, `INSERT INTO ivr_revisions (ivr, n, body, at, who, action, changes, restored_from, live_version, published_at, published_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, n, canon, now, who, action, string(changes), restoredFrom, live, published, publishedBy)
	return n, err
}

const revisionCols = `ivr, n, at, who, action, changes, restored_from, live_version, published_at, published_by`

func scanRevision(sc interface{ Scan(...any) error }, extra ...any) (Revision, error) {
	var r Revision
	var at int64
	var changes string
	var pubAt sql.NullInt64
	dest := append([]any{&r.IVR, &r.N, &at, &r.Who, &r.Action, &changes, &r.RestoredFrom, &r.LiveVersion, &pubAt, &r.PublishedBy}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return r, err
	}
	r.At = time.UnixMilli(at).UTC()
	if pubAt.Valid {
		t := time.UnixMilli(pubAt.Int64).UTC()
		r.PublishedAt = &t
	}
	if err := json.Unmarshal([]byte(changes), &r.Changes); err != nil {
		return r, fmt.Errorf("revision %d of %q: changes: %w", r.N, r.IVR, err)
	}
	return r, nil
}

// Revisions lists an IVR's revisions, newest first, without their
// bodies; ErrNotFound when it has none.
func (s *Store) Revisions(ctx context.Context, id string) ([]Revision, error) {
	rows, err := s.query(ctx, s.db, `SELECT `+revisionCols+` FROM ivr_revisions WHERE ivr = ? ORDER BY n DESC`, id)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }() // a read error surfaces in rows.Err
	var out []Revision
	for rows.Next() {
		r, err := scanRevision(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("revisions of IVR %q: %w", id, ErrNotFound)
	}
	return out, nil
}

// Revision is one revision of an IVR with its body.
func (s *Store) Revision(ctx context.Context, id string, n int64) (Revision, error) {
	var body string
	r, err := scanRevision(s.queryRow(ctx, s.db, `SELECT `+revisionCols+`, body FROM ivr_revisions WHERE ivr = ? AND n = ?`, id, n), &body)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("revision %d of IVR %q: %w", n, id, ErrNotFound)
	}
	if err != nil {
		return r, err
	}
	r.Body, err = DecodeBody([]byte(body))
	return r, err
}

// Drafts lists every pending draft with its body, ordered by IVR.
func (s *Store) Drafts(ctx context.Context) ([]Draft, error) {
	return s.drafts(ctx, `SELECT d.ivr, d.revision, d.base_version, r.at, r.who, r.body FROM ivr_drafts d
		JOIN ivr_revisions r ON r.ivr = d.ivr AND r.n = d.revision ORDER BY d.ivr`)
}

// Draft is an IVR's pending draft; ErrNotFound when it has none.
func (s *Store) Draft(ctx context.Context, id string) (Draft, error) {
	ds, err := s.drafts(ctx, `SELECT d.ivr, d.revision, d.base_version, r.at, r.who, r.body FROM ivr_drafts d
		JOIN ivr_revisions r ON r.ivr = d.ivr AND r.n = d.revision WHERE d.ivr = ?`, id)
	if err != nil {
		return Draft{}, err
	}
	if len(ds) == 0 {
		return Draft{}, fmt.Errorf("draft of IVR %q: %w", id, ErrNotFound)
	}
	return ds[0], nil
}

func (s *Store) drafts(ctx context.Context, q string, args ...any) ([]Draft, error) {
	rows, err := s.query(ctx, s.db, q, args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }() // a read error surfaces in rows.Err
	out := []Draft{}
	for rows.Next() {
		var d Draft
		var at int64
		var body string
		if err := rows.Scan(&d.IVR, &d.Revision, &d.BaseVersion, &at, &d.Who, &body); err != nil {
			return nil, err
		}
		d.At = time.UnixMilli(at).UTC()
		if d.Body, err = DecodeBody([]byte(body)); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// SaveDraft stores body as the draft of IVR id, a new revision, without
// changing what calls get. The whole configuration it would make is
// validated (a *ValidationError with every problem, nothing stored);
// ifMatch (when not 0) is the live version the draft is based on. The
// draft's warnings come back with it.
func (s *Store) SaveDraft(ctx context.Context, who, id string, body map[string]any, ifMatch int64) (Draft, []ivr.Problem, error) {
	if v, ok := body["id"]; !ok || v == nil {
		body["id"] = id
	}
	got, err := CheckBody(IVRs, body)
	if err != nil {
		return Draft{}, nil, err
	}
	if got != id {
		return Draft{}, nil, &ShapeError{"id", fmt.Sprintf("%q differs from the id in the URL (%q)", got, id)}
	}
	var d Draft
	var warnings []ivr.Problem
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.lockConfig(ctx, tx); err != nil {
			return err
		}
		st, metas, err := s.loadStateMeta(ctx, tx)
		if err != nil {
			return err
		}
		m, ok := metas[IVRs][id]
		switch {
		case !ok:
			return fmt.Errorf("IVR %q (a draft is of a stored IVR: create it first): %w", id, ErrNotFound)
		case ifMatch != 0 && m.version != ifMatch:
			return fmt.Errorf("IVR %q is at version %d, not %d: %w", id, m.version, ifMatch, ErrConflict)
		}
		st[IVRs][id] = body
		stored, err := s.storedPromptNames(ctx, tx)
		if err != nil {
			return err
		}
		if _, warnings, err = validateState(s.getBase(), st, stored); err != nil {
			return err
		}
		canon, err := json.Marshal(body)
		if err != nil {
			return err
		}
		now := time.Now().UnixMilli()
		n, err := s.insertRevisionTx(ctx, tx, id, string(canon), now, who, "draft", 0, 0)
		if err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM ivr_drafts WHERE ivr = ?`, id); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `INSERT INTO ivr_drafts (ivr, revision, base_version) VALUES (?, ?, ?)`, id, n, m.version); err != nil {
			return err
		}
		d = Draft{IVR: id, Revision: n, BaseVersion: m.version, At: time.UnixMilli(now).UTC(), Who: who, Body: body}
		return s.auditTx(ctx, tx, now, who, "draft", string(IVRs), id, m.version, m.version)
	})
	if err != nil {
		return Draft{}, nil, err
	}
	s.log.Info("audit", "who", who, "action", "draft", "kind", string(IVRs), "id", id, "revision", d.Revision)
	return d, warnings, nil
}

// DiscardDraft drops IVR id's draft (its revision stays in the history).
func (s *Store) DiscardDraft(ctx context.Context, who, id string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `DELETE FROM ivr_drafts WHERE ivr = ?`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, fmt.Errorf("draft of IVR %q: %w", id, ErrNotFound))
		}
		return s.auditTx(ctx, tx, time.Now().UnixMilli(), who, "discard draft", string(IVRs), id, 0, 0)
	})
	if err == nil {
		s.log.Info("audit", "who", who, "action", "discard draft", "kind", string(IVRs), "id", id)
	}
	return err
}

// Publish makes IVR id's draft live: the same validated write as a Put,
// after which calls get it. ifMatch (when not 0) is the live version the
// caller expects; the draft's own base must still be the live version
// (ErrConflict once someone changed the live IVR since the draft began).
func (s *Store) Publish(ctx context.Context, who, id string, ifMatch int64) (WriteResult, error) {
	d, err := s.Draft(ctx, id)
	if err != nil {
		return WriteResult{}, err
	}
	if ifMatch != 0 && ifMatch != d.BaseVersion {
		return WriteResult{}, fmt.Errorf("the draft of IVR %q was started from version %d, not %d: %w", id, d.BaseVersion, ifMatch, ErrConflict)
	}
	res, err := s.write(ctx, who, "publish", []edit{{kind: IVRs, id: id, body: d.Body, ifMatch: d.BaseVersion, keepSecret: true,
		rev: revisionNote{publish: d.Revision, dropDraft: true}}})
	if errors.Is(err, ErrConflict) {
		return res, fmt.Errorf("the draft of IVR %q (revision %d) was started from version %d and the live IVR changed since; save the draft again: %w",
			id, d.Revision, d.BaseVersion, err)
	}
	return res, err
}

// Restore makes revision n of IVR id live again (a new revision saying
// so), dropping any draft (which stays in the history). ifMatch as for
// Put.
func (s *Store) Restore(ctx context.Context, who, id string, n, ifMatch int64) (WriteResult, error) {
	r, err := s.Revision(ctx, id, n)
	if err != nil {
		return WriteResult{}, err
	}
	return s.write(ctx, who, "restore", []edit{{kind: IVRs, id: id, body: r.Body, ifMatch: ifMatch, keepSecret: true,
		rev: revisionNote{restoredFrom: n, dropDraft: true}}})
}

// ConfigWithDrafts is the configuration as it would be with every
// pending draft published (for simulating drafts; calls never run it).
// A draft that no longer fits the live configuration is left out.
func (s *Store) ConfigWithDrafts(ctx context.Context) (*ivr.Config, error) {
	ds, err := s.Drafts(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.loadState(ctx, s.db)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		if _, live := st[IVRs][d.IVR]; !live {
			continue
		}
		prev := st[IVRs][d.IVR]
		st[IVRs][d.IVR] = d.Body
		if _, _, err := compose(s.getBase(), st); err != nil {
			st[IVRs][d.IVR] = prev
		}
	}
	cfg, _, err := compose(s.getBase(), st)
	return cfg, err
}
