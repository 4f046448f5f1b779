package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// The registrar's bindings: which contact an extension's phone
// registered, the route to reach it (the Path a proxy added, RFC 3327)
// and until when. In the store rather than in a node's memory, so that a
// call any node of a cluster handles reaches a phone that registered
// through another (README, "Running several nodes"); on SQLite, one node,
// they also outlive a restart, as a phone expects of its registrar.

// Binding is one registered contact of an address of record.
type Binding struct {
	AOR     string   // the extension that registered
	Contact string   // the URI the phone is called at
	Path    []string // Path header values of its REGISTER, first first: the route to it
	Source  string   // IP:port the REGISTER came from; "" when it came through a proxy
	Node    string   // the node that took the REGISTER
	Expires time.Time
}

// PutBinding adds or refreshes b (one row per AOR and contact) and drops
// every binding expired at now, so the table holds live ones only.
func (s *Store) PutBinding(ctx context.Context, b Binding, now time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, `DELETE FROM sip_bindings WHERE expires_at <= ?`, now.UnixMilli()); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, `INSERT INTO sip_bindings (aor, contact, path, source, node, expires_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (aor, contact) DO UPDATE SET path = excluded.path, source = excluded.source,
			node = excluded.node, expires_at = excluded.expires_at`,
			b.AOR, b.Contact, strings.Join(b.Path, "\n"), b.Source, b.Node, b.Expires.UnixMilli())
		return err
	})
}

// RemoveBinding removes aor's binding of contact; contact "" removes all
// of aor's (a REGISTER with Contact: * and Expires: 0).
func (s *Store) RemoveBinding(ctx context.Context, aor, contact string) error {
	if contact == "" {
		_, err := s.exec(ctx, s.db, `DELETE FROM sip_bindings WHERE aor = ?`, aor)
		return err
	}
	_, err := s.exec(ctx, s.db, `DELETE FROM sip_bindings WHERE aor = ? AND contact = ?`, aor, contact)
	return err
}

// Bindings are aor's bindings unexpired at now, by contact.
func (s *Store) Bindings(ctx context.Context, aor string, now time.Time) ([]Binding, error) {
	return s.bindings(ctx, `WHERE aor = ? AND expires_at > ? ORDER BY contact`, aor, now.UnixMilli())
}

// BindingOf is an unexpired binding of contact (for the route to it);
// ok false when no phone registered it.
func (s *Store) BindingOf(ctx context.Context, contact string, now time.Time) (Binding, bool, error) {
	list, err := s.bindings(ctx, `WHERE contact = ? AND expires_at > ? ORDER BY expires_at DESC LIMIT 1`, contact, now.UnixMilli())
	if err != nil || len(list) == 0 {
		return Binding{}, false, err
	}
	return list[0], true, nil
}

func (s *Store) bindings(ctx context.Context, where string, args ...any) ([]Binding, error) {
	rows, err := s.query(ctx, s.db, `SELECT aor, contact, path, source, node, expires_at FROM sip_bindings `+where, args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }() // a read error surfaces in rows.Err
	var out []Binding
	for rows.Next() {
		var b Binding
		var path string
		var expires int64
		if err := rows.Scan(&b.AOR, &b.Contact, &path, &b.Source, &b.Node, &expires); err != nil {
			return nil, err
		}
		if path != "" {
			b.Path = strings.Split(path, "\n")
		}
		b.Expires = time.UnixMilli(expires)
		out = append(out, b)
	}
	return out, rows.Err()
}
