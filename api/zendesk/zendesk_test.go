package zendesk_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/api/apitest"
	"github.com/ivrd/ivrd/api/zendesk"
)

const (
	zdBase     = zendesk.Base
	writeToken = apitest.WriteToken
	readToken  = apitest.ReadToken
)

// zd calls the Zendesk routes with basic auth {email}/token:{token}, as
// the seed's code samples do; the request and the answer are checked
// against the OpenAPI document.
func zd(e *apitest.Env, method, path, token, body string) (int, map[string]any) {
	e.T.Helper()
	return zdReq(e, apitest.Req{Method: method, Path: path, Body: body}, token)
}

// zdBad sends a body the OpenAPI document itself refuses (the server
// must refuse it too).
func zdBad(e *apitest.Env, method, path, token, body string) (int, map[string]any) {
	e.T.Helper()
	return zdReq(e, apitest.Req{Method: method, Path: path, Body: body, BadRequest: true}, token)
}

func zdReq(e *apitest.Env, r apitest.Req, token string) (int, map[string]any) {
	e.T.Helper()
	basic := base64.StdEncoding.EncodeToString([]byte("agent@example.com/token:" + token))
	r.Header = map[string]string{"Authorization": "Basic " + basic}
	reply := e.Request(r)
	return reply.Status, apitest.Object(e.T, reply.Body)
}

// keysOf is the native view of an IVR's keys.
func keysOf(e *apitest.Env, ivr string) map[string]any {
	e.T.Helper()
	code, m := e.Native("GET", "/api/v1/ivrs/"+ivr, "")
	require.Equal(e.T, 200, code, m)
	k, _ := m["keys"].(map[string]any)
	return k
}

