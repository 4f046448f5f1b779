package wazo_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/api"
	"github.com/ivrd/ivrd/api/apitest"
	"github.com/ivrd/ivrd/api/wazo"
)

const (
	writeToken = apitest.WriteToken
	readToken  = apitest.ReadToken
)

type env struct{ *apitest.Env }

type reply = apitest.Reply

func backends(t *testing.T, f func(t *testing.T, e env)) {
	apitest.Backends(t, func(t *testing.T, e *apitest.Env) { f(t, env{e}) })
}

// wazo calls confd's routes with X-Auth-Token, as Wazo's users do.
func (e env) wazo(method, path, token, body string) reply {
	return e.Request(apitest.Req{Method: method, Path: wazo.Base + path, Header: map[string]string{"X-Auth-Token": token}, Body: body})
}

// wazoBad sends a body the OpenAPI document itself refuses (the server
// must refuse it too).
func (e env) wazoBad(method, path, token, body string) reply {
	return e.Request(apitest.Req{Method: method, Path: wazo.Base + path, Header: map[string]string{"X-Auth-Token": token}, Body: body, BadRequest: true})
}

// native calls the native API with the write token.
func (e env) native(method, path, body string) reply {
	return e.Request(apitest.Req{Method: method, Path: path, Header: map[string]string{"Authorization": "Bearer " + writeToken}, Body: body})
}

func (e env) get(path string) reply { return e.native("GET", path, "") }

func (e env) send(method, path, body string) reply { return e.native(method, path, body) }

func wazoList(t *testing.T, r reply) []any {
	t.Helper()
	var l []any
	require.NoError(t, json.Unmarshal(r.Body, &l), string(r.Body))
	return l
}

