package wazo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/api/wazo"
)

// The seed's "IVR external dial" then "IVR with a schedule", as its steps
// call confd: POST /extensions, POST /incalls with a custom destination
// Goto(dp-ivr-example,s,1), PUT /incalls/{id}/extensions/{id}, POST
// /schedules, PUT /incalls/{id}/schedules/{id}. Then the configuration
// the store holds routes the DID to the IVR, closed on a Saturday.
func TestWazoSeedIncallToIVR(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e env) {
		// The IVR the dialplan context stood for (ivrd runs no dialplan).
		r := e.send("POST", "/api/v1/ivrs", `{"id":"dp-ivr-example","extensions":["8000"],"prompt":"main-choices","keys":{"1":"hangup"}}`)
		require.Equal(t, 201, r.Status, string(r.Body))
		const did = "0312345678"

		r = e.wazo("POST", "/extensions", writeToken, `{"exten": "`+did+`", "context": "from-extern"}`)
		require.Equal(t, 201, r.Status, string(r.Body))
		ext := r.JSON(t)
		require.Equal(t, did, ext["exten"])
		require.Equal(t, "from-extern", ext["context"])
		require.Nil(t, ext["incall"], "not associated yet")
		extID := fmt.Sprint(int64(ext["id"].(float64)))
		require.Equal(t, 400, e.wazo("POST", "/extensions", writeToken, `{"exten": "`+did+`", "context": "from-extern"}`).Status, "an exten exists once")

		r = e.wazo("POST", "/incalls", writeToken, `{"destination": {"type": "custom", "command": "Goto(dp-ivr-example,s,1)"}}`)
		require.Equal(t, 201, r.Status, string(r.Body))
		inc := r.JSON(t)
		require.Empty(t, inc["extensions"])
		require.Equal(t, map[string]any{"type": "ivr", "ivr_id": float64(wazo.IVRID("dp-ivr-example"))}, inc["destination"])
		incID := fmt.Sprint(int64(inc["id"].(float64)))

		// Before the association the DID reaches nothing.
		cfg, _, err := e.Store.Config(context.Background())
		require.NoError(t, err)
		_, found := cfg.IVRFor(did)
		require.False(t, found)

		r = e.wazo("PUT", "/incalls/"+incID+"/extensions/"+extID, writeToken, "")
		require.Equal(t, 204, r.Status, string(r.Body))
		require.Equal(t, 204, e.wazo("PUT", "/incalls/"+incID+"/extensions/"+extID, writeToken, "").Status, "associating again changes nothing")

		cfg, _, err = e.Store.Config(context.Background())
		require.NoError(t, err)
		m, found := cfg.IVRFor(did)
		require.True(t, found, "the DID reaches an IVR")
		require.Equal(t, "dp-ivr-example", m.ID)
		require.Equal(t, int64(inc["id"].(float64)), m.NumberInfo[did].Incall, "the incall id is stored")
		require.Equal(t, int64(ext["id"].(float64)), m.NumberInfo[did].Extension, "the extension id is stored")
		require.Equal(t, "from-extern", m.NumberInfo[did].Context)

		// confd shows the association from both sides.
		got := e.wazo("GET", "/incalls/"+incID, readToken, "").JSON(t)
		require.Equal(t, []any{map[string]any{"id": ext["id"], "exten": did, "context": "from-extern"}}, got["extensions"])
		got = e.wazo("GET", "/extensions/"+extID, readToken, "").JSON(t)
		require.Equal(t, map[string]any{"id": inc["id"]}, got["incall"])
		require.Equal(t, 400, e.wazo("DELETE", "/extensions/"+extID, writeToken, "").Status, "an associated extension is not deleted")

		// IVR with a schedule.
		r = e.wazo("POST", "/schedules", writeToken, wazo.SeedOfficeHours)
		require.Equal(t, 201, r.Status, string(r.Body))
		sid := fmt.Sprint(int64(r.JSON(t)["id"].(float64)))
		r = e.wazo("PUT", "/incalls/"+incID+"/schedules/"+sid, writeToken, "")
		require.Equal(t, 204, r.Status, string(r.Body))
		cfg, _, err = e.Store.Config(context.Background())
		require.NoError(t, err)
		m, _ = cfg.IVRFor(did)
		require.Equal(t, map[string]string{did: "office-hours"}, m.NumberSchedules, "the schedule is the incall's: its number's only")
		require.Empty(t, m.Schedule, "not the whole IVR's")
		attached := e.wazo("GET", "/schedules/"+sid, readToken, "").JSON(t)["incalls"].([]any)
		require.Len(t, attached, 1)
		require.Equal(t, inc["id"], attached[0].(map[string]any)["id"])

		year := time.Now().Year()
		saturday := fmt.Sprintf("%d-01-%02dT11:00:00+01:00", year+1, firstWeekday(year+1, time.Saturday))
		require.Contains(t, e.simulatePrompts(did, saturday), "closed", "a call to the DID on Saturday is screened")
		monday := fmt.Sprintf("%d-01-%02dT10:00:00+01:00", year+1, firstWeekday(year+1, time.Monday))
		require.Contains(t, e.simulatePrompts(did, monday), "main-choices", "on a weekday the DID reaches the IVR")
		require.NotContains(t, e.simulatePrompts("8000", saturday), "closed", "an internal call to the IVR's own extension is not screened")

		// Dissociate: the DID reaches nothing, the extension and the
		// incall stay.
		require.Equal(t, 204, e.wazo("DELETE", "/incalls/"+incID+"/extensions/"+extID, writeToken, "").Status)
		cfg, _, err = e.Store.Config(context.Background())
		require.NoError(t, err)
		_, found = cfg.IVRFor(did)
		require.False(t, found)
		require.Equal(t, 200, e.wazo("GET", "/extensions/"+extID, readToken, "").Status)
		require.Equal(t, 200, e.wazo("GET", "/incalls/"+incID, readToken, "").Status)

		// Associated again, the DID keeps the incall's schedule.
		require.Equal(t, 204, e.wazo("PUT", "/incalls/"+incID+"/extensions/"+extID, writeToken, "").Status)
		require.Contains(t, e.simulatePrompts(did, saturday), "closed", "the incall's schedule came back with its number")

		// Deleting the incall; then the extension.
		require.Equal(t, 204, e.wazo("DELETE", "/incalls/"+incID, writeToken, "").Status)
		require.Equal(t, 404, e.wazo("GET", "/incalls/"+incID, readToken, "").Status)
		cfg, _, err = e.Store.Config(context.Background())
		require.NoError(t, err)
		_, found = cfg.IVRFor(did)
		require.False(t, found)
		require.Equal(t, 204, e.wazo("DELETE", "/extensions/"+extID, writeToken, "").Status)
		require.Equal(t, 404, e.wazo("GET", "/extensions/"+extID, readToken, "").Status)
	})
}

