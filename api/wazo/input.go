package wazo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ivrd/ivrd/api/edit"
)

// periodIn is an open or exceptional period as confd takes it. Days,
// month days and months are lists of integers; a string "1-5" is taken
// for a range too.
type periodIn struct {
	HoursStart  string            `json:"hours_start"`
	HoursEnd    string            `json:"hours_end"`
	WeekDays    []json.RawMessage `json:"week_days"`
	MonthDays   []json.RawMessage `json:"month_days"`
	Months      []json.RawMessage `json:"months"`
	Destination *Destination      `json:"destination,omitempty"`
}

// Destination is confd's destination (of a schedule, an incall, an IVR
// choice); each type reads its own fields.
type Destination struct {
	Type     string `json:"type"`
	Command  string `json:"command,omitempty"`
	Exten    string `json:"exten,omitempty"`
	Context  string `json:"context,omitempty"`
	Filename string `json:"filename,omitempty"`
	Skip     *bool  `json:"skip,omitempty"`
	NoAnswer *bool  `json:"no_answer,omitempty"`
	Cause    string `json:"cause,omitempty"`
	IVRID    *int64 `json:"ivr_id,omitempty"`
	// IvrdDestination (type ivrd) describes an IVR key's destination
	// that only ivrd has.
	IvrdDestination string `json:"ivrd_destination,omitempty"`
}

type scheduleIn struct {
	Name               string       `json:"name"`
	Timezone           string       `json:"timezone"`
	OpenPeriods        []periodIn   `json:"open_periods"`
	ExceptionalPeriods []periodIn   `json:"exceptional_periods"`
	ClosedDestination  *Destination `json:"closed_destination"`
	Enabled            *bool        `json:"enabled"`
}

// decodeSchedule reads a POST body strictly; the error names the field.
func decodeSchedule(data []byte) (scheduleIn, string, error) { return decodeStrict[scheduleIn](data) }

// decodeStrict reads a body strictly; the error names the field.
func decodeStrict[T any](data []byte) (T, string, error) {
	var ws T
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(&ws)
	if err == nil && dec.More() {
		err = errors.New("trailing data after the JSON object")
	}
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		return ws, te.Field, fmt.Errorf("not a valid %s (got %s)", jsonKind(te.Type.Kind().String()), te.Value)
	case err != nil && strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return ws, f, errors.New("unknown field")
	case err != nil:
		return ws, "_schema", fmt.Errorf("invalid JSON: %w", err)
	}
	return ws, "", nil
}

// jsonKind names a Go kind the way a JSON user reads it.
func jsonKind(kind string) string {
	switch kind {
	case "slice":
		return "list"
	case "struct", "ptr", "map":
		return "object"
	case "bool":
		return "boolean"
	case "int", "int64":
		return "integer"
	}
	return kind
}