// simulate runs a call to number at the given time and returns the
// prompts played.
func (e env) simulatePrompts(number, at string) []string {
	t := e.T
	r := e.send("POST", "/api/v1/simulate", fmt.Sprintf(`{"to":%q,"at":%q,"input":"wait:1s"}`, number, at))
	require.Equal(t, 200, r.Status, string(r.Body))
	var out []string
	for _, ev := range r.JSON(t)["events"].([]any) {
		if p, _ := ev.(map[string]any)["prompt"].(string); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func TestWazoScheduleOnIncall(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e env) {
		year := time.Now().Year()
		// Before: main (number 100) answers on a Saturday.
		saturday := fmt.Sprintf("%d-01-%02dT11:00:00+01:00", year+1, firstWeekday(year+1, time.Saturday))
		require.NotContains(t, e.simulatePrompts("100", saturday), "closed")

		r := e.wazo("POST", "/schedules", writeToken, wazo.SeedOfficeHours)
		require.Equal(t, 201, r.Status, string(r.Body))
		s := r.JSON(t)
		id, ok := s["id"].(float64)
		require.True(t, ok, "Wazo's schedule id is an integer: %s", r.Body)
		require.Equal(t, "Office hours", s["name"], "the name as given (the id is made from it)")
		require.Equal(t, "Europe/Paris", s["timezone"])
		require.Equal(t, true, s["enabled"])
		op := s["open_periods"].([]any)[0].(map[string]any)
		require.Equal(t, []any{1.0, 2.0, 3.0, 4.0, 5.0}, op["week_days"])
		require.Equal(t, "08:00", op["hours_start"])
		require.Equal(t, "18:00", op["hours_end"])
		ex := s["exceptional_periods"].([]any)
		require.Len(t, ex, 1, "one Wazo period, even though stored for several years")
		require.Equal(t, []any{24.0, 25.0, 26.0}, ex[0].(map[string]any)["month_days"])
		require.Equal(t, []any{12.0}, ex[0].(map[string]any)["months"])
		require.Equal(t, map[string]any{"type": "sound", "filename": "closed", "skip": false, "no_answer": false}, s["closed_destination"])

		sid := fmt.Sprint(int64(id))
		require.Equal(t, 200, e.wazo("GET", "/schedules/"+sid, readToken, "").Status)
		list := e.wazo("GET", "/schedules", readToken, "").JSON(t)
		require.Contains(t, fmt.Sprint(list["items"]), "office-hours")

		// The incall is the IVR's number; GET /incalls lists it.
		incalls := e.wazo("GET", "/incalls", readToken, "").JSON(t)
		require.Contains(t, fmt.Sprint(incalls["items"]), "exten:100")
		r = e.wazo("PUT", "/incalls/100/schedules/"+sid, writeToken, "")
		require.Equal(t, 204, r.Status, string(r.Body))
		r = e.wazo("PUT", "/incalls/100/schedules/"+sid, writeToken, "")
		require.Equal(t, 400, r.Status, "confd refuses a second association")
		require.Contains(t, wazoList(t, r)[0], "Incall is associated with a Schedule")

		// The native API sees it.
		native := e.get("/api/v1/ivrs/main").JSON(t)
		require.Equal(t, map[string]any{"100": "office-hours"}, native["number_schedules"], "the incall's number is screened")
		ns := e.get("/api/v1/schedules/office-hours").JSON(t)
		require.Equal(t, []any{"mon,tue,wed,thu,fri 08:00-18:00"}, ns["open"])
		require.Equal(t, "Europe/Paris", ns["timezone"])
		require.Contains(t, fmt.Sprint(ns["holidays"]), fmt.Sprintf("%d-12-24..%d-12-26", year, year))
		require.Contains(t, fmt.Sprint(ns["holidays"]), fmt.Sprintf("%d-12-24..%d-12-26", year+4, year+4))
		sched := e.wazo("GET", "/schedules/"+sid, readToken, "").JSON(t)
		require.Contains(t, fmt.Sprint(sched["incalls"]), "id:100")

		// The next call: closed on Saturday, open on a weekday, holiday
		// on Christmas Day (simulated at a chosen time).
		require.Contains(t, e.simulatePrompts("100", saturday), "closed")
		monday := fmt.Sprintf("%d-01-%02dT10:00:00+01:00", year+1, firstWeekday(year+1, time.Monday))
		require.NotContains(t, e.simulatePrompts("100", monday), "closed")
		require.Contains(t, e.simulatePrompts("100", fmt.Sprintf("%d-12-25T10:00:00+01:00", year+1)), "holiday")

		// Detach: the next call on Saturday is answered again.
		require.Equal(t, 204, e.wazo("DELETE", "/incalls/100/schedules/"+sid, writeToken, "").Status)
		require.NotContains(t, e.get("/api/v1/ivrs/main").JSON(t), "schedule")
		require.NotContains(t, e.simulatePrompts("100", saturday), "closed")

		// Delete detaches too.
		require.Equal(t, 204, e.wazo("PUT", "/incalls/100/schedules/"+sid, writeToken, "").Status)
		require.Equal(t, 204, e.wazo("DELETE", "/schedules/"+sid, writeToken, "").Status)
		require.NotContains(t, e.get("/api/v1/ivrs/main").JSON(t), "schedule")
		require.Equal(t, 404, e.wazo("GET", "/schedules/"+sid, readToken, "").Status)
	})
}

func firstWeekday(year int, wd time.Weekday) int {
	d := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	for d.Weekday() != wd {
		d = d.AddDate(0, 0, 1)
	}
	return d.Day()
}

