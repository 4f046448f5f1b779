package wazo

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ivrd/ivrd/api/edit"
	"github.com/ivrd/ivrd/store"
)

// defaultContext is the context shown for an IVR number that no
// extension was made for through this API (ivrd answers a number
// whatever the caller's context).
const defaultContext = "from-extern"

// numberRec is one of an IVR's numbers seen as a confd extension.
type numberRec struct {
	id             int64
	exten, context string
	incall         int64 // 0: none
	ivr            string
	schedule       string // the number's own schedule (number_schedules), "" if none
}

// incallRec is an incall: the IVR it reaches and its numbers.
type incallRec struct {
	id       int64
	ivr      string
	schedule string
	numbers  []numberRec
}

func (inc *incallRec) extens() []exten {
	out := []exten{}
	for _, n := range inc.numbers {
		out = append(out, exten{n.id, n.exten, n.context})
	}
	return out
}

// extensionID is the id of an extension: stable, from its exten and
// context (stored in number_info when associated, never recomputed).
func extensionID(context, ext string) int64 { return edit.IntID("extension", context+"/"+ext) }

// legacyIncall is the incall id of an IVR number no incall was made for:
// the number itself when it is all digits.
func legacyIncall(n string) int64 {
	v, err := strconv.ParseInt(n, 10, 64)
	if err != nil || v <= 0 || strconv.FormatInt(v, 10) != n {
		return 0
	}
	return v
}

// numbers are every IVR's numbers as extensions.
func (wld world) numbers() []numberRec {
	var out []numberRec
	for _, iv := range wld.ivrs {
		for _, n := range iv.Body.Extensions {
			rec := numberRec{exten: n, context: defaultContext, ivr: iv.ID, schedule: iv.Body.NumberSchedules[n]}
			if info := iv.Body.NumberInfo[n]; info != nil {
				if info.Context != "" {
					rec.context = info.Context
				}
				rec.id, rec.incall = info.Extension, info.Incall
			}
			if rec.id == 0 {
				rec.id = extensionID(rec.context, n)
			}
			if rec.incall == 0 {
				rec.incall = legacyIncall(n)
			}
			out = append(out, rec)
		}
	}
	return out
}

// incalls are the stored incalls (by their numbers) then the pending
// ones, in a stable order. An incall's schedule is its numbers' own
// (number_schedules: it screens calls to them only, as Wazo's does); an
// IVR-wide schedule shows on its incalls where they have none (as ivrd
// before number schedules stored an attached one).
func (wld world) incalls() []incallRec {
	known := func(sid string) bool {
		return sid != "" && slices.ContainsFunc(wld.scheds, func(s edit.Item[edit.Schedule]) bool { return s.ID == sid })
	}
	sched := map[string]string{}
	for _, iv := range wld.ivrs {
		if known(iv.Body.Schedule) {
			sched[iv.ID] = iv.Body.Schedule
		}
	}
	var out []incallRec
	at := map[int64]int{}
	for _, n := range wld.numbers() {
		if n.incall == 0 {
			continue
		}
		i, ok := at[n.incall]
		if !ok {
			i = len(out)
			at[n.incall] = i
			out = append(out, incallRec{id: n.incall, ivr: n.ivr, schedule: sched[n.ivr]})
		}
		if known(n.schedule) {
			out[i].schedule = n.schedule
		}
		out[i].numbers = append(out[i].numbers, n)
	}
	ids := make([]int64, 0, len(wld.pinc))
	for id := range wld.pinc {
		if _, stored := at[id]; !stored {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		p := wld.pinc[id]
		sch := sched[p.ivr]
		if known(p.schedule) {
			sch = p.schedule
		}
		out = append(out, incallRec{id: id, ivr: p.ivr, schedule: sch})
	}
	return out
}

// findIncall finds the incall raw names (404 as confd answers it).
func (wld world) findIncall(w http.ResponseWriter, raw string) (incallRec, bool) {
	return findByID(w, "Incall", raw, wld.incalls(), func(inc incallRec) int64 { return inc.id })
}

// findByID finds the item of list whose id raw names, else answers 404
// the way confd does, naming the kind ("Incall", "Extension", "IVR").
func findByID[T any](w http.ResponseWriter, kind, raw string, list []T, id func(T) int64) (T, bool) {
	if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
		for _, it := range list {
			if id(it) == n {
				return it, true
			}
		}
	}
	WriteError(w, http.StatusNotFound, fmt.Sprintf("Resource Not Found - %s was not found ('id': %s)", kind, raw))
	var none T
	return none, false
}

