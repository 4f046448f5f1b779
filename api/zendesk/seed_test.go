package zendesk_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/api/apitest"
)

// seedActions are the only actions the seed's enum has.
var seedActions = []any{"group", "voicemail", "phone_number", "textback", "menu"}

// The seed's own request bodies (Create, Update, Show, List, Delete IVR
// Route), replayed in order against one menu, with what a Zendesk client
// relies on: the answer shapes, a route id that survives every edit,
// tags, overflow, and the deleted route in DELETE's answer.
func TestZendeskSeedExamples(t *testing.T) {
	apitest.Backends(t, func(t *testing.T, e *apitest.Env) {
		for _, c := range []struct{ method, path, body string }{
			{"PUT", "/api/v1/trunks/pstn", `{"uri":"sip:gw.example.net"}`},
			{"POST", "/api/v1/groups", `{"id": "10001", "name": "Support Group", "members": ["sip:desk@pbx.example.net"]}`},
			{"POST", "/api/v1/ivrs", `{"id": "billing", "name": "Billing", "greeting": "welcome", "prompt": "main-choices", "keys": {"0": "back"}}`},
			{"POST", "/api/v1/ivrs", `{"id": "zd", "name": "Zendesk line", "extensions": ["7000"], "prompt": "main-choices",
				"keys": {"8": {"ivr": "billing"}, "9": {"play": "goodbye", "then": "hangup"}}}`},
		} {
			code, m := e.Native(c.method, c.path, c.body)
			require.Equal(t, 201, code, m)
		}
		ivrID, menuID := zdIDs(t, e, "Zendesk line")
		routes := fmt.Sprintf("%s/%d/menus/%d/routes", zdBase, ivrID, menuID)

		// Create IVR Route: the seed's example body, and its answer.
		code, m := zd(e, "POST", routes+".json", writeToken, `{  "ivr_route": {    "action": "group",    "keypress": "1",    "options": {      "group_ids": [        10001      ]    }  }}`)
		require.Equal(t, 201, code, m)
		created := m["ivr_route"].(map[string]any)
		id := created["id"].(float64)
		require.Equal(t, map[string]any{"action": "group", "greeting": nil, "id": id, "keypress": "1", "option_text": "Support Group",
			"options": map[string]any{"group_ids": []any{10001.0}}, "overflow_options": []any{}}, created)
		route := fmt.Sprintf("%s/%d", routes, int64(id))

		// Update IVR Route: the seed's example body; the id stays.
		code, m = zd(e, "PUT", route+".json", writeToken, `{  "ivr_route": {    "action": "group",    "keypress": "1",    "options": {      "group_ids": [        10001      ]    }  }}`)
		require.Equal(t, 200, code, m)
		require.Equal(t, created, m["ivr_route"])

		// A new keypress keeps the id (a client holding it keeps the route).
		code, m = zd(e, "PUT", route+".json", writeToken, `{"ivr_route": {"keypress": "2"}}`)
		require.Equal(t, 200, code, m)
		require.Equal(t, id, m["ivr_route"].(map[string]any)["id"])
		require.Equal(t, "2", m["ivr_route"].(map[string]any)["keypress"])
		require.Contains(t, keysOf(e, "zd"), "2")
		require.NotContains(t, keysOf(e, "zd"), "1")

		// Tags are kept; overflow_options send the call to the group's
		// voicemail, then a number, when the group does not answer.
		code, m = zd(e, "PUT", route+".json", writeToken, `{"ivr_route": {"action": "group", "options": {"group_ids": [10001], "tags": ["billing", "vip"]},
			"overflow_options": [{"action": "voicemail", "options": {"group_ids": [10001]}}]}}`)
		require.Equal(t, 200, code, m)
		updated := m["ivr_route"].(map[string]any)
		require.Equal(t, map[string]any{"group_ids": []any{10001.0}, "tags": []any{"billing", "vip"}}, updated["options"])
		require.Equal(t, []any{map[string]any{"action": "voicemail", "options": map[string]any{"group_ids": []any{10001.0}}}}, updated["overflow_options"])
		require.Equal(t, map[string]any{"group": "10001", "overflow": map[string]any{"voicemail": "10001"}}, keysOf(e, "zd")["2"],
			"the overflow is ivrd's overflow of the group")
		code, m = zd(e, "PUT", route+".json", writeToken, `{"ivr_route": {"action": "group", "options": {"group_ids": [10001]},
			"overflow_options": [{"action": "phone_number", "options": {"phone_number": "+15550100"}}]}}`)
		require.Equal(t, 200, code, m)
		require.Equal(t, map[string]any{"group": "10001", "overflow": map[string]any{"external": "+15550100", "trunk": "pstn"}}, keysOf(e, "zd")["2"])
		require.Equal(t, []any{"billing", "vip"}, m["ivr_route"].(map[string]any)["options"].(map[string]any)["tags"], "tags left out are kept")

		// A Show result sent back as an update changes nothing.
		code, shown := zd(e, "GET", route+".json", readToken, "")
		require.Equal(t, 200, code, shown)
		code, m = zd(e, "PUT", route+".json", writeToken, mustJSON(t, shown))
		require.Equal(t, 200, code, m)
		require.Equal(t, shown, m)

		// A native edit of the menu does not move the id.
		code, _ = e.Native("PATCH", "/api/v1/ivrs/zd", `{"prompt": "welcome"}`)
		require.Equal(t, 200, code)
		code, m = zd(e, "GET", route+".json", readToken, "")
		require.Equal(t, 200, code, m)
		require.Equal(t, shown, m)

		// List IVR Routes: the seed's shape; only the seed's actions, an
		// ivrd-only destination under ivrd_destination; a menu route
		// names the submenu's greeting.
		code, m = zd(e, "GET", routes+".json", readToken, "")
		require.Equal(t, 200, code, m)
		require.EqualValues(t, 3, m["count"])
		require.Nil(t, m["next_page"])
		require.Nil(t, m["previous_page"])
		for _, r := range m["ivr_routes"].([]any) {
			rt := r.(map[string]any)
			switch rt["keypress"] {
			case "8":
				require.Equal(t, "menu", rt["action"])
				require.Equal(t, "welcome", rt["greeting"], "the submenu's greeting")
				require.Equal(t, "Billing", rt["option_text"])
			case "9":
				require.Nil(t, rt["action"], "no seed action plays a prompt")
				require.Equal(t, map[string]any{"play": "goodbye", "then": "hangup"}, rt["ivrd_destination"])
			}
			require.True(t, rt["action"] == nil || slices.Contains(seedActions, rt["action"]), rt)
		}

		// Delete IVR Route: 200 with the deleted route.
		code, m = zd(e, "DELETE", route+".json", writeToken, "")
		require.Equal(t, 200, code, m)
		require.Equal(t, shown, m)
		require.NotContains(t, keysOf(e, "zd"), "2")
		code, _ = zd(e, "GET", route+".json", readToken, "")
		require.Equal(t, 404, code)

		// A new route gets a new id, never the deleted one's.
		code, m = zd(e, "POST", routes, writeToken, `{"ivr_route": {"action": "group", "keypress": "1", "options": {"group_ids": [10001]}}}`)
		require.Equal(t, 201, code, m)
		require.NotEqual(t, id, m["ivr_route"].(map[string]any)["id"])

		for _, bad := range []struct{ body, want string }{
			{`{"ivr_route": {"action": "phone_number", "keypress": "3", "options": {"phone_number": "+15550100"}, "overflow_options": [{"action": "voicemail", "options": {"group_ids": [10001]}}]}}`, "only a group route overflows"},
			{`{"ivr_route": {"action": "group", "keypress": "3", "options": {"group_ids": [10001]}, "overflow_options": [{"action": "menu", "options": {}}]}}`, "want voicemail, phone_number or group"},
			{`{"ivr_route": {"action": "group", "keypress": "3", "options": {"group_ids": [10001], "tags": ["two words"]}}}`, "without spaces"},
		} {
			code, m = zdBad(e, "POST", routes, writeToken, bad.body) // the first is within the OpenAPI document, the others not
			require.Equal(t, 422, code, bad.body)
			require.Contains(t, m["description"], bad.want)
		}
	})
}

// zdIDs finds an IVR's Zendesk id and its default menu's, by name.
func zdIDs(t *testing.T, e *apitest.Env, name string) (ivr, menu int64) {
	code, m := zd(e, "GET", zdBase, readToken, "")
	require.Equal(t, 200, code, m)
	for _, iv := range m["ivrs"].([]any) {
		ivm := iv.(map[string]any)
		if ivm["name"] == name {
			return int64(ivm["id"].(float64)), int64(ivm["menus"].([]any)[0].(map[string]any)["id"].(float64))
		}
	}
	t.Fatalf("no IVR %q in %v", name, m)
	return 0, 0
}