func TestZendeskRoutes(t *testing.T) {
	t.Parallel()
	apitest.Backends(t, func(t *testing.T, e *apitest.Env) {
		code, m := e.Native("PUT", "/api/v1/trunks/pstn", `{"uri":"sip:gw.example.net"}`)
		require.Equal(t, 201, code, m)

		// Find the ids the routes API needs, as a Zendesk client does.
		code, m = zd(e, "GET", zdBase+".json", writeToken, "")
		require.Equal(t, 200, code, m)
		var ivrID, mainMenu, supportMenu float64
		for _, iv := range m["ivrs"].([]any) {
			ivm := iv.(map[string]any)
			if ivm["name"] != "Example main menu" {
				continue
			}
			ivrID = ivm["id"].(float64)
			for _, mn := range ivm["menus"].([]any) {
				mm := mn.(map[string]any)
				if mm["default"] == true {
					mainMenu = mm["id"].(float64)
				} else if mm["name"] == "Support" {
					supportMenu = mm["id"].(float64)
				}
			}
		}
		require.NotZero(t, ivrID)
		require.NotZero(t, mainMenu)
		require.NotZero(t, supportMenu, "the submenu a key leads to is one of the IVR's menus")
		routes := fmt.Sprintf("%s/%d/menus/%d/routes", zdBase, int64(ivrID), int64(mainMenu))

		code, m = zd(e, "GET", routes+".json", readToken, "")
		require.Equal(t, 200, code, m)
		require.EqualValues(t, 4, m["count"])
		require.Nil(t, m["next_page"])

		// Create: a phone number goes out through the trunk; a menu key.
		code, m = zd(e, "POST", routes+".json", writeToken, `{"ivr_route": {"keypress": "3", "action": "phone_number", "options": {"phone_number": "+15551234567"}}}`)
		require.Equal(t, 201, code, m)
		rt := m["ivr_route"].(map[string]any)
		require.Equal(t, "phone_number", rt["action"])
		native := keysOf(e, "main")["3"]
		require.Equal(t, map[string]any{"external": "+15551234567", "trunk": "pstn"}, native, "visible through the native API")
		code, m = zd(e, "POST", routes, writeToken, fmt.Sprintf(`{"ivr_route": {"keypress": "4", "action": "menu", "options": {"menu_id": %d}}}`, int64(supportMenu)))
		require.Equal(t, 201, code, m)
		require.Equal(t, "Support", m["ivr_route"].(map[string]any)["option_text"])

		// Update and show the route by its id.
		route := fmt.Sprintf("%s/%d.json", routes, int64(rt["id"].(float64)))
		code, m = zd(e, "PUT", route, writeToken, `{"ivr_route": {"action": "phone_number", "options": {"phone_number": "15550000000"}}}`)
		require.Equal(t, 200, code, m)
		code, m = zd(e, "GET", route, readToken, "")
		require.Equal(t, 200, code, m)
		require.Equal(t, map[string]any{"phone_number": "15550000000"}, m["ivr_route"].(map[string]any)["options"])

		// Pagination: count, a full next_page URL, then null.
		code, m = zd(e, "GET", routes+".json?per_page=4", readToken, "")
		require.Equal(t, 200, code, m)
		require.EqualValues(t, 6, m["count"])
		require.Len(t, m["ivr_routes"], 4)
		next := m["next_page"].(string)
		require.True(t, strings.HasPrefix(next, e.URL+routes+".json?"), next)
		code, m = zd(e, "GET", strings.TrimPrefix(next, e.URL), readToken, "")
		require.Equal(t, 200, code, m)
		require.Len(t, m["ivr_routes"], 2)
		require.Nil(t, m["next_page"])
		require.NotNil(t, m["previous_page"])

		// The seed's own example (a group): 422 until the ring group
		// 10001 exists, then a route to it.
		code, m = zd(e, "POST", routes+".json", writeToken, `{"ivr_route": {"action": "group", "keypress": "6", "options": {"group_ids": [10001]}}}`)
		require.Equal(t, 422, code)
		require.Equal(t, "RecordInvalid", m["error"])
		require.Contains(t, m["description"], "10001: no such group")
		code, m = e.Native("POST", "/api/v1/groups", `{"id": "10001", "name": "Support Group", "members": ["sip:desk@pbx.example.net"]}`)
		require.Equal(t, 201, code, m)
		code, m = e.Native("POST", "/api/v1/groups", `{"id": "sales", "members": ["sip:sales@pbx.example.net"], "strategy": "rotate"}`)
		require.Equal(t, 201, code, m)
		code, m = zd(e, "POST", routes+".json", writeToken, fmt.Sprintf(`{"ivr_route": {"action": "group", "keypress": "6", "options": {"group_ids": [10001, %d]}}}`, zendesk.GroupID("sales")))
		require.Equal(t, 201, code, m)
		grt := m["ivr_route"].(map[string]any)
		require.Equal(t, "group", grt["action"])
		require.Equal(t, "Support Group", grt["option_text"])
		require.Equal(t, []any{10001.0, float64(zendesk.GroupID("sales"))}, grt["options"].(map[string]any)["group_ids"])
		require.Equal(t, map[string]any{"group": "10001", "overflow": map[string]any{"group": "sales"}},
			keysOf(e, "main")["6"], "the second group is the first's overflow")
		code, m = zd(e, "DELETE", fmt.Sprintf("%s/%d.json", routes, int64(grt["id"].(float64))), writeToken, "")
		require.Equal(t, 200, code)
		require.Equal(t, grt, m["ivr_route"], "DELETE answers the deleted route, as the seed shows")
		// Zendesk's group voicemail: a message in the group's box.
		code, m = zd(e, "POST", routes+".json", writeToken, `{"ivr_route": {"action": "voicemail", "keypress": "6", "options": {"group_ids": [10001]}}}`)
		require.Equal(t, 201, code, m)
		require.Equal(t, map[string]any{"group_ids": []any{10001.0}}, m["ivr_route"].(map[string]any)["options"])
		require.Equal(t, map[string]any{"voicemail": "10001"}, keysOf(e, "main")["6"])
		code, _ = zd(e, "DELETE", fmt.Sprintf("%s/%d.json", routes, int64(m["ivr_route"].(map[string]any)["id"].(float64))), writeToken, "")
		require.Equal(t, 200, code)
		// Zendesk's textback: stored as a webhook carrying the text, the
		// number id and the caller; shown back as textback, with a note
		// that ivrd sends a webhook, not an SMS.
		code, m = zd(e, "POST", routes+".json", writeToken,
			`{"ivr_route": {"action": "textback", "keypress": "6", "options": {"sms_text": "Book online: https://example.com", "textback_phone_number_id": 360000123}}}`)
		require.Equal(t, 201, code, m)
		tb := m["ivr_route"].(map[string]any)
		require.Equal(t, "textback", tb["action"])
		require.Equal(t, map[string]any{"sms_text": "Book online: https://example.com", "textback_phone_number_id": 360000123.0}, tb["options"])
		require.Contains(t, tb["ivrd_note"], "ivrd sends no SMS")
		require.Equal(t, map[string]any{"webhook": "", "event": "zendesk.textback", "data": map[string]any{
			"sms_message": "Book online: https://example.com", "phone_number_id": "360000123", "caller": "${caller}"}},
			keysOf(e, "main")["6"])
		tbRoute := fmt.Sprintf("%s/%d.json", routes, int64(tb["id"].(float64)))
		code, m = zd(e, "GET", tbRoute, readToken, "")
		require.Equal(t, 200, code, m)
		require.Equal(t, tb, m["ivr_route"], "GET shows what POST answered")
		code, _ = zd(e, "DELETE", tbRoute, writeToken, "")
		require.Equal(t, 200, code)
		for _, c := range []struct {
			body, want string
		}{
			{fmt.Sprintf(`{"ivr_route": {"keypress": "1", "action": "menu", "options": {"menu_id": %d}}}`, int64(supportMenu)), "already has a route"},
			{fmt.Sprintf(`{"ivr_route": {"keypress": "x", "action": "menu", "options": {"menu_id": %d}}}`, int64(supportMenu)), "keypress"},
			{`{"ivr_route": {"keypress": "5", "action": "menu", "options": {"menu_id": 12345}}}`, "no such menu"},
			{`{"ivr_route": {"keypress": "5", "action": "phone_number", "options": {"phone_number": "call me"}}}`, "want a phone number"},
			{`{"ivr_route": {"keypress": "5", "action": "textback", "options": {}}}`, "needs options.sms_text"},
			{`{"ivr_route": {"keypress": "5", "action": "textback", "options": {"sms_text": "hi", "textback_phone_number_id": -3}}}`, "want a positive integer"},
		} {
			code, m = zd(e, "POST", routes, writeToken, c.body)
			require.Equal(t, 422, code, c.body)
			require.Contains(t, m["description"], c.want, c.body)
		}
		code, _ = zdBad(e, "POST", routes, writeToken, `{"route": {}}`)
		require.Equal(t, 400, code)
		code, _ = zd(e, "POST", routes, readToken, `{"ivr_route": {"keypress": "5", "action": "menu", "options": {"menu_id": 1}}}`)
		require.Equal(t, 403, code)
		code, m = zd(e, "GET", routes, "bad-token", "")
		require.Equal(t, 401, code)
		require.Equal(t, "Couldn't authenticate you", m["description"])
		code, _ = zd(e, "GET", fmt.Sprintf("%s/%d/menus/%d/routes", zdBase, 99, int64(mainMenu)), readToken, "")
		require.Equal(t, 404, code)

		// Delete: 204, and the key is gone from the native view.
		code, _ = zd(e, "DELETE", route, writeToken, "")
		require.Equal(t, 200, code)
		require.NotContains(t, keysOf(e, "main"), "3")
		code, _ = zd(e, "GET", route, readToken, "")
		require.Equal(t, 404, code)
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return string(data)
}