func (wld world) incallView(inc *incallRec) Incall {
	sch := []scheduleRef{}
	if inc.schedule != "" {
		sch = append(sch, scheduleRef{ScheduleID(inc.schedule), inc.schedule})
	}
	ivrID := IVRID(inc.ivr)
	return Incall{ID: inc.id, Extensions: inc.extens(), Destination: Destination{Type: "ivr", IVRID: &ivrID},
		Schedules: sch, IvrdIVR: inc.ivr}
}

func (a *API) listIncalls(w http.ResponseWriter, r *http.Request) {
	wld, ok := a.load(w, r)
	if !ok {
		return
	}
	items := []Incall{}
	for _, inc := range wld.incalls() {
		items = append(items, wld.incallView(&inc))
	}
	writeJSON(w, http.StatusOK, list[Incall]{items, len(items)})
}

func (a *API) getIncall(w http.ResponseWriter, r *http.Request) {
	wld, ok := a.load(w, r)
	if !ok {
		return
	}
	if inc, ok := wld.findIncall(w, r.PathValue("incall")); ok {
		writeJSON(w, http.StatusOK, wld.incallView(&inc))
	}
}

// incallIn is the body of POST and PUT /incalls.
type incallIn struct {
	Destination *Destination `json:"destination"`
}

// gotoIVR reads a custom destination's command: Goto(CONTEXT,s,1), the
// seed's way to send a call into a dialplan context, where CONTEXT is an
// ivrd IVR's id (letters, digits, _ . -); ok is false for anything else.
func gotoIVR(command string) (context string, ok bool) {
	inner, found := strings.CutPrefix(strings.TrimSpace(command), "Goto(")
	if !found {
		return "", false
	}
	inner, found = strings.CutSuffix(strings.TrimSpace(inner), ")")
	if !found {
		return "", false
	}
	parts := strings.Split(inner, ",")
	if len(parts) != 3 || strings.TrimSpace(parts[1]) != "s" || strings.TrimSpace(parts[2]) != "1" {
		return "", false
	}
	context = strings.TrimSpace(parts[0])
	if context == "" || strings.ContainsFunc(context, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-')
	}) {
		return "", false
	}
	return context, true
}

// readIncall decodes an incall body and finds the IVR its destination
// reaches; on an error the answer is written.
func (a *API) readIncall(w http.ResponseWriter, r *http.Request, wld world) (string, bool) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		WriteError(w, http.StatusRequestEntityTooLarge, "Input Error - the body is too large or could not be read: "+err.Error())
		return "", false
	}
	in, field, err := decodeStrict[incallIn](data)
	if err == nil {
		field, err = "destination", errors.New("missing data for required field")
		if in.Destination != nil {
			var target string
			target, field, err = wld.destinationIVR(in.Destination)
			if err == nil {
				return target, true
			}
		}
	}
	inputError(w, field, err.Error())
	return "", false
}

// destinationIVR is the ivrd IVR an incall's destination reaches.
func (wld world) destinationIVR(d *Destination) (string, string, error) {
	has := func(id string) bool {
		return slices.ContainsFunc(wld.ivrs, func(iv edit.Item[edit.IVR]) bool { return iv.ID == id })
	}
	switch d.Type {
	case "ivr":
		if d.IVRID == nil {
			return "", "destination.ivr_id", errors.New("missing data for required field")
		}
		for _, iv := range wld.ivrs {
			if IVRID(iv.ID) == *d.IVRID {
				return iv.ID, "", nil
			}
		}
		return "", "destination.ivr_id", fmt.Errorf("IVR was not found ('id': %d); GET /ivr lists them", *d.IVRID)
	case "custom":
		target, ok := gotoIVR(d.Command)
		if !ok {
			return "", "destination.command", fmt.Errorf("%q: ivrd runs no dialplan; a custom destination must be Goto(IVR,s,1) naming an ivrd IVR's id", d.Command)
		}
		if !has(target) {
			return "", "destination.command", fmt.Errorf("%q: no ivrd IVR has the id %q", d.Command, target)
		}
		return target, "", nil
	case "":
		return "", "destination.type", errors.New("missing data for required field")
	}
	return "", "destination.type", fmt.Errorf("%q: an ivrd incall reaches an IVR (types ivr, and custom with Goto(IVR,s,1))", d.Type)
}

