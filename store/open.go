package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite", pure Go
)

// Store is ivrd's database: configuration resources, prompts, API tokens,
// the audit log, call records and the webhook outbox. It is safe for
// concurrent use; several ivrd nodes may share one PostgreSQL store.
type Store struct {
	db      *sql.DB
	dialect dialect
	url     string
	log     *slog.Logger

	hook func(verb string, d time.Duration) // Options.QueryHook

	mu   sync.Mutex // guards base and subs
	base Base
	subs map[int]chan int64
	next int

	listener *listener // PostgreSQL: LISTEN for other nodes' changes (listen.go)
}

// Options tune Open.
type Options struct {
	// Dir resolves a relative sqlite:// path (the config file's folder);
	// "" means the working directory.
	Dir string
	Log *slog.Logger
	// QueryHook, when set, hears each statement's verb (SELECT, INSERT,
	// UPDATE, DELETE, other) and how long the database took (metrics:
	// observe.go); store imports no metrics library.
	QueryHook func(verb string, d time.Duration)
}

// Open connects to the store named by a server.store URL (sqlite://FILE,
// postgres://...) and applies any migration it has not seen yet. A SQLite
// file and its folder are created when missing.
func Open(ctx context.Context, storeURL string, opt Options) (*Store, error) {
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{url: storeURL, log: log, subs: map[int]chan int64{}, hook: opt.QueryHook}
	scheme, rest, ok := strings.Cut(storeURL, "://")
	switch {
	case ok && scheme == "sqlite":
		path := rest
		if path == "" {
			return nil, fmt.Errorf("store %q: want sqlite://FILE", storeURL)
		}
		if !filepath.IsAbs(path) && opt.Dir != "" {
			path = filepath.Join(opt.Dir, path)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		// The file holds trunk and extension passwords: only its owner
		// reads it (SQLite would create it 0644).
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		f.Close()
		// WAL lets readers run beside the writer; _txlock=immediate takes
		// the write lock at BEGIN, so two writers queue (busy_timeout)
		// instead of one failing when it upgrades a read lock.
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
		db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
		if err != nil {
			return nil, fmt.Errorf("store %s: %w", path, err)
		}
		db.SetMaxOpenConns(4)
		db.SetMaxIdleConns(4) // kept open: see the PostgreSQL case below
		s.db, s.dialect = db, sqliteDialect{}
	case ok && (scheme == "postgres" || scheme == "postgresql"):
		db, err := sql.Open("pgx", storeURL)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		db.SetMaxOpenConns(8)
		// As many kept idle as may be open: database/sql keeps 2 by
		// default, so under a burst of call records every connection
		// past the second was closed after use and opened again (a TCP
		// or socket connect plus PostgreSQL's backend start each time),
		// and the writes timed out connecting (bench/durability.sh).
		db.SetMaxIdleConns(8)
		s.db, s.dialect = db, postgresDialect{}
	default:
		return nil, fmt.Errorf("store %q: want sqlite://FILE or postgres://USER:PASS@HOST/DB", storeURL)
	}
	if err := s.db.PingContext(ctx); err != nil {
		_ = s.db.Close() // the error that matters is the ping's
		return nil, fmt.Errorf("store %s: %w", redact(storeURL), err)
	}
	if err := s.migrate(ctx); err != nil {
		_ = s.db.Close() // the error that matters is the migration's
		return nil, fmt.Errorf("store %s: %w", redact(storeURL), err)
	}
	if s.dialect.name() == "postgres" {
		s.startListener()
	}
	return s, nil
}

// Close releases the database.
func (s *Store) Close() error {
	s.listener.stop()
	s.mu.Lock()
	for id, ch := range s.subs {
		close(ch)
		delete(s.subs, id)
	}
	s.mu.Unlock()
	return s.db.Close()
}

// Backend is "sqlite" or "postgres".
func (s *Store) Backend() string { return s.dialect.name() }

// Ping says whether the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// redact hides a password in a URL for messages.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		return u
	}
	return p.Redacted()
}

// dialect is everything that differs between SQLite and PostgreSQL: the
// placeholder style and a few column types. SQL is written once with ?
// placeholders and {{TYPE}} words.
type dialect interface {
	name() string
	rebind(q string) string
	types() *strings.Replacer
}

type sqliteDialect struct{}

func (sqliteDialect) name() string           { return "sqlite" }
func (sqliteDialect) rebind(q string) string { return q }
func (sqliteDialect) types() *strings.Replacer {
	return strings.NewReplacer("{{BLOB}}", "BLOB", "{{SERIAL}}", "INTEGER PRIMARY KEY AUTOINCREMENT")
}

type postgresDialect struct{}

func (postgresDialect) name() string { return "postgres" }

// rebind turns ? into $1, $2, ...; no statement of ours has a ? inside a
// string literal.
func (postgresDialect) rebind(q string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}
func (postgresDialect) types() *strings.Replacer {
	return strings.NewReplacer("{{BLOB}}", "BYTEA", "{{SERIAL}}", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func (s *Store) exec(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	defer s.timed(query)()
	return q.ExecContext(ctx, s.dialect.rebind(query), args...)
}

func (s *Store) query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	defer s.timed(query)()
	return q.QueryContext(ctx, s.dialect.rebind(query), args...)
}

func (s *Store) queryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	defer s.timed(query)()
	return q.QueryRowContext(ctx, s.dialect.rebind(query), args...)
}

// inTx runs f in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback() // f's error is the one to report
		return err
	}
	return tx.Commit()
}
