package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Token is an API token kept in the store: only its SHA-256 is stored, the
// token itself is shown once, when it is created.
type Token struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	Scope     string     `json:"scope"` // read | write
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// HashToken is the hex SHA-256 of a token, as stored and as written in
// server.api.tokens[].token_sha256. A token is 32 random bytes, so a plain
// hash (no salt, no stretching) cannot be reversed by guessing.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateToken makes a new token with a name and scope (read or write),
// stores its hash and returns the token itself.
func (s *Store) CreateToken(ctx context.Context, name, scope string) (string, Token, error) {
	if name == "" {
		return "", Token{}, fmt.Errorf("token name is required: %w", ErrBadInput)
	}
	if scope != "read" && scope != "write" {
		return "", Token{}, fmt.Errorf("token scope %q: want read or write: %w", scope, ErrBadInput)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", Token{}, err
	}
	tok := "ivrd_" + base64.RawURLEncoding.EncodeToString(raw[:])
	now := time.Now()
	t := Token{Name: name, Scope: scope, CreatedAt: now.UTC().Truncate(time.Millisecond)}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := s.queryRow(ctx, tx, `SELECT COUNT(*) FROM api_tokens WHERE name = ? AND revoked_at IS NULL`, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("token %q: %w (revoke it first)", name, ErrExists)
		}
		if _, err := s.exec(ctx, tx, `INSERT INTO api_tokens (name, hash, scope, created_at) VALUES (?, ?, ?, ?)`,
			name, HashToken(tok), scope, now.UnixMilli()); err != nil {
			return err
		}
		return s.auditTx(ctx, tx, now.UnixMilli(), "cli", "create", "tokens", name, 0, 1)
	})
	if err != nil {
		return "", Token{}, err
	}
	return tok, t, nil
}

// RevokeToken makes the live token called name stop working.
func (s *Store) RevokeToken(ctx context.Context, name string) error {
	now := time.Now().UnixMilli()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		r, err := s.exec(ctx, tx, `UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL`, now, name)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return fmt.Errorf("token %q: %w", name, ErrNotFound)
		}
		return s.auditTx(ctx, tx, now, "cli", "revoke", "tokens", name, 1, 0)
	})
}

// LookupToken finds the live stored token whose hash is hash (the caller
// hashes what it was given: the lookup is by an index, and comparing
// hashes leaks nothing about the token).
func (s *Store) LookupToken(ctx context.Context, hash string) (Token, error) {
	var t Token
	var at int64
	err := s.queryRow(ctx, s.db, `SELECT id, name, scope, created_at FROM api_tokens WHERE hash = ? AND revoked_at IS NULL`, hash).
		Scan(&t.ID, &t.Name, &t.Scope, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return t, ErrNotFound
	}
	t.CreatedAt = time.UnixMilli(at).UTC()
	return t, err
}

// Tokens lists stored tokens, revoked ones included.
func (s *Store) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := s.query(ctx, s.db, `SELECT id, name, scope, created_at, revoked_at FROM api_tokens ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }() // a read error surfaces in rows.Err
	var out []Token
	for rows.Next() {
		var t Token
		var at int64
		var rev sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Name, &t.Scope, &at, &rev); err != nil {
			return nil, err
		}
		t.CreatedAt = time.UnixMilli(at).UTC()
		if rev.Valid {
			r := time.UnixMilli(rev.Int64).UTC()
			t.RevokedAt = &r
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
