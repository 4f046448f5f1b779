package wazo

import (
	"slices"
	"strings"
	"time"

	"github.com/ivrd/ivrd/api/edit"
	"github.com/ivrd/ivrd/ivr"
)

// notes says, in every schedule answer, what the mapping changed: a
// Wazo user reading the answer learns it without reading ivrd's README.
const notes = "ivrd: name is the ivrd schedule id; hours_end 23:59 is the end of the day; exceptional periods recur every year in Wazo and are stored as dated holidays for this year and the next four; they close whole days, play their sound, then follow closed_destination; holidays made through the native API are shown by the month and day of their first year"

// Period is an open or exceptional period as confd shows it.
type Period struct {
	HoursStart  string       `json:"hours_start"`
	HoursEnd    string       `json:"hours_end"`
	WeekDays    []int        `json:"week_days"`
	MonthDays   []int        `json:"month_days"`
	Months      []int        `json:"months"`
	Destination *Destination `json:"destination,omitempty"`
}

// Schedule is a stored schedule as confd returns it, with the incalls it
// is attached to.
type Schedule struct {
	ID                 int64       `json:"id"`
	Name               string      `json:"name"`
	Timezone           string      `json:"timezone"`
	Enabled            bool        `json:"enabled"`
	OpenPeriods        []Period    `json:"open_periods"`
	ExceptionalPeriods []Period    `json:"exceptional_periods"`
	ClosedDestination  Destination `json:"closed_destination"`
	Incalls            []incallRef `json:"incalls"`
	Users              []struct{}  `json:"users"`
	Groups             []struct{}  `json:"groups"`
	Queues             []struct{}  `json:"queues"`
	Outcalls           []struct{}  `json:"outcalls"`
	IvrdID             string      `json:"ivrd_id"`
	IvrdNotes          string      `json:"ivrd_notes"`
}

// exten is an extension as confd shows it in an incall.
type exten struct {
	ID      int64  `json:"id"`
	Exten   string `json:"exten"`
	Context string `json:"context"`
}

type incallRef struct {
	ID         int64   `json:"id"`
	Extensions []exten `json:"extensions"`
}

type scheduleRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Incall is confd's incall: the numbers (extensions) that reach an IVR.
// An IVR's number that no incall was made for through this API is an
// incall of its own whose id is the number.
type Incall struct {
	ID          int64         `json:"id"`
	Extensions  []exten       `json:"extensions"`
	Destination Destination   `json:"destination"`
	Schedules   []scheduleRef `json:"schedules"`
	IvrdIVR     string        `json:"ivrd_ivr"`
}

func falsePtr() *bool { f := false; return &f }

