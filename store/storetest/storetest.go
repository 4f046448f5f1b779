package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// Postgres creates an empty database for one test and drops it at the
// end. The server: $IVRD_TEST_POSTGRES, else the local socket as the
// postgres role, else as the current user.
//
// It skips the test, saying why, whenever no server is usable: none
// installed, one installed but not running, one running without a role
// for this user, or a role that may not create a database. Call it with
// the *testing.T of the test (or subtest) that uses the database: a skip
// through a parent's t from inside a subtest is a FailNow on the parent.
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
		t.Skipf("no usable PostgreSQL server (set IVRD_TEST_POSTGRES, or install postgresql, "+
			"run pg_ctlcluster 15 main start and create a role for this user, as .ci/run does): %v", lastErr)
	}
	name := "ivrd_test_" + uniqueSuffix(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	_, err := admin.ExecContext(ctx, "CREATE DATABASE "+name)
	cancel()
	if err != nil {
		_ = admin.Close()
		t.Skipf("PostgreSQL reachable but this role cannot create a database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
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
	t.Fatalf("IVRD_TEST_POSTGRES=%q: cannot place a database name in it (want postgres://user@host:port/db)", u)
	return ""
}

// uniqueSuffix names a database no other test, in this process or in
// another running at the same time, will pick: the process id and
// random bytes (no counter shared by the package's callers).
func uniqueSuffix(t testing.TB) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("random database name: %v", err)
	}
	return fmt.Sprintf("%d_%s", os.Getpid(), hex.EncodeToString(b[:]))
}
