package yeastar_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/api/apitest"
	"github.com/ivrd/ivrd/api/yeastar"
)

const (
	writeToken = apitest.WriteToken
	readToken  = apitest.ReadToken
)

// ys posts to a Yeastar route with ?token=, as the seed's users do; the
// request and the answer are checked against the OpenAPI document.
func ys(e *apitest.Env, route, token, body string) map[string]any {
	e.T.Helper()
	return ysReq(e, apitest.Req{Method: "POST", Path: route, Body: body}, token)
}

// ysBad sends a body the OpenAPI document itself refuses (the server
// must refuse it too).
func ysBad(e *apitest.Env, route, token, body string) map[string]any {
	e.T.Helper()
	return ysReq(e, apitest.Req{Method: "POST", Path: route, Body: body, BadRequest: true}, token)
}

func ysReq(e *apitest.Env, r apitest.Req, token string) map[string]any {
	e.T.Helper()
	if token != "" {
		r.Path += "?token=" + token
	}
	reply := e.Request(r)
	require.Equal(e.T, 200, reply.Status, "Yeastar answers every request with HTTP 200: %s", reply.Body)
	return apitest.Object(e.T, reply.Body)
}

func native(e *apitest.Env, id string) map[string]any {
	e.T.Helper()
	code, m := e.Native("GET", "/api/v1/ivrs/"+id, "")
	require.Equal(e.T, 200, code, m)
	return m
}

func TestYeastarQueryAndUpdate(t *testing.T) {
	apitest.Backends(t, func(t *testing.T, e *apitest.Env) {
		code, m := e.Native("POST", "/api/v1/ivrs", `{"id":"y6500","name":"6500","extensions":["6500"],"prompt":"main-choices","keys":{"1":"hangup"}}`)
		require.Equal(t, 201, code, m)

		// The seed's request sample.
		m = ys(e, yeastar.QueryPath, readToken, `{"ivrid": "6500"}`)
		require.Equal(t, "Success", m["status"], m)
		ivrs := m["ivr"].([]any)
		require.Len(t, ivrs, 1)
		require.Equal(t, map[string]any{"ivrnumber": "6500", "ivrname": "6500", "prompt": "main-choices",
			"promptrepeat": "3", "responsetimeout": "5", "digittimeout": "3", "dialext": "off",
			"dialoutboundroutes": "off", "dialtocheckvoicemail": "off"}, ivrs[0])
		// No parameter: every IVR a number reaches (the example's main and
		// support too).
		m = ys(e, yeastar.QueryPath, readToken, ``)
		require.Len(t, m["ivr"], 3)

		// The seed's update sample, then the timeouts the Yeastar way.
		m = ys(e, yeastar.UpdatePath, writeToken, `{"ivrid": "6500","ivrnumber":"6501"}`)
		require.Equal(t, "Success", m["status"], m)
		m = ys(e, yeastar.UpdatePath, writeToken, `{"ivrid":"6501","responsetimeout":8,"digittimeout":"4","promptrepeat":"2","dialext":"on"}`)
		require.Equal(t, "Success", m["status"], m)
		n := native(e, "y6500")
		require.Equal(t, []any{"6501"}, n["extensions"])
		require.Equal(t, "8s", n["response_timeout"])
		require.Equal(t, "4s", n["digit_timeout"])
		require.EqualValues(t, 2, n["prompt_repeat"])
		require.Equal(t, true, n["direct_dial"])

		// dialtocheckvoicemail: the * key checks voicemail (box, then PIN).
		m = ys(e, yeastar.UpdatePath, writeToken, `{"ivrid":"6501","dialtocheckvoicemail":"on"}`)
		require.Equal(t, "Success", m["status"], m)
		require.Equal(t, map[string]any{"voicemail_check": "*"}, native(e, "y6500")["keys"].(map[string]any)["*"])
		m = ys(e, yeastar.QueryPath, readToken, `{"ivrid": "6501"}`)
		require.Equal(t, "on", m["ivr"].([]any)[0].(map[string]any)["dialtocheckvoicemail"])
		m = ys(e, yeastar.UpdatePath, writeToken, `{"ivrid":"6501","dialtocheckvoicemail":"off"}`)
		require.Equal(t, "Success", m["status"], m)
		require.NotContains(t, native(e, "y6500")["keys"], "*")

		// The seed's ranges, unknown IVRs, tokens: Yeastar's codes, as
		// strings.
		for _, c := range []struct {
			body  string
			errno yeastar.Errno
			want  string
		}{
			{`{"ivrid":"6501","responsetimeout":"11"}`, yeastar.ErrIVRConfig, "want 1-10"},
			{`{"ivrid":"6501","promptrepeat":"0"}`, yeastar.ErrIVRConfig, "want 1-5"},
			{`{"ivrid":"6501","dialext":"yes"}`, yeastar.ErrIVRConfig, "on or off"},
			{`{"ivrid":"6501","colour":"red"}`, yeastar.ErrUnsupported, "unknown parameter"},
			{`{"ivrid":"6501","ivrnumber":"100"}`, yeastar.ErrIVRConfig, `"100" already reaches`},
			{`{"ivrid":"6501","dialtocheckvoicemail":"maybe"}`, yeastar.ErrIVRConfig, "want on or off"},
			{`{"ivrid":"9999","ivrname":"x"}`, yeastar.ErrNoIVR, "no IVR"},
			{`{"ivrname":"x"}`, yeastar.ErrBlank, "ivrid is required"},
			{`{"ivrid":["6501"]}`, yeastar.ErrIVRConfig, "want a string"},
			{`{"ivrid":`, yeastar.ErrNotJSON, "malformed JSON"},
			{`{"ivrid":"6501","prompt":"other"}`, yeastar.ErrIVRConfig, "read-only"},
		} {
			m = ysBad(e, yeastar.UpdatePath, writeToken, c.body) // some are outside the OpenAPI document
			require.Equal(t, "Failed", m["status"], c.body)
			require.Equal(t, string(c.errno), m["errno"], "errno is a string: %s", c.body)
			require.Contains(t, m["ivrd_message"], c.want, c.body)
		}
		m = ys(e, yeastar.UpdatePath, readToken, `{"ivrid":"6501","ivrname":"x"}`)
		require.Equal(t, "Failed", m["status"])
		require.Equal(t, string(yeastar.ErrUnsupported), m["errno"], "a read token cannot update")
		m = ys(e, yeastar.QueryPath, "wrong", `{}`)
		require.Equal(t, string(yeastar.ErrNoSuchToken), m["errno"])
		m = ys(e, yeastar.QueryPath, "", `{}`)
		require.Equal(t, string(yeastar.ErrTokenBlank), m["errno"])
		require.Equal(t, "6501", native(e, "y6500")["extensions"].([]any)[0], "failed updates changed nothing")
	})
}
