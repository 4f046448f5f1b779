// Package apitest runs the management API over real HTTP on 127.0.0.1
// with its own store, for the tests of the vendor API packages (which
// api mounts, so they test through it). Only tests import it.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/api"
	"github.com/ivrd/ivrd/examples"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/store"
	"github.com/ivrd/ivrd/store/storetest"
)

// The tokens every Env accepts.
const (
	WriteToken = "write-token-0123456789"
	ReadToken  = "read-token-0123456789"
)

// Env is one API server with the example configuration imported.
type Env struct {
	T     *testing.T
	Store *store.Store
	URL   string
}

// Backends runs f against SQLite and PostgreSQL (skipped when no server).
func Backends(t *testing.T, f func(t *testing.T, e *Env)) {
	t.Run("sqlite", func(t *testing.T) { f(t, New(t, "sqlite://"+filepath.Join(t.TempDir(), "ivrd.db"))) })
	t.Run("postgres", func(t *testing.T) { f(t, New(t, storetest.Postgres(t))) })
}

// New opens the store at url, imports the example and serves the API.
func New(t *testing.T, url string) *Env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := store.Open(ctx, url, store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	_, err = st.Import(ctx, "file", examples.Main, "", prompts.Builtin().Names())
	require.NoError(t, err)
	srv := api.New(api.Config{Store: st, Tokens: []ivr.APIToken{
		{Name: "admin", Token: WriteToken, Scope: "write"},
		{Name: "grafana", TokenSHA256: store.HashToken(ReadToken), Scope: "read"},
	}, FailLimit: 50, FailWindow: time.Minute})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &Env{T: t, Store: st, URL: ts.URL}
}

// Do sends a request; auth sets its credentials. It returns the status
// and the body.
func (e *Env) Do(method, path, body string, auth func(*http.Request)) (int, []byte) {
	t := e.T
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = bytes.NewReader([]byte(body))
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if auth != nil {
		auth(req)
	}
	resp, err := (&http.Client{Timeout: 15 * time.Second}).Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, data
}

// Bearer authenticates with token as the native API does.
func Bearer(token string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

// Native calls the native API with the write token and decodes the
// answer (nil for an empty one).
func (e *Env) Native(method, path, body string) (int, map[string]any) {
	e.T.Helper()
	code, data := e.Do(method, path, body, Bearer(WriteToken))
	return code, Object(e.T, data)
}

// Object decodes a JSON object (nil for an empty body).
func Object(t *testing.T, data []byte) map[string]any {
	t.Helper()
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m), string(data))
	return m
}