func TestWazoBadInput(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e env) {
		for _, c := range []struct{ body, want string }{
			{`{"name": 5}`, "field 'name': Not a valid string"},
			{`{"name": "x", "colour": "red"}`, "field 'colour': Unknown field"},
			{`{"name": "x", "timezone": "UTC"}`, "field 'closed_destination': Missing data"},
			{`{"name": "x", "timezone": "Mars/Olympus"}`, "field 'timezone'"},
			{`{"name": "x", "open_periods": [{"hours_start": "25:00", "hours_end": "26:00"}]}`, "field 'open_periods[0].hours_start'"},
			{`{"name": "x", "open_periods": [{"hours_start": "08:00", "hours_end": "8pm"}]}`, "field 'open_periods[0].hours_end'"},
			{`{"name": "x", "open_periods": [{"hours_start": "08:00", "hours_end": "18:00", "week_days": [0, 8]}]}`, "field 'open_periods[0].week_days': 0 is not between 1 and 7"},
			{`{"name": "x", "open_periods": [{"hours_start": "08:00", "hours_end": "18:00", "week_days": "1-5"}]}`, "field 'open_periods.week_days': Not a valid list (got string)"},
			{`{"name": "x", "enabled": "yes"}`, "field 'enabled': Not a valid boolean"},
			{`{"name": "x", "open_periods": [{"hours_start": "08:00", "hours_end": "18:00", "month_days": [1]}]}`, "month-day rules cannot be represented"},
			{`{"name": "x", "exceptional_periods": [{"hours_start": "12:00", "hours_end": "14:00", "months": [5]}]}`, "whole days only"},
			{`{"name": "x", "exceptional_periods": [{"week_days": [6, 7], "months": [8]}]}`, "week-day rules cannot be represented"},
			{`{"name": "x", "closed_destination": {"type": "queue"}}`, "field 'closed_destination.type'"},
			{`{"name": "x", "closed_destination": {"type": "ivr", "ivr_id": 1}}`, "IVR was not found"},
			{`{"name": "x", "closed_destination": {"type": "sound", "filename": "no-such-prompt"}}`, "no-such-prompt"},
			{`{"name": "x", "enabled": false}`, "field 'enabled'"},
			{`{"name": "x", "exceptional_periods": [{"months": [5], "month_days": [1]}], "closed_destination": {"type": "sound", "filename": "closed"}}`,
				"field 'exceptional_periods[0].destination': Without a sound of its own"},
			{`{"name": "x", "exceptional_periods": [{"months": [5], "month_days": [1], "destination": {"type": "sound", "filename": "holiday"}}], "closed_destination": {"type": "ivr", "ivr_id": ` + fmt.Sprint(wazo.IVRID("support")) + `}}`,
				"field 'exceptional_periods[0].destination': After an exceptional period's sound ivrd follows closed_destination"},
			{`{"name": "x"`, "Invalid JSON"},
			{`{"name": "x", "closed_destination": {"type": "hangup", "cause": "busy"}}`, "field 'closed_destination.cause': \"busy\": ivrd hangs up with a normal clearing only"},
			{`{"name": "x", "closed_destination": {"type": "sound", "filename": "closed", "skip": true}}`, "field 'closed_destination.skip'"},
			{`{"name": "x", "closed_destination": {"type": "sound", "filename": "closed", "no_answer": true}}`, "field 'closed_destination.no_answer'"},
			{`{"name": "x", "exceptional_periods": [{"months": [5], "destination": {"type": "sound", "filename": "holiday", "no_answer": true}}], "closed_destination": {"type": "hangup"}}`, "field 'exceptional_periods[0].destination.no_answer'"},
		} {
			r := e.wazoBad("POST", "/schedules", writeToken, c.body)
			require.Equal(t, 400, r.Status, "%s: %s", c.body, r.Body)
			require.Contains(t, strings.Join(toStrings(wazoList(t, r)), " "), c.want, c.body)
		}
		require.Equal(t, 0, int(e.wazo("GET", "/schedules", readToken, "").JSON(t)["total"].(float64)-float64(len(e.get("/api/v1/schedules").JSON(t)["items"].([]any)))),
			"nothing refused was stored")

		// A range for week days, a closed IVR destination that exists.
		r := e.wazo("POST", "/schedules", writeToken, `{"name": "Night", "open_periods": [{"hours_start": "20:00", "hours_end": "06:00", "week_days": ["1-3", 7]}], "closed_destination": {"type": "hangup"}}`)
		require.Equal(t, 201, r.Status, string(r.Body))
		require.Equal(t, []any{"mon,tue,wed,sun 20:00-06:00"}, e.get("/api/v1/schedules/night").JSON(t)["open"])
		sid := fmt.Sprint(int64(r.JSON(t)["id"].(float64)))

		// No name (confd allows it), and 23:59, confd's end of the day.
		r = e.wazo("POST", "/schedules", writeToken, `{"open_periods": [{"hours_start": "00:00", "hours_end": "23:59", "week_days": [6, 7]}], "closed_destination": {"type": "none"}}`)
		require.Equal(t, 201, r.Status, string(r.Body))
		require.Equal(t, "23:59", r.JSON(t)["open_periods"].([]any)[0].(map[string]any)["hours_end"])
		require.Equal(t, []any{"sat,sun 00:00-24:00"}, e.get("/api/v1/schedules/schedule").JSON(t)["open"])

		// Every number of an IVR is an incall; the schedule is the incall's
		// number's, not the IVR's other numbers'.
		require.Equal(t, 201, e.send("POST", "/api/v1/ivrs", `{"id":"two","extensions":["6500","6501"],"prompt":"main-choices","keys":{"1":"hangup"}}`).Status)
		require.Equal(t, 204, e.wazo("PUT", "/incalls/6501/schedules/"+sid, writeToken, "").Status)
		require.Equal(t, map[string]any{"6501": "night"}, e.get("/api/v1/ivrs/two").JSON(t)["number_schedules"])
		seen := 0
		for _, it := range e.wazo("GET", "/incalls", readToken, "").JSON(t)["items"].([]any) {
			m := it.(map[string]any)
			switch m["id"] {
			case 6501.0:
				require.Equal(t, []any{map[string]any{"id": float64(wazo.ScheduleID("night")), "name": "night"}}, m["schedules"])
				seen++
			case 6500.0:
				require.Equal(t, []any{}, m["schedules"], "the IVR's other incall has no schedule")
				seen++
			}
		}
		require.Equal(t, 2, seen)

		// closed_destination ivr: the IVR GET /incalls shows as ivr_id.
		r = e.wazo("POST", "/schedules", writeToken, `{"name": "Weekend", "open_periods": [{"hours_start": "09:00", "hours_end": "17:00", "week_days": ["1-5"]}], "closed_destination": {"type": "ivr", "ivr_id": `+fmt.Sprint(wazo.IVRID("support"))+`}}`)
		require.Equal(t, 201, r.Status, string(r.Body))
		require.Equal(t, map[string]any{"type": "ivr", "ivr_id": float64(wazo.IVRID("support"))}, r.JSON(t)["closed_destination"])
		require.Equal(t, map[string]any{"then": map[string]any{"ivr": "support"}}, e.get("/api/v1/schedules/weekend").JSON(t)["closed"])
		require.Contains(t, string(e.wazo("GET", "/incalls", readToken, "").Body), fmt.Sprintf(`"ivr_id": %d`, wazo.IVRID("support")))

		// Unknown ids, tokens.
		require.Contains(t, string(e.wazo("PUT", "/incalls/9999/schedules/"+sid, writeToken, "").Body), "Incall was not found")
		require.Equal(t, 404, e.wazo("PUT", "/incalls/9999/schedules/"+sid, writeToken, "").Status)
		r = e.wazo("PUT", "/incalls/100/schedules/42", writeToken, "")
		require.Equal(t, 404, r.Status)
		require.Contains(t, string(r.Body), "Schedule was not found")
		require.Equal(t, 404, e.wazo("DELETE", "/schedules/abc", writeToken, "").Status)
		require.Equal(t, 403, e.wazo("PUT", "/incalls/100/schedules/"+sid, readToken, "").Status)
		require.Equal(t, 403, e.wazo("POST", "/schedules", readToken, wazo.SeedOfficeHours).Status)
		require.Equal(t, 401, e.wazo("GET", "/schedules", "wrong-token", "").Status)
		require.Equal(t, 401, e.Request(apitest.Req{Method: "GET", Path: wazo.Base + "/schedules"}).Status)
		r = e.wazoBad("POST", "/schedules", writeToken, `{"name":"`+strings.Repeat("x", api.DefaultMaxBody)+`"}`)
		require.Equal(t, 413, r.Status)
		require.Contains(t, wazoList(t, r)[0], "too large")
		require.NotContains(t, e.get("/api/v1/ivrs/main").JSON(t), "schedule", "refused requests changed nothing")
	})
}

func toStrings(l []any) []string {
	out := make([]string, len(l))
	for i, v := range l {
		out[i] = fmt.Sprint(v)
	}
	return out
}

// A native holiday across a month's end is shown as the days it closes,
// not as months × days.
func TestWazoViewHolidayAcrossMonths(t *testing.T) {
	t.Parallel()
	e := env{apitest.New(t, "sqlite://"+t.TempDir()+"/x.db")}
	r := e.send("POST", "/api/v1/schedules", `{"id":"ny","timezone":"UTC","holidays":[{"date":"2026-12-30..2027-01-02","name":"New Year"}]}`)
	require.Equal(t, 201, r.Status, string(r.Body))
	got := e.wazo("GET", "/schedules/"+fmt.Sprint(wazo.ScheduleID("ny")), readToken, "").JSON(t)["exceptional_periods"].([]any)
	require.Len(t, got, 2)
	require.Equal(t, []any{30.0, 31.0}, got[1].(map[string]any)["month_days"])
	require.Equal(t, []any{12.0}, got[1].(map[string]any)["months"])
	require.Equal(t, []any{1.0, 2.0}, got[0].(map[string]any)["month_days"])
}
