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
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
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

// Env is one API server with the example configuration imported, and
// the OpenAPI router Request checks requests and answers with.
type Env struct {
	T      *testing.T
	Store  *store.Store
	URL    string
	router routers.Router
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
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI())
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()), "the OpenAPI document is valid OpenAPI 3")
	doc.Servers = openapi3.Servers{{URL: ts.URL}}
	router, err := legacy.NewRouter(doc)
	require.NoError(t, err)
	return &Env{T: t, Store: st, URL: ts.URL, router: router}
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

// Req is a request Request sends.
type Req struct {
	Method, Path string
	Header       map[string]string
	Body         string
	// BadRequest: the request is deliberately outside the OpenAPI
	// document (wrong types, unknown fields); only the answer is checked.
	BadRequest bool
}

// Reply is an answer, read whole.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the answer as an object.
func (r Reply) JSON(t *testing.T) map[string]any {
	t.Helper()
	return Object(t, r.Body)
}

// Request sends r and checks the request and the answer against the
// OpenAPI document.
func (e *Env) Request(r Req) Reply {
	t := e.T
	t.Helper()
	hreq, err := http.NewRequest(r.Method, e.URL+r.Path, strings.NewReader(r.Body))
	require.NoError(t, err)
	if r.Body != "" {
		hreq.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.Header {
		hreq.Header.Set(k, v)
	}
	route, params, rerr := e.router.FindRoute(hreq)
	var in *openapi3filter.RequestValidationInput
	if rerr == nil {
		in = &openapi3filter.RequestValidationInput{Request: hreq, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if !r.BadRequest {
			require.NoError(t, openapi3filter.ValidateRequest(context.Background(), in), "request %s %s outside the OpenAPI document", r.Method, r.Path)
			hreq.Body = io.NopCloser(strings.NewReader(r.Body)) // the validator read it
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(hreq.WithContext(ctx))
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := Reply{Status: resp.StatusCode, Header: resp.Header, Body: data}
	if in != nil {
		rin := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode,
			Header: resp.Header, Body: io.NopCloser(bytes.NewReader(data)),
			Options: &openapi3filter.Options{IncludeResponseStatus: true}}
		require.NoError(t, openapi3filter.ValidateResponse(context.Background(), rin),
			"response to %s %s (%d) outside the OpenAPI document: %s", r.Method, r.Path, resp.StatusCode, data)
	}
	return out
}
