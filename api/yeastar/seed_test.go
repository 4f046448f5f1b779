package yeastar_test

import (
	"encoding/json"
	"html"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/api/apitest"
	"github.com/ivrd/ivrd/api/yeastar"
)

// The seed's samples, as the seed writes them (HTML-escaped quotes).
const (
	seedQuery    = `{&quot;ivrid&quot;: &quot;6500&quot;}`
	seedQueryAll = `{&quot;ivrid&quot;: &quot;6500,6501,6502&quot;}`
	seedUpdate   = `{&quot;ivrid&quot;: &quot;6500&quot;,&quot;ivrnumber&quot;:&quot;6501&quot;}`
	seedAnswer   = `{&quot;status&quot;:&quot;Success&quot;,&quot;ivr&quot;:[{&quot;ivrnumber&quot;:&quot;6500&quot;,&quot;ivrname&quot;:&quot;6500&quot;,&quot;prompt&quot;:&quot;[Default]&quot;,&quot;promptrepeat&quot;:&quot;3&quot;,&quot;responsetimeout&quot;:&quot;3&quot;,&quot;digittimeout&quot;:&quot;3&quot;,&quot;dialext&quot;:&quot;on&quot;,&quot;dialoutboundroutes&quot;:&quot;off&quot;,&quot;dialtocheckvoicemail&quot;:&quot;off&quot;}]}`
)

// The seed's request samples replayed on IVRs set up as the seed's
// answer describes them: the query answers in the seed's shape, several
// numbers in ivrid answer each, an answer sent back as an update is
// taken, and the update sample renumbers the IVR.
func TestYeastarSeedExamples(t *testing.T) {
	apitest.Backends(t, func(t *testing.T, e *apitest.Env) {
		// 6500 as the seed's answer shows it (ivrd plays a prompt where
		// Yeastar says [Default]); 6502 a second number of another IVR.
		for _, body := range []string{
			`{"id":"y6500","name":"6500","extensions":["6500"],"prompt":"main-choices","response_timeout":"3s","direct_dial":true,"keys":{"1":"hangup"}}`,
			`{"id":"y6502","name":"Sales","extensions":["6509","6502"],"keys":{"1":"hangup"}}`,
		} {
			code, m := e.Native("POST", "/api/v1/ivrs", body)
			require.Equal(t, 201, code, m)
		}

		m := ys(e, yeastar.QueryPath, readToken, html.UnescapeString(seedQuery))
		var want map[string]any
		require.NoError(t, json.Unmarshal([]byte(html.UnescapeString(seedAnswer)), &want))
		wantIVR := want["ivr"].([]any)[0].(map[string]any)
		wantIVR["prompt"] = "main-choices"
		require.Equal(t, want, m, "the seed's answer, with the prompt ivrd plays")

		// "6500,6501,6502": each number that reaches an IVR; 6501 none.
		m = ys(e, yeastar.QueryPath, readToken, html.UnescapeString(seedQueryAll))
		got := m["ivr"].([]any)
		require.Len(t, got, 2)
		require.Equal(t, "6500", got[0].(map[string]any)["ivrnumber"])
		require.Equal(t, "6502", got[1].(map[string]any)["ivrnumber"], "a second number of an IVR is found too")
		require.Equal(t, "", got[1].(map[string]any)["prompt"], "no [Default] where ivrd plays no prompt")

		// A query result sent back as an update is taken as it is.
		back, err := json.Marshal(wantIVR)
		require.NoError(t, err)
		m = ys(e, yeastar.UpdatePath, writeToken, string(back))
		require.Equal(t, "Success", m["status"], m)

		// The seed's update sample.
		m = ys(e, yeastar.UpdatePath, writeToken, html.UnescapeString(seedUpdate))
		require.Equal(t, "Success", m["status"], m)
		require.Equal(t, []any{"6501"}, native(e, "y6500")["extensions"])
		m = ys(e, yeastar.QueryPath, readToken, `{"ivrid": "6500"}`)
		require.Equal(t, map[string]any{"status": "Failed", "errno": string(yeastar.ErrNoIVR), "ivrd_message": "no IVR has number 6500"}, m,
			"Yeastar's error shape: HTTP 200, status Failed, errno a string")
	})
}
