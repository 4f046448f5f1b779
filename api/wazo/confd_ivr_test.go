package wazo_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/api/wazo"
)

// simulateKeys calls number, presses keys and returns the prompts played.
func (e env) simulateKeys(number, input string) []string {
	t := e.T
	r := e.send("POST", "/api/v1/simulate", fmt.Sprintf(`{"to":%q,"input":%q}`, number, input))
	require.Equal(t, 200, r.Status, string(r.Body))
	var out []string
	for _, ev := range r.JSON(t)["events"].([]any) {
		if p, _ := ev.(map[string]any)["prompt"].(string); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// confd's IVR resource: created, reached by an incall's number, a choice
// followed, shown back, changed, refused where ivrd cannot play it.
func TestWazoConfdIVR(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e env) {
		body := fmt.Sprintf(`{"name": "Reception", "greeting_sound": "welcome", "menu_sound": "main-choices",
			"invalid_sound": "invalid", "abort_sound": "goodbye", "timeout": 4, "max_tries": 2,
			"choices": [{"exten": "1", "destination": {"type": "ivr", "ivr_id": %d}},
				{"exten": "2", "destination": {"type": "custom", "command": "Goto(support,s,1)"}},
				{"exten": "9", "destination": {"type": "hangup"}}]}`, wazo.IVRID("support"))
		r := e.wazo("POST", "/ivr", writeToken, body)
		require.Equal(t, 201, r.Status, string(r.Body))
		got := r.JSON(t)
		require.Equal(t, float64(wazo.IVRID("reception")), got["id"])
		require.Equal(t, "Reception", got["name"])
		require.Equal(t, "goodbye", got["abort_sound"])
		require.Equal(t, map[string]any{"type": "hangup"}, got["abort_destination"])
		require.Len(t, got["choices"], 3)

		native := e.get("/api/v1/ivrs/reception").JSON(t)
		require.Equal(t, "welcome", native["greeting"])
		require.Equal(t, "main-choices", native["prompt"])
		require.Equal(t, "invalid", native["invalid_prompt"])
		require.Equal(t, "4s", native["response_timeout"])
		require.Equal(t, 2.0, native["max_errors"])
		require.Equal(t, map[string]any{"play": "goodbye", "then": "hangup"}, native["on_failure"])
		require.Equal(t, map[string]any{"ivr": "support"}, native["keys"].(map[string]any)["2"])

		// An incall to it, as the seed's steps make one.
		r = e.wazo("POST", "/extensions", writeToken, `{"exten": "5550100", "context": "from-extern"}`)
		require.Equal(t, 201, r.Status, string(r.Body))
		extID := fmt.Sprint(int64(r.JSON(t)["id"].(float64)))
		r = e.wazo("POST", "/incalls", writeToken, fmt.Sprintf(`{"destination": {"type": "ivr", "ivr_id": %d}}`, wazo.IVRID("reception")))
		require.Equal(t, 201, r.Status, string(r.Body))
		incID := fmt.Sprint(int64(r.JSON(t)["id"].(float64)))
		require.Equal(t, 204, e.wazo("PUT", "/incalls/"+incID+"/extensions/"+extID, writeToken, "").Status)
		cfg, _, err := e.Store.Config(context.Background())
		require.NoError(t, err)
		m, found := cfg.IVRFor("5550100")
		require.True(t, found)
		require.Equal(t, "reception", m.ID)

		prompts := e.simulateKeys("5550100", "1")
		require.Equal(t, "welcome", prompts[0], "greeting_sound first")
		require.Contains(t, prompts, "support-choices", "choice 1 reaches the support IVR")
		require.Contains(t, fmt.Sprint(e.wazo("GET", "/ivr/"+fmt.Sprint(wazo.IVRID("reception")), readToken, "").JSON(t)["incalls"]), "5550100")

		// The example's main menu: a key only ivrd has (a SIP URI) is shown
		// as type ivrd, and a PUT of what GET shows keeps it.
		id := fmt.Sprint(wazo.IVRID("main"))
		shown := e.wazo("GET", "/ivr/"+id, readToken, "").JSON(t)
		require.Equal(t, map[string]any{"type": "ivrd", "ivrd_destination": "uri sip:sales@127.0.0.1:5070"}, shown["choices"].([]any)[1].(map[string]any)["destination"])
		put := fmt.Sprintf(`{"name": "Example main menu", "greeting_sound": "welcome", "menu_sound": "main-choices", "invalid_sound": "invalid",
			"abort_sound": "goodbye", "timeout": 5, "max_tries": 3, "choices": [
			{"exten": "1", "destination": {"type": "ivrd", "ivrd_destination": "uri sip:sales@127.0.0.1:5070"}},
			{"exten": "2", "destination": {"type": "ivr", "ivr_id": %d}}]}`, wazo.IVRID("support"))
		r = e.wazo("PUT", "/ivr/"+id, writeToken, put)
		require.Equal(t, 204, r.Status, string(r.Body))
		keys := e.get("/api/v1/ivrs/main").JSON(t)["keys"].(map[string]any)
		require.Equal(t, map[string]any{"uri": "sip:sales@127.0.0.1:5070"}, keys["1"])
		require.Len(t, keys, 2)
		require.Contains(t, e.get("/api/v1/ivrs/main").JSON(t)["extensions"], "100", "a PUT keeps the numbers")

		for _, c := range []struct{ body, want string }{
			{`{"name": "x"}`, "field 'menu_sound': Missing data"},
			{`{"name": "x", "menu_sound": "main-choices", "invalid_destination": {"type": "hangup"}}`, "field 'invalid_destination'"},
			{`{"name": "x", "menu_sound": "main-choices", "timeout_destination": {"type": "hangup"}}`, "field 'timeout_destination'"},
			{`{"name": "x", "menu_sound": "main-choices", "max_tries": 9}`, "field 'max_tries'"},
			{`{"name": "x", "menu_sound": "main-choices", "choices": [{"exten": "1", "destination": {"type": "user"}}]}`, "field 'choices[0].destination.type'"},
			{`{"name": "x", "menu_sound": "main-choices", "choices": [{"exten": "1", "destination": {"type": "ivrd", "ivrd_destination": "uri sip:x@y"}}]}`, "field 'choices[0].destination.ivrd_destination'"},
			{`{"name": "x", "menu_sound": "main-choices", "choices": [{"exten": "a", "destination": {"type": "hangup"}}]}`, "field 'choices[0].exten'"},
			{`{"name": "x", "menu_sound": "no-such-sound"}`, "no-such-sound"},
			{`{"name": "x", "menu_sound": "main-choices", "description": "d"}`, "field 'description': Unknown field"},
		} {
			r := e.wazoBad("POST", "/ivr", writeToken, c.body)
			require.Equal(t, 400, r.Status, "%s: %s", c.body, r.Body)
			require.Contains(t, wazoList(t, r)[0], c.want, c.body)
		}
		require.Equal(t, 404, e.get("/api/v1/ivrs/x").Status, "nothing refused was stored")

		// Delete: an IVR another leads to is refused; the new one goes.
		require.Equal(t, 400, e.wazo("DELETE", "/ivr/"+fmt.Sprint(wazo.IVRID("support")), writeToken, "").Status)
		require.Equal(t, 204, e.wazo("DELETE", "/incalls/"+incID, writeToken, "").Status)
		require.Equal(t, 204, e.wazo("DELETE", "/ivr/"+fmt.Sprint(wazo.IVRID("reception")), writeToken, "").Status)
		require.Equal(t, 404, e.wazo("GET", "/ivr/"+fmt.Sprint(wazo.IVRID("reception")), readToken, "").Status)
	})
}