// intList reads a list of integers in [lo, hi] (items or "a-b" ranges);
// an empty list is every value.
func intList(raw []json.RawMessage, lo, hi int) ([]int, error) {
	var out []int
	for _, r := range raw {
		var n int
		if json.Unmarshal(r, &n) == nil {
			if n < lo || n > hi {
				return nil, fmt.Errorf("%d is not between %d and %d", n, lo, hi)
			}
			out = append(out, n)
			continue
		}
		var s string
		if json.Unmarshal(r, &s) != nil {
			return nil, fmt.Errorf("%s: want an integer or a range \"a-b\"", r)
		}
		a, b, _ := strings.Cut(s, "-")
		x, err1 := strconv.Atoi(strings.TrimSpace(a))
		y, err2 := strconv.Atoi(strings.TrimSpace(b))
		if err1 != nil || err2 != nil || x < lo || y > hi || x > y {
			return nil, fmt.Errorf("%q: want a range \"a-b\" between %d and %d", s, lo, hi)
		}
		for i := x; i <= y; i++ {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		for i := lo; i <= hi; i++ {
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func isClock(s string) bool {
	t, err := time.Parse("15:04", s)
	return (err == nil && len(s) == 5 && t.Format("15:04") == s) || s == "24:00"
}

// dayName is ivrd's name of Wazo's week day d (1 Monday ... 7 Sunday).
func dayName(d int) string { return "montuewedthufrisatsun"[3*(d-1) : 3*d] }

// toIVRD is a Wazo schedule turned into an ivrd schedule, or the field
// that cannot be represented and why.
func (ws scheduleIn) toIVRD(id string, now time.Time, ivrByID func(int64) (string, bool)) (*edit.Schedule, string, error) {
	if ws.Enabled != nil && !*ws.Enabled {
		return nil, "enabled", errors.New("ivrd cannot store a disabled schedule; detach it from the incall instead")
	}
	tz := ws.Timezone
	if tz == "" {
		tz = "UTC"
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return nil, "timezone", fmt.Errorf("unknown time zone %q", tz)
	}
	var open []string
	for i, p := range ws.OpenPeriods {
		f := fmt.Sprintf("open_periods[%d].", i)
		if !isClock(p.HoursStart) || p.HoursStart == "24:00" {
			return nil, f + "hours_start", fmt.Errorf("%q: want HH:MM, 00:00 to 23:59", p.HoursStart)
		}
		if !isClock(p.HoursEnd) || p.HoursEnd == p.HoursStart {
			return nil, f + "hours_end", fmt.Errorf("%q: want HH:MM, 00:00 to 24:00, not the start", p.HoursEnd)
		}
		days, err := intList(p.WeekDays, 1, 7)
		if err != nil {
			return nil, f + "week_days", err
		}
		if md, err := intList(p.MonthDays, 1, 31); err != nil || len(md) != 31 {
			return nil, f + "month_days", errOr(err, "ivrd's open hours are weekly: month-day rules cannot be represented.")
		}
		if m, err := intList(p.Months, 1, 12); err != nil || len(m) != 12 {
			return nil, f + "months", errOr(err, "ivrd's open hours are weekly: month rules cannot be represented.")
		}
		names := make([]string, len(days))
		for j, d := range days {
			names[j] = dayName(d)
		}
		end := p.HoursEnd
		if end == "23:59" {
			// Wazo's way to say "to the end of the day" (its hours stop at
			// 23:59); ivrd's ranges end before their end minute.
			end = "24:00"
		}
		open = append(open, strings.Join(names, ",")+" "+p.HoursStart+"-"+end)
	}
	var holidays []edit.Holiday
	for i, p := range ws.ExceptionalPeriods {
		f := fmt.Sprintf("exceptional_periods[%d].", i)
		if (p.HoursStart != "" && p.HoursStart != "00:00") || (p.HoursEnd != "" && p.HoursEnd != "23:59" && p.HoursEnd != "24:00") {
			return nil, f + "hours_start", errors.New("ivrd closes whole days only: leave hours out or use 00:00-23:59")
		}
		if wd, err := intList(p.WeekDays, 1, 7); err != nil || len(wd) != 7 {
			return nil, f + "week_days", errOr(err, "ivrd's closed days are dates: week-day rules cannot be represented.")
		}
		if len(p.MonthDays) == 0 && len(p.Months) == 0 {
			return nil, f + "months", errors.New("an exceptional period needs months or month_days (closing every day is not a schedule)")
		}
		mdays, err := intList(p.MonthDays, 1, 31)
		if err != nil {
			return nil, f + "month_days", err
		}
		months, err := intList(p.Months, 1, 12)
		if err != nil {
			return nil, f + "months", err
		}
		h := edit.Holiday{Name: fmt.Sprintf("exceptional period %d", i+1)}
		if d := p.Destination; d != nil {
			if field, err := unplayable(d); err != nil {
				return nil, f + "destination." + field, err
			}
			switch d.Type {
			case "sound":
				if d.Filename == "" {
					return nil, f + "destination.filename", errors.New("missing data for required field")
				}
				h.Prompt = d.Filename
			case "hangup", "none":
			default:
				return nil, f + "destination.type", fmt.Errorf("%q: an exceptional period plays a sound then follows closed_destination (sound, hangup, none)", d.Type)
			}
		}
		// Wazo's periods recur every year; ivrd's holidays are dates, so
		// the rule is written out for this year and the next four.
		for _, date := range expandDates(months, mdays, now.Year(), 5) {
			hd := h
			hd.Date = date
			holidays = append(holidays, hd)
		}
	}
	var closed edit.Closed
	if ws.ClosedDestination == nil {
		return nil, "closed_destination", errors.New("missing data for required field")
	}
	if d := ws.ClosedDestination; d != nil {
		if field, err := unplayable(d); err != nil {
			return nil, "closed_destination." + field, err
		}
		switch d.Type {
		case "sound":
			if d.Filename == "" {
				return nil, "closed_destination.filename", errors.New("missing data for required field")
			}
			closed.Prompt, closed.Then = d.Filename, &edit.Destination{Word: "hangup"}
		case "hangup", "none":
			closed.Then = &edit.Destination{Word: "hangup"}
		case "ivr":
			if d.IVRID == nil {
				return nil, "closed_destination.ivr_id", errors.New("missing data for required field")
			}
			target, ok := ivrByID(*d.IVRID)
			if !ok {
				return nil, "closed_destination.ivr_id", fmt.Errorf("IVR was not found ('id': %d); GET /incalls shows ivr_id", *d.IVRID)
			}
			closed.Then = &edit.Destination{IVR: edit.Str(target)}
		default:
			return nil, "closed_destination.type", fmt.Errorf("%q: ivrd maps sound, hangup, none and ivr", d.Type)
		}
	}
	// ivrd plays a holiday's own sound, or else the closed sound, then
	// follows closed.then. Wazo's exceptional period plays its own
	// destination only (none by default), so it maps only when what ivrd
	// would do is the same: nothing after the sound but hanging up, and no
	// closed sound played where the period has none.
	for i, p := range ws.ExceptionalPeriods {
		f := fmt.Sprintf("exceptional_periods[%d].destination", i)
		if closed.Then != nil && closed.Then.Word != "hangup" {
			return nil, f, errors.New("after an exceptional period's sound ivrd follows closed_destination; with closed_destination ivr the periods cannot be represented (make closed_destination sound or hangup)")
		}
		if (p.Destination == nil || p.Destination.Type != "sound") && closed.Prompt != "" {
			return nil, f, errors.New("without a sound of its own, ivrd would play closed_destination's sound on this day; give the period a destination of type sound, or make closed_destination hangup")
		}
	}
	return &edit.Schedule{ID: id, Name: ws.Name, Timezone: tz, Open: open, Holidays: holidays, Closed: closed}, "", nil
}

// unplayable refuses what a sound or hangup destination asks that ivrd
// does not do: play without answering (skip, no_answer) and hang up with
// another cause than a normal clearing.
func unplayable(d *Destination) (string, error) {
	switch {
	case d.Skip != nil && *d.Skip:
		return "skip", errors.New("ivrd answers a call before playing to it; skip cannot be represented")
	case d.NoAnswer != nil && *d.NoAnswer:
		return "no_answer", errors.New("ivrd answers a call before playing to it; no_answer cannot be represented")
	case d.Cause != "" && d.Cause != "normal":
		return "cause", fmt.Errorf("%q: ivrd hangs up with a normal clearing only", d.Cause)
	}
	return "", nil
}

func errOr(err error, msg string) error {
	if err != nil {
		return err
	}
	return errors.New(msg)
}

// expandDates writes months × month days as dates, consecutive days of a
// month as one range "a..b", for years from first on.
func expandDates(months, mdays []int, first, years int) []string {
	var out []string
	for y := first; y < first+years; y++ {
		for _, m := range months {
			start := -1
			flush := func(last int) {
				if start < 0 {
					return
				}
				a := fmt.Sprintf("%04d-%02d-%02d", y, m, start)
				if last == start {
					out = append(out, a)
				} else {
					out = append(out, a+fmt.Sprintf("..%04d-%02d-%02d", y, m, last))
				}
				start = -1
			}
			prev := -1
			for _, d := range mdays {
				if time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Day() != d {
					continue // 30 February: not a day of this month
				}
				if start >= 0 && d != prev+1 {
					flush(prev)
				}
				if start < 0 {
					start = d
				}
				prev = d
			}
			flush(prev)
		}
	}
	return out
}
