package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// yeastar posts to the Yeastar routes with ?token=, as the seed's users do.
func (e *env) yeastar(route, token, body string) (int, map[string]any) {
	t := e.t
	t.Helper()
	client := &http.Client{Timeout: 15 * time.Second}
	resp, err := client.Post(e.ts.URL+route+"?token="+token, "application/json", bytes.NewReader([]byte(body)))
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m), string(data))
	return resp.StatusCode, m
}

func TestYeastarQueryAndUpdate(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e *env) {
		r := e.send("POST", "/api/v1/ivrs", `{"id":"y6500","name":"6500","extensions":["6500"],"prompt":"main-choices","keys":{"1":"hangup"}}`)
		require.Equal(t, 201, r.Status, string(r.Body))

		// The seed's request sample.
		code, m := e.yeastar(yeastarQuery, readToken, `{"ivrid": "6500"}`)
		require.Equal(t, 200, code)
		require.Equal(t, "Success", m["status"], m)
		ivrs := m["ivr"].([]any)
		require.Len(t, ivrs, 1)
		require.Equal(t, map[string]any{"ivrnumber": "6500", "ivrname": "6500", "prompt": "main-choices",
			"promptrepeat": "3", "responsetimeout": "5", "digittimeout": "3", "dialext": "off",
			"dialoutboundroutes": "off", "dialtocheckvoicemail": "off"}, ivrs[0])
		// No parameter: every IVR a number reaches (the example's main and
		// support too).
		_, m = e.yeastar(yeastarQuery, readToken, ``)
		require.Len(t, m["ivr"], 3)

		// The seed's update sample, then the timeouts the Yeastar way.
		_, m = e.yeastar(yeastarUpdate, writeToken, `{"ivrid": "6500","ivrnumber":"6501"}`)
		require.Equal(t, "Success", m["status"], m)
		_, m = e.yeastar(yeastarUpdate, writeToken, `{"ivrid":"6501","responsetimeout":8,"digittimeout":"4","promptrepeat":"2","dialext":"on"}`)
		require.Equal(t, "Success", m["status"], m)
		native := e.get("/api/v1/ivrs/y6500").JSON(t)
		require.Equal(t, []any{"6501"}, native["extensions"])
		require.Equal(t, "8s", native["response_timeout"])
		require.Equal(t, "4s", native["digit_timeout"])
		require.EqualValues(t, 2, native["prompt_repeat"])
		require.Equal(t, true, native["direct_dial"])

		// dialtocheckvoicemail: the * key checks voicemail (box, then PIN).
		_, m = e.yeastar(yeastarUpdate, writeToken, `{"ivrid":"6501","dialtocheckvoicemail":"on"}`)
		require.Equal(t, "Success", m["status"], m)
		require.Equal(t, map[string]any{"voicemail_check": "*"}, e.get("/api/v1/ivrs/y6500").JSON(t)["keys"].(map[string]any)["*"])
		_, m = e.yeastar(yeastarQuery, readToken, `{"ivrid": "6501"}`)
		require.Equal(t, "on", m["ivr"].([]any)[0].(map[string]any)["dialtocheckvoicemail"])
		_, m = e.yeastar(yeastarUpdate, writeToken, `{"ivrid":"6501","dialtocheckvoicemail":"off"}`)
		require.Equal(t, "Success", m["status"], m)
		require.NotContains(t, e.get("/api/v1/ivrs/y6500").JSON(t)["keys"], "*")

		// The seed's ranges, unknown IVRs, tokens.
		for _, c := range []struct {
			body string
			code float64
			want string
		}{
			{`{"ivrid":"6501","responsetimeout":"11"}`, yeastarBadParam, "want 1-10"},
			{`{"ivrid":"6501","promptrepeat":"0"}`, yeastarBadParam, "want 1-5"},
			{`{"ivrid":"6501","dialext":"yes"}`, yeastarBadParam, "on or off"},
			{`{"ivrid":"6501","colour":"red"}`, yeastarBadParam, "unknown parameter"},
			{`{"ivrid":"6501","ivrnumber":"100"}`, yeastarBadParam, `"100" already reaches`},
			{`{"ivrid":"6501","dialtocheckvoicemail":"maybe"}`, yeastarBadParam, "want on or off"},
			{`{"ivrid":"9999","ivrname":"x"}`, yeastarNotFound, "no IVR"},
			{`{"ivrid":["6501"]}`, yeastarBadParam, "want a string"},
			{`{"ivrid":`, yeastarBadParam, "malformed JSON"},
		} {
			code, m := e.yeastar(yeastarUpdate, writeToken, c.body)
			require.Equal(t, 200, code)
			require.Equal(t, "Failed", m["status"], c.body)
			require.Equal(t, c.code, m["errcode"], c.body)
			require.Contains(t, m["errmsg"], c.want, c.body)
		}
		_, m = e.yeastar(yeastarUpdate, readToken, `{"ivrid":"6501","ivrname":"x"}`)
		require.Equal(t, "Failed", m["status"])
		require.EqualValues(t, yeastarAuthCode, m["errcode"], "a read token cannot update")
		_, m = e.yeastar(yeastarQuery, "wrong", `{}`)
		require.EqualValues(t, yeastarAuthCode, m["errcode"])
		require.Equal(t, "6501", e.get("/api/v1/ivrs/y6500").JSON(t)["extensions"].([]any)[0], "failed updates changed nothing")
	})
}
