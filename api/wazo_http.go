package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ivrd/ivrd/store"
)

// wazoNotes says, in every schedule answer, what the mapping changed: a
// Wazo user reading the answer learns it without reading ivrd's README.
const wazoNotes = "ivrd: name is the ivrd schedule id; hours_end 23:59 is the end of the day; exceptional periods recur every year in Wazo and are stored as dated holidays for this year and the next four; they close whole days, play their sound, then follow closed_destination; holidays made through the native API are shown by the month and day of their first year"

var dayNum = map[string]int{"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}

// openPeriod reads an ivrd open range ("mon-fri 09:00-17:00", "daily
// 08:00-20:00", "22:00-06:00") as a Wazo open period.
func openPeriod(spec string) map[string]any {
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
	return map[string]any{"hours_start": start, "hours_end": end, "week_days": days,
		"month_days": allInts(1, 31), "months": allInts(1, 12)}
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
func exceptionalPeriods(body map[string]any, closed map[string]any) []any {
	hs, _ := body["holidays"].([]any)
	type group struct {
		year   string
		pairs  []int // month*100 + day
		prompt string
	}
	var order []string
	groups := map[string]*group{}
	for _, h := range hs {
		hm, _ := h.(map[string]any)
		name, date := str(hm, "name"), str(hm, "date")
		from, to, _ := strings.Cut(date, "..")
		if to == "" {
			to = from
		}
		a, err1 := time.Parse("2006-01-02", from)
		b, err2 := time.Parse("2006-01-02", to)
		if err1 != nil || err2 != nil {
			continue
		}
		key := name
		if key == "" {
			key = date
		}
		g := groups[key]
		if g == nil {
			g = &group{year: from[:4], prompt: str(hm, "prompt")}
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
	out := []any{}
	for _, k := range order {
		g := groups[k]
		dest := map[string]any{"type": "hangup"}
		if g.prompt != "" {
			dest = map[string]any{"type": "sound", "filename": g.prompt}
		} else if p := str(closed, "prompt"); p != "" {
			dest = map[string]any{"type": "sound", "filename": p}
		}
		for _, md := range monthsByDays(g.pairs) {
			out = append(out, map[string]any{"hours_start": "00:00", "hours_end": "23:59", "week_days": allInts(1, 7),
				"month_days": md[1], "months": md[0], "destination": dest})
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

// wazoView is a stored schedule as confd returns it, with the incalls it
// is attached to.
func wazoView(res store.Resource, ivrs []store.Resource) map[string]any {
	body := res.Body
	closed, _ := body["closed"].(map[string]any)
	dest := map[string]any{"type": "none"}
	switch then := closed["then"].(type) {
	case map[string]any:
		if t := str(then, "ivr"); t != "" {
			dest = map[string]any{"type": "ivr", "ivr_id": zdID("ivr", t)}
		}
	case string:
		dest = map[string]any{"type": "hangup", "cause": "normal"}
	}
	if p := str(closed, "prompt"); p != "" {
		dest = map[string]any{"type": "sound", "filename": p, "skip": false, "no_answer": false}
	}
	open := []any{}
	specs, _ := body["open"].([]any)
	for _, sp := range specs {
		if s, ok := sp.(string); ok {
			open = append(open, openPeriod(s))
		}
	}
	tz := str(body, "timezone")
	if tz == "" {
		tz = "UTC"
	}
	incalls := []any{}
	for _, iv := range ivrs {
		if str(iv.Body, "schedule") != res.ID {
			continue
		}
		for _, n := range incallNumbers(iv.Body) {
			incalls = append(incalls, map[string]any{"id": n, "extensions": []any{map[string]any{"exten": strconv.FormatInt(n, 10)}}})
		}
	}
	return map[string]any{"id": scheduleID(res.ID), "name": res.ID, "timezone": tz, "enabled": true,
		"open_periods": open, "exceptional_periods": exceptionalPeriods(body, closed), "closed_destination": dest,
		"incalls": incalls, "users": []any{}, "groups": []any{}, "queues": []any{}, "outcalls": []any{},
		"ivrd_id": res.ID, "ivrd_notes": wazoNotes}
}

// incallNumbers are an IVR's all-digit extensions: each is an incall, its
// id the number (the IVR's other numbers, "s" or "+44…", are not).
func incallNumbers(body map[string]any) []int64 {
	var out []int64
	exts, _ := body["extensions"].([]any)
	for _, e := range exts {
		s, _ := e.(string)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 && strconv.FormatInt(n, 10) == s {
			out = append(out, n)
		}
	}
	return out
}

func hasIncall(body map[string]any, incall string) bool {
	return slices.ContainsFunc(incallNumbers(body), func(n int64) bool { return strconv.FormatInt(n, 10) == incall })
}

func (s *Server) wazoLoad(w http.ResponseWriter, r *http.Request) ([]store.Resource, []store.Resource, bool) {
	scheds, err := s.st.List(r.Context(), store.Schedules)
	var ivrs []store.Resource
	if err == nil {
		ivrs, err = s.st.List(r.Context(), store.IVRs)
	}
	if err != nil {
		s.log.Error("wazo", "err", err)
		writeWazoError(w, http.StatusInternalServerError, "Internal Error")
		return nil, nil, false
	}
	return scheds, ivrs, true
}

// wazoSchedule finds the schedule the path's integer id names (404 as
// confd answers it otherwise).
func (s *Server) wazoFind(w http.ResponseWriter, r *http.Request, scheds []store.Resource) (store.Resource, bool) {
	raw := r.PathValue("id")
	n, err := strconv.ParseInt(raw, 10, 64)
	for _, res := range scheds {
		if err == nil && scheduleID(res.ID) == n {
			return res, true
		}
	}
	writeWazoError(w, http.StatusNotFound, fmt.Sprintf("Resource Not Found - Schedule was not found ('id': %s)", raw))
	return store.Resource{}, false
}

func (s *Server) wazoListSchedules(w http.ResponseWriter, r *http.Request) {
	scheds, ivrs, ok := s.wazoLoad(w, r)
	if !ok {
		return
	}
	items := []any{}
	for _, res := range scheds {
		items = append(items, wazoView(res, ivrs))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "total": len(items)})
}

func (s *Server) wazoGetSchedule(w http.ResponseWriter, r *http.Request) {
	scheds, ivrs, ok := s.wazoLoad(w, r)
	if !ok {
		return
	}
	if res, ok := s.wazoFind(w, r, scheds); ok {
		writeJSON(w, http.StatusOK, wazoView(res, ivrs))
	}
}

var notID = regexp.MustCompile(`[^a-z0-9_-]+`)

func (s *Server) wazoCreateSchedule(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		writeWazoError(w, http.StatusRequestEntityTooLarge, "Input Error - the body is too large or could not be read: "+err.Error())
		return
	}
	ws, field, err := decodeWazoSchedule(data)
	if err != nil {
		wazoInputError(w, field, err.Error())
		return
	}
	scheds, ivrs, ok := s.wazoLoad(w, r)
	if !ok {
		return
	}
	// The ivrd id is the name made an identifier; a name taken gets -2, -3.
	base := strings.Trim(notID.ReplaceAllString(strings.ToLower(ws.Name), "-"), "-")
	if base == "" {
		base = "schedule"
	}
	id := base
	for i := 2; slices.ContainsFunc(scheds, func(res store.Resource) bool { return res.ID == id }); i++ {
		id = base + "-" + strconv.Itoa(i)
	}
	body, field, err := ws.toIVRD(id, time.Now(), func(n int64) (string, bool) {
		for _, iv := range ivrs {
			if zdID("ivr", iv.ID) == n {
				return iv.ID, true
			}
		}
		return "", false
	})
	if err != nil {
		wazoInputError(w, field, err.Error())
		return
	}
	res, err := s.st.Create(r.Context(), who(r), store.Schedules, body)
	if err != nil {
		s.wazoStoreError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, wazoView(res.Resources[0], ivrs))
}

// wazoStoreError answers a store refusal as confd would: 400 with the
// problems, 404, 409 for a write that lost every retry.
func (s *Server) wazoStoreError(w http.ResponseWriter, r *http.Request, err error) {
	var verr *store.ValidationError
	switch {
	case errors.As(err, &verr):
		var msgs []string
		for _, p := range verr.Problems {
			if !p.Warning {
				msgs = append(msgs, "Input Error - "+p.String())
			}
		}
		writeJSON(w, http.StatusBadRequest, msgs)
	case errors.Is(err, store.ErrBadInput):
		writeWazoError(w, http.StatusBadRequest, "Input Error - "+err.Error())
	case errors.Is(err, store.ErrNotFound):
		writeWazoError(w, http.StatusNotFound, "Resource Not Found - "+err.Error())
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrExists):
		writeWazoError(w, http.StatusConflict, "Conflict - another change was made at the same time; try again")
	default:
		s.storeError(w, r, err)
	}
}

func (s *Server) wazoDeleteSchedule(w http.ResponseWriter, r *http.Request) {
	scheds, _, ok := s.wazoLoad(w, r)
	if !ok {
		return
	}
	res, ok := s.wazoFind(w, r, scheds)
	if !ok {
		return
	}
	// Wazo detaches a deleted schedule from its incalls; ivrd refuses to
	// delete a schedule an IVR names, so the IVRs are detached first.
	if err := s.setIVRSchedules(r, func(body map[string]any) bool {
		if str(body, "schedule") != res.ID {
			return false
		}
		delete(body, "schedule")
		return true
	}); err != nil {
		s.wazoStoreError(w, r, err)
		return
	}
	if _, err := s.st.Delete(r.Context(), who(r), store.Schedules, res.ID, 0); err != nil {
		s.wazoStoreError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// setIVRSchedules applies change to every IVR it reports changed,
// re-reading on a concurrent write.
func (s *Server) setIVRSchedules(r *http.Request, change func(map[string]any) bool) error {
	ivrs, err := s.st.List(r.Context(), store.IVRs)
	if err != nil {
		return err
	}
	for _, iv := range ivrs {
		for attempt := 0; ; attempt++ {
			body := mergePatch(iv.Body, map[string]any{})
			if !change(body) {
				break
			}
			_, err := s.st.Put(r.Context(), who(r), store.IVRs, iv.ID, body, iv.Version)
			if !errors.Is(err, store.ErrConflict) || attempt >= 10 {
				if err != nil {
					return err
				}
				break
			}
			if iv, err = s.st.Get(r.Context(), store.IVRs, iv.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Server) wazoListIncalls(w http.ResponseWriter, r *http.Request) {
	scheds, ivrs, ok := s.wazoLoad(w, r)
	if !ok {
		return
	}
	items := []any{}
	for _, iv := range ivrs {
		sch := []any{}
		if sid := str(iv.Body, "schedule"); sid != "" && slices.ContainsFunc(scheds, func(res store.Resource) bool { return res.ID == sid }) {
			sch = append(sch, map[string]any{"id": scheduleID(sid), "name": sid})
		}
		// The schedule is the IVR's: every number of it shows it.
		for _, n := range incallNumbers(iv.Body) {
			items = append(items, map[string]any{"id": n, "extensions": []any{map[string]any{"exten": strconv.FormatInt(n, 10)}},
				"destination": map[string]any{"type": "ivr", "ivr_id": zdID("ivr", iv.ID)}, "schedules": sch, "ivrd_ivr": iv.ID})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "total": len(items)})
}

func (s *Server) wazoAttach(w http.ResponseWriter, r *http.Request) { s.wazoIncallSchedule(w, r, true) }
func (s *Server) wazoDetach(w http.ResponseWriter, r *http.Request) {
	s.wazoIncallSchedule(w, r, false)
}

// wazoIncallSchedule sets (or clears) the schedule of the IVR the incall's
// number reaches; the next call to that number is screened by it.
func (s *Server) wazoIncallSchedule(w http.ResponseWriter, r *http.Request, attach bool) {
	scheds, ivrs, ok := s.wazoLoad(w, r)
	if !ok {
		return
	}
	incall := r.PathValue("incall")
	var target, current string
	for _, iv := range ivrs {
		if hasIncall(iv.Body, incall) {
			target, current = iv.ID, str(iv.Body, "schedule")
		}
	}
	if target == "" {
		writeWazoError(w, http.StatusNotFound, fmt.Sprintf("Resource Not Found - Incall was not found ('id': %s)", incall))
		return
	}
	sched, ok := s.wazoFind(w, r, scheds)
	if !ok {
		return
	}
	if attach && current != "" {
		// confd refuses a second schedule on an incall (detach first).
		writeWazoError(w, http.StatusBadRequest, fmt.Sprintf("Resource Error - Incall is associated with a Schedule ('incall_id': %s, 'schedule_id': %d)", incall, scheduleID(current)))
		return
	}
	err := s.setIVRSchedules(r, func(body map[string]any) bool {
		if !hasIncall(body, incall) {
			return false
		}
		if attach {
			body["schedule"] = sched.ID
			return true
		}
		if str(body, "schedule") != sched.ID {
			return false // detaching a schedule that is not attached changes nothing
		}
		delete(body, "schedule")
		return true
	})
	if err != nil {
		s.wazoStoreError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// addWazoPaths documents confd's routes (wazoToken: X-Auth-Token).
func addWazoPaths(paths, schemas obj) {
	ints := obj{"type": "array", "items": obj{"type": "integer"}}
	dest := obj{"type": "object", "required": []any{"type"}, "properties": obj{
		"type": obj{"type": "string", "description": "sound, hangup, none, ivr"}, "filename": obj{"type": "string"},
		"skip": obj{"type": "boolean"}, "no_answer": obj{"type": "boolean"}, "cause": obj{"type": "string"}, "ivr_id": obj{"type": "integer"}}}
	period := obj{"type": "object", "properties": obj{"hours_start": obj{"type": "string"}, "hours_end": obj{"type": "string"},
		"week_days":  obj{"type": "array", "description": "1 (Monday) to 7 (Sunday), or ranges \"1-5\"", "items": obj{"oneOf": []any{obj{"type": "integer"}, obj{"type": "string"}}}},
		"month_days": ints, "months": ints, "destination": ref("WazoDestination")}}
	schemas["WazoDestination"] = dest
	schemas["WazoPeriod"] = period
	schemas["WazoScheduleRequest"] = obj{"type": "object", "required": []any{"closed_destination"}, "additionalProperties": false, "properties": obj{
		"name": obj{"type": "string"}, "timezone": obj{"type": "string"}, "enabled": obj{"type": "boolean"},
		"open_periods":        obj{"type": "array", "items": ref("WazoPeriod")},
		"exceptional_periods": obj{"type": "array", "items": ref("WazoPeriod")}, "closed_destination": ref("WazoDestination")}}
	schemas["WazoSchedule"] = obj{"type": "object", "required": []any{"id", "name", "timezone", "open_periods", "exceptional_periods", "closed_destination", "incalls"},
		"properties": obj{"id": obj{"type": "integer"}, "name": obj{"type": "string"}, "timezone": obj{"type": "string"}, "enabled": obj{"type": "boolean"},
			"open_periods": obj{"type": "array", "items": ref("WazoPeriod")}, "exceptional_periods": obj{"type": "array", "items": ref("WazoPeriod")},
			"closed_destination": ref("WazoDestination"), "incalls": obj{"type": "array", "items": obj{"type": "object"}},
			"ivrd_id": obj{"type": "string"}, "ivrd_notes": obj{"type": "string", "description": "what the mapping onto an ivrd schedule changed"}}}
	schemas["WazoErrors"] = obj{"type": "array", "items": obj{"type": "string"}, "description": "confd's errors: sentences naming the field"}
	errs := func(codes ...string) obj {
		o := obj{}
		for _, c := range codes {
			o[c] = obj{"description": "confd error", "content": jsonContent(ref("WazoErrors"))}
		}
		return o
	}
	op := func(summary string, ok obj, more obj) obj {
		resp := errs("400", "401", "403", "404", "409", "413", "429")
		for k, v := range ok {
			resp[k] = v
		}
		o := obj{"summary": summary + " (Wazo confd; X-Auth-Token)", "security": []any{obj{"wazoToken": []any{}}}, "responses": resp}
		for k, v := range more {
			o[k] = v
		}
		return o
	}
	list := func(item string) obj {
		return obj{"200": obj{"description": "items and total", "content": jsonContent(obj{"type": "object", "required": []any{"items", "total"},
			"properties": obj{"items": obj{"type": "array", "items": itemSchema(item)}, "total": obj{"type": "integer"}}})}}
	}
	one := obj{"description": "the schedule", "content": jsonContent(ref("WazoSchedule"))}
	idParam := func(name string) obj {
		return obj{"name": name, "in": "path", "required": true, "schema": obj{"type": "string"}}
	}
	paths[wazoBase+"/schedules"] = obj{
		"get":  op("list schedules", list("WazoSchedule"), nil),
		"post": op("create a schedule", obj{"201": one}, obj{"requestBody": obj{"required": true, "content": jsonContent(ref("WazoScheduleRequest"))}})}
	paths[wazoBase+"/schedules/{id}"] = obj{"parameters": []any{idParam("id")},
		"get":    op("show a schedule", obj{"200": one}, nil),
		"delete": op("delete a schedule (detached from its incalls first)", obj{"204": obj{"description": "deleted"}}, nil)}
	paths[wazoBase+"/incalls"] = obj{"get": op("list incalls: IVRs a number reaches, id = that number", list(""), nil)}
	paths[wazoBase+"/incalls/{incall_id}/schedules/{id}"] = obj{"parameters": []any{idParam("incall_id"), idParam("id")},
		"put":    op("attach the schedule to the incall's IVR", obj{"204": obj{"description": "attached"}}, nil),
		"delete": op("detach it", obj{"204": obj{"description": "detached"}}, nil)}
}

func itemSchema(name string) obj {
	if name == "" {
		return obj{"type": "object"}
	}
	return ref(name)
}
