package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/ivrd/ivrd/ivr"
)

// Resource is one stored trunk, extension, schedule or IVR. Body is the
// resource as the YAML model has it (JSON values, numbers as json.Number),
// secrets included: the API removes them.
type Resource struct {
	Kind      Kind
	ID        string
	Body      map[string]any
	Version   int64
	UpdatedAt time.Time
}

// edit is one change inside a write.
type edit struct {
	kind       Kind
	id         string
	body       map[string]any // nil: delete
	ifMatch    int64          // 0: whatever version is stored
	mustCreate bool
	keepSecret bool    // an absent secret keeps the stored one (API writes)
	fileHash   *string // import: the file content this body came from
	rev        revisionNote
}

type meta struct {
	version  int64
	fileHash string
	canon    string // the stored body, canonical JSON
}

// WriteResult tells what a write did.
type WriteResult struct {
	Resources []Resource    // after the write (deleted ones with their last version)
	Warnings  []ivr.Problem // of the whole configuration, which is valid
	Version   int64         // configuration version after the write
	Changed   bool
}

// Get returns one resource.
func (s *Store) Get(ctx context.Context, kind Kind, id string) (Resource, error) {
	var body string
	r := Resource{Kind: kind, ID: id}
	var at int64
	err := s.queryRow(ctx, s.db, `SELECT body, version, updated_at FROM resources WHERE kind = ? AND id = ?`, string(kind), id).Scan(&body, &r.Version, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("%s %q: %w", kind.Singular(), id, ErrNotFound)
	}
	if err != nil {
		return r, err
	}
	r.UpdatedAt = time.UnixMilli(at).UTC()
	r.Body, err = DecodeBody([]byte(body))
	return r, err
}

// List returns every resource of a kind, ordered by id.
func (s *Store) List(ctx context.Context, kind Kind) ([]Resource, error) {
	rows, err := s.query(ctx, s.db, `SELECT id, body, version, updated_at FROM resources WHERE kind = ? ORDER BY id`, string(kind))
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }() // a read error surfaces in rows.Err
	var out []Resource
	for rows.Next() {
		r := Resource{Kind: kind}
		var body string
		var at int64
		if err := rows.Scan(&r.ID, &body, &r.Version, &at); err != nil {
			return nil, err
		}
		r.UpdatedAt = time.UnixMilli(at).UTC()
		if r.Body, err = DecodeBody([]byte(body)); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	// Go's order, not the database's collation: cursors compare in Go.
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, rows.Err()
}

// Create adds a resource; ErrExists when its id is taken.
func (s *Store) Create(ctx context.Context, who string, kind Kind, body map[string]any) (WriteResult, error) {
	id, err := CheckBody(kind, body)
	if err != nil {
		return WriteResult{}, err
	}
	return s.write(ctx, who, "create", []edit{{kind: kind, id: id, body: body, mustCreate: true}})
}

// Put creates or replaces the resource id. ifMatch (when not 0) is the
// version the writer read: ErrConflict if it is no longer the stored one.
// A body without its kind's secret keeps the stored secret.
func (s *Store) Put(ctx context.Context, who string, kind Kind, id string, body map[string]any, ifMatch int64) (WriteResult, error) {
	if v, ok := body[kind.IDField()]; !ok || v == nil {
		body[kind.IDField()] = id
	}
	got, err := CheckBody(kind, body)
	if err != nil {
		return WriteResult{}, err
	}
	if got != id {
		return WriteResult{}, &ShapeError{kind.IDField(), fmt.Sprintf("%q differs from the id in the URL (%q)", got, id)}
	}
	return s.write(ctx, who, "update", []edit{{kind: kind, id: id, body: body, ifMatch: ifMatch, keepSecret: true}})
}

// Delete removes a resource (ifMatch as for Put). It fails with a
// *ValidationError while anything still refers to it.
func (s *Store) Delete(ctx context.Context, who string, kind Kind, id string, ifMatch int64) (WriteResult, error) {
	return s.write(ctx, who, "delete", []edit{{kind: kind, id: id, ifMatch: ifMatch}})
}

// lockConfig serialises configuration writers: every write validates the
// whole configuration it produces, so two writers must not both validate
// against the state before the other's change. SQLite transactions here
// already hold the write lock (BEGIN IMMEDIATE); PostgreSQL locks the row.
func (s *Store) lockConfig(ctx context.Context, tx *sql.Tx) (int64, error) {
	q := `SELECT version FROM config_state WHERE id = 1`
	if s.dialect.name() == "postgres" {
		q += ` FOR UPDATE`
	}
	var v int64
	err := tx.QueryRowContext(ctx, q).Scan(&v)
	return v, err
}

func (s *Store) loadState(ctx context.Context, q querier) (state, error) {
	st, _, err := s.loadStateMeta(ctx, q)
	return st, err
}

func (s *Store) loadStateMeta(ctx context.Context, q querier) (state, map[Kind]map[string]meta, error) {
	st := state{}
	metas := map[Kind]map[string]meta{}
	for _, k := range Kinds {
		st[k] = map[string]map[string]any{}
		metas[k] = map[string]meta{}
	}
	rows, err := s.query(ctx, q, `SELECT kind, id, body, version, file_hash FROM resources`)
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = rows.Close() }() // a read error surfaces in rows.Err
	for rows.Next() {
		var kind, id, body, hash string
		var version int64
		if err := rows.Scan(&kind, &id, &body, &version, &hash); err != nil {
			return nil, nil, err
		}
		k, ok := ParseKind(kind)
		if !ok {
			continue // a kind from a newer ivrd
		}
		m, err := DecodeBody([]byte(body))
		if err != nil {
			return nil, nil, fmt.Errorf("stored %s %q: %w", kind, id, err)
		}
		st[k][id] = m
		metas[k][id] = meta{version: version, fileHash: hash, canon: body}
	}
	return st, metas, rows.Err()
}