// PUT /incalls/{id} moves its numbers to another IVR; destinations ivrd
// cannot reach are refused in confd's shape.
func TestWazoIncallDestinations(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e env) {
		r := e.wazo("POST", "/extensions", writeToken, `{"exten": "+33123", "context": "from-extern"}`)
		require.Equal(t, 201, r.Status, string(r.Body))
		extID := fmt.Sprint(int64(r.JSON(t)["id"].(float64)))
		r = e.wazo("POST", "/incalls", writeToken, fmt.Sprintf(`{"destination": {"type": "ivr", "ivr_id": %d}}`, wazo.IVRID("main")))
		require.Equal(t, 201, r.Status, string(r.Body))
		incID := fmt.Sprint(int64(r.JSON(t)["id"].(float64)))
		require.Equal(t, 204, e.wazo("PUT", "/incalls/"+incID+"/extensions/"+extID, writeToken, "").Status)
		require.Contains(t, e.get("/api/v1/ivrs/main").JSON(t)["extensions"], "+33123")

		r = e.wazo("PUT", "/incalls/"+incID, writeToken, `{"destination": {"type": "custom", "command": "Goto(support,s,1)"}}`)
		require.Equal(t, 204, r.Status, string(r.Body))
		require.NotContains(t, e.get("/api/v1/ivrs/main").JSON(t)["extensions"], "+33123")
		require.Contains(t, e.get("/api/v1/ivrs/support").JSON(t)["extensions"], "+33123")
		require.Equal(t, "support", e.wazo("GET", "/incalls/"+incID, readToken, "").JSON(t)["ivrd_ivr"])

		for _, c := range []struct{ body, want string }{
			{`{"destination": {"type": "user", "user_id": 3}}`, "field 'user_id': Unknown field"},
			{`{"destination": {"type": "queue"}}`, "field 'destination.type'"},
			{`{"destination": {"type": "custom", "command": "Dial(SIP/1000)"}}`, "field 'destination.command': \"Dial(SIP/1000)\": ivrd runs no dialplan"},
			{`{"destination": {"type": "custom", "command": "Goto(nowhere,s,1)"}}`, "no ivrd IVR has the id \"nowhere\""},
			{`{"destination": {"type": "ivr", "ivr_id": 1}}`, "field 'destination.ivr_id': IVR was not found"},
			{`{}`, "field 'destination': Missing data"},
		} {
			r := e.wazoBad("POST", "/incalls", writeToken, c.body)
			require.Equal(t, 400, r.Status, "%s: %s", c.body, r.Body)
			require.Contains(t, wazoList(t, r)[0], c.want, c.body)
		}
		for _, c := range []struct{ body, want string }{
			{`{"exten": "_XXXX", "context": "from-extern"}`, "field 'exten'"},
			{`{"exten": "123"}`, "field 'context': Missing data"},
			{`{"context": "from-extern"}`, "field 'exten': Missing data"},
			{`{"exten": "100", "context": "from-extern"}`, "Extension already exists"},
		} {
			r := e.wazoBad("POST", "/extensions", writeToken, c.body)
			require.Equal(t, 400, r.Status, "%s: %s", c.body, r.Body)
			require.Contains(t, wazoList(t, r)[0], c.want, c.body)
		}
		require.Equal(t, 404, e.wazo("PUT", "/incalls/"+incID+"/extensions/77", writeToken, "").Status)
		require.Equal(t, 404, e.wazo("GET", "/incalls/77", readToken, "").Status)
		require.Equal(t, 403, e.wazo("POST", "/incalls", readToken, `{"destination": {"type": "ivr", "ivr_id": 1}}`).Status)
		require.Equal(t, 401, e.wazo("GET", "/extensions", "wrong-token", "").Status)
	})
}
