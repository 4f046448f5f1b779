package api

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

	"github.com/ivrd/ivrd/examples"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/store"
	"github.com/ivrd/ivrd/store/storetest"
)

const (
	writeToken = "write-token-0123456789"
	readToken  = "read-token-0123456789"
)

// env is one API server over real HTTP on 127.0.0.1 with its own store,
// and the OpenAPI router every request and response is checked with.
type env struct {
	t      *testing.T
	st     *store.Store
	srv    *Server
	ts     *httptest.Server
	router routers.Router
}

// backends runs f against SQLite and PostgreSQL (skipped when no server).
func backends(t *testing.T, f func(t *testing.T, e *env)) {
	t.Run("sqlite", func(t *testing.T) { f(t, newEnv(t, "sqlite://"+filepath.Join(t.TempDir(), "ivrd.db"))) })
	t.Run("postgres", func(t *testing.T) { f(t, newEnv(t, storetest.Postgres(t))) })
}

func newEnv(t *testing.T, url string) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := store.Open(ctx, url, store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	_, err = st.Import(ctx, "file", examples.Main, "", prompts.Builtin().Names())
	require.NoError(t, err)
	srv := New(Config{Store: st, Tokens: []ivr.APIToken{
		{Name: "admin", Token: writeToken, Scope: "write"},
		{Name: "grafana", TokenSHA256: store.HashToken(readToken), Scope: "read"},
	}, FailLimit: 5, FailWindow: time.Minute})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI())
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()), "the OpenAPI document is valid OpenAPI 3")
	doc.Servers = openapi3.Servers{{URL: ts.URL}}
	router, err := legacy.NewRouter(doc)
	require.NoError(t, err)
	return &env{t: t, st: st, srv: srv, ts: ts, router: router}
}

func init() {
	openapi3filter.RegisterBodyDecoder("audio/wav", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("audio/L16", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/merge-patch+json", openapi3filter.JSONBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/yaml", openapi3filter.PlainBodyDecoder)
}

// reply is a response, read whole.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r reply) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), string(r.Body))
	return m
}

// ErrCode is the error body's code.
func (r reply) ErrCode(t *testing.T) string {
	t.Helper()
	e, _ := r.JSON(t)["error"].(map[string]any)
	require.NotNil(t, e, "an error body: %s", r.Body)
	return e["code"].(string)
}

type req struct {
	method, path, token, ctype string
	body                       []byte
	header                     map[string]string
	// badRequest: the request is deliberately outside the OpenAPI
	// document (wrong types, unknown fields); only the response is checked.
	badRequest bool
}

// do sends r and checks request and response against the OpenAPI document.
func (e *env) do(r req) reply {
	t := e.t
	t.Helper()
	if r.token == "" {
		r.token = writeToken
	}
	if r.token == "-" {
		r.token = ""
	}
	if r.ctype == "" && r.body != nil {
		r.ctype = "application/json"
	}
	hreq, err := http.NewRequest(r.method, e.ts.URL+r.path, bytes.NewReader(r.body))
	require.NoError(t, err)
	if r.token != "" {
		hreq.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.ctype != "" {
		hreq.Header.Set("Content-Type", r.ctype)
	}
	for k, v := range r.header {
		hreq.Header.Set(k, v)
	}
	route, params, rerr := e.router.FindRoute(hreq)
	var in *openapi3filter.RequestValidationInput
	if rerr == nil {
		in = &openapi3filter.RequestValidationInput{Request: hreq, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if !r.badRequest {
			require.NoError(t, openapi3filter.ValidateRequest(context.Background(), in), "request %s %s outside the OpenAPI document", r.method, r.path)
			// The validator read the body, and may have written its
			// defaults into it (with a new length): send what the test wrote.
			hreq.Body = io.NopCloser(bytes.NewReader(r.body))
			hreq.ContentLength = int64(len(r.body))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(hreq.WithContext(ctx))
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := reply{Status: resp.StatusCode, Header: resp.Header, Body: data}
	if in != nil {
		rin := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode,
			Header: resp.Header, Body: io.NopCloser(bytes.NewReader(data)),
			Options: &openapi3filter.Options{IncludeResponseStatus: true}}
		require.NoError(t, openapi3filter.ValidateResponse(context.Background(), rin),
			"response to %s %s (%d) outside the OpenAPI document: %s", r.method, r.path, resp.StatusCode, data)
	} else {
		require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"), "an error body is JSON")
	}
	return out
}

func (e *env) get(path string) reply { return e.do(req{method: "GET", path: path}) }

func (e *env) send(method, path, body string) reply {
	return e.do(req{method: method, path: path, body: []byte(body)})
}