func (s *Store) storedPromptNames(ctx context.Context, q querier) ([]string, error) {
	rows, err := s.query(ctx, q, `SELECT name FROM prompts`)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }() // a read error surfaces in rows.Err
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// write applies edits in one transaction: all of them, or none when the
// resulting configuration does not validate or a version does not match.
func (s *Store) write(ctx context.Context, who, action string, edits []edit) (WriteResult, error) {
	var res WriteResult
	type done struct {
		e              edit
		before, after  int64
		canon          string
		bodyChanged    bool
		hashOnlyUpdate bool
	}
	var applied []done
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, applied = WriteResult{}, nil
		cfgVersion, err := s.lockConfig(ctx, tx)
		if err != nil {
			return err
		}
		st, metas, err := s.loadStateMeta(ctx, tx)
		if err != nil {
			return err
		}
		for _, e := range edits {
			m, exists := metas[e.kind][e.id]
			switch {
			case e.mustCreate && exists:
				return fmt.Errorf("%s %q: %w", e.kind.Singular(), e.id, ErrExists)
			case e.body == nil && !exists:
				return fmt.Errorf("%s %q: %w", e.kind.Singular(), e.id, ErrNotFound)
			case e.ifMatch != 0 && !exists:
				return fmt.Errorf("%s %q does not exist (If-Match %d): %w", e.kind.Singular(), e.id, e.ifMatch, ErrConflict)
			case e.ifMatch != 0 && m.version != e.ifMatch:
				return fmt.Errorf("%s %q is at version %d, not %d: %w", e.kind.Singular(), e.id, m.version, e.ifMatch, ErrConflict)
			}
			d := done{e: e, before: m.version}
			if e.body == nil {
				delete(st[e.kind], e.id)
				applied = append(applied, d)
				continue
			}
			if sec := e.kind.Secret(); sec != "" && e.keepSecret && exists {
				if _, given := e.body[sec]; !given {
					if old, ok := st[e.kind][e.id][sec]; ok {
						e.body[sec] = old
					}
				}
			}
			canon, err := json.Marshal(e.body)
			if err != nil {
				return err
			}
			d.canon = string(canon)
			d.bodyChanged = !exists || m.canon != d.canon
			if !d.bodyChanged && e.fileHash != nil && *e.fileHash != m.fileHash {
				d.hashOnlyUpdate = true
			}
			st[e.kind][e.id] = e.body
			applied = append(applied, d)
		}
		stored, err := s.storedPromptNames(ctx, tx)
		if err != nil {
			return err
		}
		if _, res.Warnings, err = validateState(s.getBase(), st, stored); err != nil {
			return err
		}
		now := time.Now().UnixMilli()
		for i := range applied {
			d := &applied[i]
			e := d.e
			switch {
			case e.body == nil:
				if _, err := s.exec(ctx, tx, `DELETE FROM resources WHERE kind = ? AND id = ?`, string(e.kind), e.id); err != nil {
					return err
				}
				d.after = 0
			case d.before == 0:
				hash := ""
				if e.fileHash != nil {
					hash = *e.fileHash
				}
				d.after = 1
				if _, err := s.exec(ctx, tx, `INSERT INTO resources (kind, id, body, version, file_hash, updated_at) VALUES (?, ?, ?, 1, ?, ?)`,
					string(e.kind), e.id, d.canon, hash, now); err != nil {
					return err
				}
			case d.bodyChanged:
				d.after = d.before + 1
				q := `UPDATE resources SET body = ?, version = ?, updated_at = ? WHERE kind = ? AND id = ?`
				args := []any{d.canon, d.after, now, string(e.kind), e.id}
				if e.fileHash != nil {
					q = `UPDATE resources SET body = ?, version = ?, updated_at = ?, file_hash = ? WHERE kind = ? AND id = ?`
					args = []any{d.canon, d.after, now, *e.fileHash, string(e.kind), e.id}
				}
				if _, err := s.exec(ctx, tx, q, args...); err != nil {
					return err
				}
			default:
				d.after = d.before
				if d.hashOnlyUpdate {
					if _, err := s.exec(ctx, tx, `UPDATE resources SET file_hash = ? WHERE kind = ? AND id = ?`, *e.fileHash, string(e.kind), e.id); err != nil {
						return err
					}
				}
			}
			if e.body == nil || d.bodyChanged {
				res.Changed = true
				if err := s.auditTx(ctx, tx, now, who, action, string(e.kind), e.id, d.before, d.after); err != nil {
					return err
				}
			}
			if err := s.reviseTx(ctx, tx, now, who, action, e, d.after, d.bodyChanged, d.canon); err != nil {
				return err
			}
			res.Resources = append(res.Resources, Resource{Kind: e.kind, ID: e.id, Body: e.body, Version: max(d.after, d.before), UpdatedAt: time.UnixMilli(now).UTC()})
		}
		res.Version = cfgVersion
		if res.Changed {
			res.Version = cfgVersion + 1
			if _, err := s.exec(ctx, tx, `UPDATE config_state SET version = ? WHERE id = 1`, res.Version); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return WriteResult{}, err
	}
	for _, d := range applied {
		if d.e.body == nil || d.bodyChanged {
			s.log.Info("audit", "who", who, "action", action, "kind", string(d.e.kind), "id", d.e.id,
				"before_version", d.before, "after_version", d.after, "config_version", res.Version)
		}
	}
	if res.Changed {
		s.notify(res.Version)
	}
	return res, nil
}
