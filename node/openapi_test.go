package node

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/api"
)

func init() {
	openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", openapi3filter.PlainBodyDecoder)
}

// checkedGet sends GET path to the running service and checks request
// and response against the OpenAPI document (kin-openapi), as the api
// package's tests do for its own routes: here for what serve adds beside
// them, with real calls behind.
func checkedGet(t *testing.T, svc *Node, path, token string) (int, []byte) {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI())
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()))
	base := "http://" + svc.ctl.ln.Addr().String()
	doc.Servers = openapi3.Servers{{URL: base}}
	router, err := legacy.NewRouter(doc)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", base+path, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	route, params, err := router.FindRoute(req)
	require.NoError(t, err, "%s is in the OpenAPI document", path)
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	require.NoError(t, openapi3filter.ValidateRequest(ctx, in))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{RequestValidationInput: in,
		Status: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}), "response to GET %s (%d): %s", path, resp.StatusCode, body)
	return resp.StatusCode, body
}

func TestServeRoutesMatchTheOpenAPIDocument(t *testing.T) {
	t.Parallel()
	svc := startConfig(t, writeConfig(t, drainConfig, "SIP_PORT", "0", "DRAIN", "30s"))
	tok := firstToken(t, svc)
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	answered, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return svc.obs.live.Len() == 1 }, 5*time.Second, 10*time.Millisecond)

	code, _ := checkedGet(t, svc, "/api/v1/calls", tok)
	require.Equal(t, http.StatusOK, code)
	code, _ = checkedGet(t, svc, "/api/v1/calls/history", tok)
	require.Equal(t, http.StatusOK, code, "a started row is a valid record")
	code, _ = checkedGet(t, svc, "/healthz", "")
	require.Equal(t, http.StatusOK, code)
	code, _ = checkedGet(t, svc, "/readyz", "")
	require.Equal(t, http.StatusOK, code)
	code, _ = checkedGet(t, svc, "/metrics", "")
	require.Equal(t, http.StatusOK, code)

	// The BYE gets its own bound: the checks above take what they take
	// (the document's validation is slow under -race on a loaded machine).
	byeCtx, byeCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer byeCancel()
	require.NoError(t, answered.Dialog.Bye(byeCtx))
	require.Eventually(t, func() bool { return svc.obs.live.Len() == 0 }, 5*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool {
		rows, _, err := svc.ctl.st.CallHistory(byeCtx, storeFilterEnded())
		require.NoError(t, err)
		return len(rows) == 1
	}, 5*time.Second, 10*time.Millisecond)
	code, _ = checkedGet(t, svc, "/api/v1/calls/history?format=jsonl", tok)
	require.Equal(t, http.StatusOK, code)
	code, _ = checkedGet(t, svc, "/api/v1/calls/history/"+answered.Dialog.InviteRequest.CallID().Value(), tok)
	require.Equal(t, http.StatusOK, code, "an ended record is a valid record")
	code, _ = checkedGet(t, svc, "/api/v1/ivrs/main/stats", tok)
	require.Equal(t, http.StatusOK, code)
	svc.sip.Drain()
	code, _ = checkedGet(t, svc, "/readyz", "")
	require.Equal(t, http.StatusServiceUnavailable, code)
}