func (a *API) createIncall(w http.ResponseWriter, r *http.Request) {
	wld, ok := a.load(w, r)
	if !ok {
		return
	}
	target, ok := a.readIncall(w, r, wld)
	if !ok {
		return
	}
	stored := wld.incalls()
	id, ok := a.pend.addIncall(target, func(n int64) bool {
		return slices.ContainsFunc(stored, func(inc incallRec) bool { return inc.id == n })
	}, time.Now())
	if !ok {
		WriteError(w, http.StatusTooManyRequests, fmt.Sprintf("Resource Error - %d incalls with no extension are held already; associate or delete some", pendingMax))
		return
	}
	inc := incallRec{id: id, ivr: target}
	for _, iv := range wld.ivrs {
		if iv.ID == target && slices.ContainsFunc(wld.scheds, func(s edit.Item[edit.Schedule]) bool { return s.ID == iv.Body.Schedule }) {
			inc.schedule = iv.Body.Schedule
		}
	}
	writeJSON(w, http.StatusCreated, wld.incallView(&inc))
}

// putIncall changes where the incall leads: its numbers move to the new
// IVR.
func (a *API) putIncall(w http.ResponseWriter, r *http.Request) {
	wld, ok := a.load(w, r)
	if !ok {
		return
	}
	inc, ok := wld.findIncall(w, r.PathValue("incall"))
	if !ok {
		return
	}
	target, ok := a.readIncall(w, r, wld)
	if !ok {
		return
	}
	if len(inc.numbers) == 0 {
		a.pend.setIncall(inc.id, target, inc.schedule, time.Now())
	} else if target != inc.ivr {
		if err := a.moveNumbers(r, &inc, target); err != nil {
			a.storeError(w, r, err)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// moveNumbers takes the incall's numbers off its IVR and gives them, with
// what is kept about them, to target.
func (a *API) moveNumbers(r *http.Request, inc *incallRec, target string) error {
	if err := a.removeNumbers(r, inc.ivr, inc.numbers); err != nil {
		return err
	}
	add := func(ivrID string) error {
		_, err := edit.Update(r.Context(), a.st, a.who(r), store.IVRs, ivrID, 0, func(m *edit.IVR) error {
			for _, n := range inc.numbers {
				addNumber(m, n, inc.id, n.schedule)
			}
			return nil
		})
		return err
	}
	err := add(target)
	if err != nil {
		// The target refused them (a number it cannot take): they go back
		// where they were, so that a refused PUT changes nothing.
		if back := add(inc.ivr); back != nil {
			a.log.Error("wazo: numbers of an incall not given back", "incall", inc.id, "ivr", inc.ivr, "err", back)
		}
	}
	return err
}

// addNumber gives m the number with what is kept about it, and the
// incall's schedule if it has one.
func addNumber(m *edit.IVR, n numberRec, incall int64, schedule string) {
	if !slices.Contains(m.Extensions, n.exten) {
		m.Extensions = append(m.Extensions, n.exten)
	}
	if m.NumberInfo == nil {
		m.NumberInfo = map[string]*edit.NumberInfo{}
	}
	m.NumberInfo[n.exten] = &edit.NumberInfo{Extension: n.id, Incall: incall, Context: n.context}
	setNumberSchedule(m, n.exten, schedule)
}

// setNumberSchedule sets (or, with "", removes) the number's schedule.
func setNumberSchedule(m *edit.IVR, number, schedule string) {
	if schedule == "" {
		delete(m.NumberSchedules, number)
		if len(m.NumberSchedules) == 0 {
			m.NumberSchedules = nil
		}
		return
	}
	if m.NumberSchedules == nil {
		m.NumberSchedules = map[string]string{}
	}
	m.NumberSchedules[number] = schedule
}

// removeNumbers takes numbers off an IVR with what is kept about them.
func (a *API) removeNumbers(r *http.Request, ivrID string, numbers []numberRec) error {
	_, err := edit.Update(r.Context(), a.st, a.who(r), store.IVRs, ivrID, 0, func(m *edit.IVR) error {
		for _, n := range numbers {
			m.Extensions = slices.DeleteFunc(m.Extensions, func(e string) bool { return e == n.exten })
			delete(m.NumberInfo, n.exten)
			setNumberSchedule(m, n.exten, "")
		}
		if len(m.NumberInfo) == 0 {
			m.NumberInfo = nil
		}
		return nil
	})
	return err
}

// deleteIncall removes the incall: its numbers no longer reach the IVR;
// as in confd, its extensions stay (unassociated).
func (a *API) deleteIncall(w http.ResponseWriter, r *http.Request) {
	wld, ok := a.load(w, r)
	if !ok {
		return
	}
	inc, ok := wld.findIncall(w, r.PathValue("incall"))
	if !ok {
		return
	}
	if len(inc.numbers) > 0 {
		if err := a.removeNumbers(r, inc.ivr, inc.numbers); err != nil {
			a.storeError(w, r, err)
			return
		}
		for _, n := range inc.numbers {
			a.pend.addExten(n.id, n.exten, n.context, time.Now())
		}
	}
	a.pend.dropIncall(inc.id)
	w.WriteHeader(http.StatusNoContent)
}

// associate makes the extension's exten a number of the incall's IVR.
func (a *API) associate(w http.ResponseWriter, r *http.Request) {
	wld, ok := a.load(w, r)
	if !ok {
		return
	}
	inc, ok := wld.findIncall(w, r.PathValue("incall"))
	if !ok {
		return
	}
	n, ok := wld.findExtension(w, r.PathValue("ext"))
	if !ok {
		return
	}
	if n.incall == inc.id {
		w.WriteHeader(http.StatusNoContent) // already associated: nothing changes
		return
	}
	if n.ivr != "" {
		WriteError(w, http.StatusBadRequest, usedError(&n))
		return
	}
	_, err := edit.Update(r.Context(), a.st, a.who(r), store.IVRs, inc.ivr, 0, func(m *edit.IVR) error {
		addNumber(m, n, inc.id, inc.schedule)
		return nil
	})
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	a.pend.dropExten(n.id)
	a.pend.dropIncall(inc.id)
	w.WriteHeader(http.StatusNoContent)
}

// usedError is confd's refusal of an extension an incall (or, for a
// number with no incall, an IVR) uses.
func usedError(n *numberRec) string {
	if n.incall == 0 {
		return fmt.Sprintf("Resource Error - Extension is used by the ivrd IVR %q ('extension_id': %d)", n.ivr, n.id)
	}
	return fmt.Sprintf("Resource Error - Extension is associated with an Incall ('extension_id': %d, 'incall_id': %d)", n.id, n.incall)
}

// dissociate takes the number off the IVR; the incall and the extension
// stay.
func (a *API) dissociate(w http.ResponseWriter, r *http.Request) {
	wld, ok := a.load(w, r)
	if !ok {
		return
	}
	inc, ok := wld.findIncall(w, r.PathValue("incall"))
	if !ok {
		return
	}
	n, ok := wld.findExtension(w, r.PathValue("ext"))
	if !ok {
		return
	}
	if n.incall != inc.id || n.ivr == "" {
		w.WriteHeader(http.StatusNoContent) // not associated: nothing changes
		return
	}
	if err := a.removeNumbers(r, inc.ivr, []numberRec{n}); err != nil {
		a.storeError(w, r, err)
		return
	}
	now := time.Now()
	a.pend.addExten(n.id, n.exten, n.context, now)
	if len(inc.numbers) == 1 {
		a.pend.setIncall(inc.id, inc.ivr, inc.schedule, now)
	}
	w.WriteHeader(http.StatusNoContent)
}
