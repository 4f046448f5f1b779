package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

var seq atomic.Int64

// Postgres creates an empty database for one test and drops it at
// the end. The server: $IVRD_TEST_POSTGRES, else the local socket as the
// postgres role, else as the current user. Skips when none answers.
func Postgres(t testing.TB) string {
	t.Helper()
	candidates := []string{
		"postgres:///postgres?host=/var/run/postgresql&user=postgres",
		"postgres:///postgres?host=/var/run/postgresql",
	}
	if env := os.Getenv("IVRD_TEST_POSTGRES"); env != "" {
		candidates = []string{env}
	}
	var admin *sql.DB
	var adminURL string
	var lastErr error
	for _, c := range candidates {
		db, err := sql.Open("pgx", c)
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			err = db.PingContext(ctx)
			cancel()
			if err == nil {
				admin, adminURL = db, c
				break
			}
			_ = db.Close() // unreachable anyway
		}
		lastErr = err
	}
	if admin == nil {
		t.Skipf("no PostgreSQL server reachable (set IVRD_TEST_POSTGRES, or install postgresql and run pg_ctlcluster 15 main start): %v", lastErr)
	}
	name := fmt.Sprintf("ivrd_test_%d_%d", os.Getpid(), seq.Add(1))
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		_ = admin.Close()
		t.Skipf("PostgreSQL reachable but cannot create a database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("dropping test database %s: %v", name, err)
		}
		_ = admin.Close()
	})
	u := adminURL
	if strings.Contains(u, "/postgres?") {
		return strings.Replace(u, "/postgres?", "/"+name+"?", 1)
	}
	// A URL like postgres://user:pw@host:5432/db: swap the database name.
	if i := strings.LastIndex(u, "/"); i > len("postgres://") {
		rest := ""
		if q := strings.Index(u[i:], "?"); q >= 0 {
			rest = u[i+q:]
		}
		return u[:i] + "/" + name + rest
	}
	t.Fatalf("cannot place a database name in %q", u)
	return ""
}