var dayNum = map[string]int{"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}

// openPeriod reads an ivrd open range ("mon-fri 09:00-17:00", "daily
// 08:00-20:00", "22:00-06:00") as a Wazo open period.
func openPeriod(spec string) Period {
	f := strings.Fields(strings.ToLower(spec))
	if len(f) == 1 {
		f = []string{"daily", f[0]}
	}
	days := []int{}
	if len(f) == 2 && f[0] != "daily" && f[0] != "all" {
		for _, part := range strings.Split(f[0], ",") {
			a, b, isRange := strings.Cut(part, "-")
			if !isRange {
				b = a
			}
			for d := dayNum[a]; d != 0; d = d%7 + 1 {
				days = append(days, d)
				if d == dayNum[b] {
					break
				}
			}
		}
		slices.Sort(days)
		days = slices.Compact(days)
	} else {
		days = []int{1, 2, 3, 4, 5, 6, 7}
	}
	var start, end string
	if len(f) == 2 {
		start, end, _ = strings.Cut(f[1], "-")
	}
	if end == "24:00" {
		end = "23:59" // as confd writes the end of the day
	}
	return Period{HoursStart: start, HoursEnd: end, WeekDays: days, MonthDays: allInts(1, 31), Months: allInts(1, 12)}
}

func allInts(lo, hi int) []int {
	out := make([]int, 0, hi-lo+1)
	for i := lo; i <= hi; i++ {
		out = append(out, i)
	}
	return out
}

// exceptionalPeriods groups the holidays by name (one Wazo period was
// written out as several dates) and shows the first year's months and
// days, which is the recurring rule.
func exceptionalPeriods(s *edit.Schedule) []Period {
	type group struct {
		year   string
		pairs  []int // month*100 + day
		prompt string
	}
	var order []string
	groups := map[string]*group{}
	for _, h := range s.Holidays {
		from, to, _ := strings.Cut(h.Date, "..")
		if to == "" {
			to = from
		}
		a, err1 := time.Parse("2006-01-02", from)
		b, err2 := time.Parse("2006-01-02", to)
		if err1 != nil || err2 != nil {
			continue
		}
		key := h.Name
		if key == "" {
			key = h.Date
		}
		g := groups[key]
		if g == nil {
			g = &group{year: from[:4], prompt: h.Prompt}
			groups[key] = g
			order = append(order, key)
		}
		if from[:4] != g.year {
			continue
		}
		for d := a; !d.After(b); d = d.AddDate(0, 0, 1) {
			g.pairs = append(g.pairs, int(d.Month())*100+d.Day())
		}
	}
	out := []Period{}
	for _, k := range order {
		g := groups[k]
		dest := Destination{Type: "hangup"}
		if g.prompt != "" {
			dest = Destination{Type: "sound", Filename: g.prompt}
		} else if s.Closed.Prompt != "" {
			dest = Destination{Type: "sound", Filename: s.Closed.Prompt}
		}
		for _, md := range monthsByDays(g.pairs) {
			d := dest
			out = append(out, Period{HoursStart: "00:00", HoursEnd: "23:59", WeekDays: allInts(1, 7),
				MonthDays: md[1], Months: md[0], Destination: &d})
		}
	}
	return out
}

// monthsByDays writes (month, day) pairs as Wazo periods (months × month
// days): one period when the pairs are exactly such a product (what this
// API stores), else one per month, so that a holiday across a month's end
// is not shown as more days than it closes.
func monthsByDays(pairs []int) [][2][]int {
	slices.Sort(pairs)
	pairs = slices.Compact(pairs)
	var months, days []int
	for _, p := range pairs {
		months, days = append(months, p/100), append(days, p%100)
	}
	slices.Sort(months)
	slices.Sort(days)
	months, days = slices.Compact(months), slices.Compact(days)
	if len(months)*len(days) == len(pairs) {
		return [][2][]int{{months, days}}
	}
	var out [][2][]int
	for _, m := range months {
		var md []int
		for _, p := range pairs {
			if p/100 == m {
				md = append(md, p%100)
			}
		}
		out = append(out, [2][]int{{m}, md})
	}
	return out
}

// view is a stored schedule as confd returns it.
func view(id string, s *edit.Schedule, wld world) Schedule {
	dest := Destination{Type: "none"}
	if then := s.Closed.Then; then != nil {
		switch {
		case then.Word != "":
			dest = Destination{Type: "hangup", Cause: "normal"}
		case then.Kind() == ivr.KindIVR:
			n := IVRID(then.Target())
			dest = Destination{Type: "ivr", IVRID: &n}
		}
	}
	if s.Closed.Prompt != "" {
		dest = Destination{Type: "sound", Filename: s.Closed.Prompt, Skip: falsePtr(), NoAnswer: falsePtr()}
	}
	open := []Period{}
	for _, sp := range s.Open {
		open = append(open, openPeriod(sp))
	}
	tz := s.Timezone
	if tz == "" {
		tz = "UTC"
	}
	incalls := []incallRef{}
	for _, inc := range wld.incalls() {
		if inc.schedule == id {
			incalls = append(incalls, incallRef{ID: inc.id, Extensions: inc.extens()})
		}
	}
	name := s.Name
	if name == "" {
		name = id
	}
	return Schedule{ID: ScheduleID(id), Name: name, Timezone: tz, Enabled: true, OpenPeriods: open,
		ExceptionalPeriods: exceptionalPeriods(s), ClosedDestination: dest, Incalls: incalls,
		Users: []struct{}{}, Groups: []struct{}{}, Queues: []struct{}{}, Outcalls: []struct{}{}, IvrdID: id, IvrdNotes: notes}
}
