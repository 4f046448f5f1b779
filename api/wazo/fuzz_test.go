package wazo

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// SeedOfficeHours is the seed's "IVR with a schedule": open on workdays, a
// sound when closed, and Christmas as an exceptional closed period.
const SeedOfficeHours = `{
  "name": "Office hours",
  "timezone": "Europe/Paris",
  "open_periods": [{"hours_start": "08:00", "hours_end": "18:00", "week_days": [1, 2, 3, 4, 5]}],
  "exceptional_periods": [{"month_days": [24, 25, 26], "months": [12], "destination": {"type": "sound", "filename": "holiday"}}],
  "closed_destination": {"type": "sound", "filename": "closed"},
  "enabled": true
}`

// FuzzWazoSchedule: no body makes the decoder or the mapping panic, and
// a body accepted maps to open ranges ivrd reads.
func FuzzWazoSchedule(f *testing.F) {
	f.Add([]byte(SeedOfficeHours))
	f.Add([]byte(`{"name":"x","open_periods":[{"hours_start":"20:00","hours_end":"06:00","week_days":["1-3",7]}]}`))
	f.Add([]byte(`{"name":"x","exceptional_periods":[{"months":[2],"month_days":[28,29,30]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ws, _, err := decodeSchedule(data)
		if err != nil {
			return
		}
		body, _, err := ws.toIVRD("x", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), func(int64) (string, bool) { return "main", true })
		if err != nil {
			return
		}
		// What was stored reads back as the same open periods (hours and
		// days), and every holiday is a date or a range of dates.
		for i, o := range body.Open {
			p := openPeriod(o)
			want, _ := intList(ws.OpenPeriods[i].WeekDays, 1, 7)
			wantEnd := ws.OpenPeriods[i].HoursEnd
			if wantEnd == "24:00" {
				wantEnd = "23:59" // both mean the end of the day
			}
			if p.HoursStart != ws.OpenPeriods[i].HoursStart || p.HoursEnd != wantEnd || !slices.Equal(p.WeekDays, want) {
				t.Fatalf("open range %q reads back as %v, not %+v", o, p, ws.OpenPeriods[i])
			}
		}
		for _, h := range body.Holidays {
			from, to, _ := strings.Cut(h.Date, "..")
			if _, err := time.Parse("2006-01-02", from); err != nil || (to != "" && to < from) {
				t.Fatalf("holiday %v", h)
			}
		}
	})
}
