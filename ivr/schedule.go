package ivr

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// openRange is one weekly opening: days (bit per weekday) and minutes.
type openRange struct {
	days       [7]bool
	start, end int // minutes after midnight; end may be 1440
}

var dayNames = map[string]time.Weekday{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

// parseOpen reads "mon-fri 09:00-17:00", "sat,sun 10:00-14:00",
// "daily 08:00-20:00" or "22:00-06:00" (every day, across midnight).
func parseOpen(spec string) (openRange, error) {
	var r openRange
	f := strings.Fields(strings.ToLower(spec))
	if len(f) == 1 {
		f = []string{"daily", f[0]}
	}
	if len(f) != 2 {
		return r, fmt.Errorf("open hours %q: want \"DAYS HH:MM-HH:MM\"", spec)
	}
	if f[0] == "daily" || f[0] == "all" {
		for i := range r.days {
			r.days[i] = true
		}
	} else {
		for _, part := range strings.Split(f[0], ",") {
			a, b, isRange := strings.Cut(part, "-")
			da, ok1 := dayNames[a]
			db := da
			ok2 := true
			if isRange {
				db, ok2 = dayNames[b]
			}
			if !ok1 || !ok2 {
				return r, fmt.Errorf("open hours %q: bad day %q (mon..sun)", spec, part)
			}
			for d := da; ; d = (d + 1) % 7 {
				r.days[d] = true
				if d == db {
					break
				}
			}
		}
	}
	a, b, ok := strings.Cut(f[1], "-")
	start, err1 := parseClock(a)
	end, err2 := parseClock(b)
	if !ok || err1 != nil || err2 != nil || start == end {
		return r, fmt.Errorf("open hours %q: bad time range %q", spec, f[1])
	}
	r.start, r.end = start, end
	return r, nil
}

func parseClock(s string) (int, error) {
	var h, m int
	if _, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) || len(s) != 5 {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return h*60 + m, nil
}

// contains reports whether local time t is inside the range. A range that
// ends before it starts runs past midnight into the next day.
func (r openRange) contains(t time.Time) bool {
	min := t.Hour()*60 + t.Minute()
	day := t.Weekday()
	if r.start < r.end {
		return r.days[day] && min >= r.start && min < r.end
	}
	prev := (day + 6) % 7
	return (r.days[day] && min >= r.start) || (r.days[prev] && min < r.end)
}

// zones caches time zones: time.LoadLocation reads the tz database from
// disk each time, and every call start evaluates a schedule.
var zones sync.Map // name -> *time.Location

func location(name string) (*time.Location, error) {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, l)
	return l, nil
}

// IsOpen evaluates the schedule at t in its time zone (validation rejects
// unknown zones; UTC is the fallback). A holiday closes the whole local
// day and is returned so its prompt can be played.
func (s *Schedule) IsOpen(t time.Time) (bool, *Holiday) {
	loc, err := location(s.Timezone)
	if err != nil {
		loc = time.UTC
	}
	local := t.In(loc)
	date := local.Format("2006-01-02")
	for i := range s.Holidays {
		from, to, err := holidayDates(s.Holidays[i].Date)
		// Dates in this form compare as strings.
		if err == nil && from <= date && date <= to {
			return false, &s.Holidays[i]
		}
	}
	if len(s.Open) == 0 {
		return true, nil
	}
	for _, spec := range s.Open {
		r, err := parseOpen(spec)
		if err == nil && r.contains(local) {
			return true, nil
		}
	}
	return false, nil
}

// holidayDates reads a holiday's date: one day ("2026-12-25") or an
// inclusive range ("2026-12-24..2026-12-26", as Wazo and PBXes take
// them). It returns the first and last day.
func holidayDates(spec string) (from, to string, err error) {
	a, b, isRange := strings.Cut(strings.TrimSpace(spec), "..")
	if !isRange {
		if _, err := time.Parse("2006-01-02", a); err != nil {
			return "", "", fmt.Errorf("%q: want YYYY-MM-DD", spec)
		}
		return a, a, nil
	}
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	_, err1 := time.Parse("2006-01-02", a)
	_, err2 := time.Parse("2006-01-02", b)
	switch {
	case err1 != nil || err2 != nil:
		return "", "", fmt.Errorf("%q: want YYYY-MM-DD..YYYY-MM-DD (first and last day)", spec)
	case b < a:
		return "", "", fmt.Errorf("%q: the range ends before it starts", spec)
	}
	return a, b, nil
}
