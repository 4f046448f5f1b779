package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// `ivrd trunks` prints what the API answers and exits 1 when a
// registration has failed.
func TestTrunksCommand(t *testing.T) {
	body := `{"node":"a","trunks":[
 {"trunk":"provider","registrar":"sip:sip.example.net","contact":"sip:acme@192.0.2.1:5060","status":"registered","last_code":200,"failures":0},
 {"trunk":"backup","registrar":"sip:b.example.net","status":"failed","last_code":403,"last_error":"registrar answered 403 Forbidden","failures":2}]}`
	var gotAuth string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		require.Equal(t, "/api/v1/trunks/status", r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(ts.Close)
	var out, errOut bytes.Buffer
	code := run([]string{"trunks", "--api", ts.URL, "--token", "tok-0123456789"}, &out, &errOut)
	assert.Equal(t, 1, code, errOut.String())
	assert.Equal(t, "Bearer tok-0123456789", gotAuth)
	assert.Contains(t, out.String(), "provider")
	assert.Contains(t, out.String(), "registered")
	assert.Contains(t, out.String(), "registrar answered 403 Forbidden")

	body = `{"node":"a","trunks":[]}`
	out.Reset()
	code = run([]string{"trunks", "--api", ts.URL, "--token", "tok-0123456789"}, &out, &errOut)
	assert.Equal(t, 0, code)
	assert.Contains(t, out.String(), "no trunk registers")
}
