package wazo

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

	"github.com/ivrd/ivrd/api/edit"
	"github.com/ivrd/ivrd/store"
)

// world is every schedule and IVR, read once per request, and the
// incalls and extensions not yet associated.
type world struct {
	scheds []edit.Item[edit.Schedule]
	ivrs   []edit.Item[edit.IVR]
	pinc   map[int64]pendingIncall
	pext   map[int64]pendingExten
}

func (a *API) load(w http.ResponseWriter, r *http.Request) (world, bool) {
	scheds, err := edit.List[edit.Schedule](r.Context(), a.st, store.Schedules)
	var ivrs []edit.Item[edit.IVR]
	if err == nil {
		ivrs, err = edit.List[edit.IVR](r.Context(), a.st, store.IVRs)
	}
	if err != nil {
		a.log.Error("wazo", "err", err)
		WriteError(w, http.StatusInternalServerError, "Internal Error")
		return world{}, false
	}
	pinc, pext := a.pend.snapshot(time.Now())
	return world{scheds, ivrs, pinc, pext}, true
}

// find finds the schedule the path's integer id names (404 as confd
// answers it otherwise).
func (wld world) find(w http.ResponseWriter, r *http.Request) (*edit.Item[edit.Schedule], bool) {
	raw := r.PathValue("id")
	n, err := strconv.ParseInt(raw, 10, 64)
	for i := range wld.scheds {
		if err == nil && ScheduleID(wld.scheds[i].ID) == n {
			return &wld.scheds[i], true
		}
	}
	WriteError(w, http.StatusNotFound, fmt.Sprintf("Resource Not Found - Schedule was not found ('id': %s)", raw))
	return nil, false
}

type list[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

func (a *API) listSchedules(w http.ResponseWriter, r *http.Request) {
	wld, ok := a.load(w, r)
	if !ok {
		return
	}
	items := []Schedule{}
	for _, s := range wld.scheds {
		items = append(items, view(s.ID, &s.Body, wld))
	}
	writeJSON(w, http.StatusOK, list[Schedule]{items, len(items)})
}

func (a *API) getSchedule(w http.ResponseWriter, r *http.Request) {
	wld, ok := a.load(w, r)
	if !ok {
		return
	}
	if s, ok := wld.find(w, r); ok {
		writeJSON(w, http.StatusOK, view(s.ID, &s.Body, wld))
	}
}

var notID = regexp.MustCompile(`[^a-z0-9_-]+`)

func (a *API) createSchedule(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		WriteError(w, http.StatusRequestEntityTooLarge, "Input Error - the body is too large or could not be read: "+err.Error())
		return
	}
	ws, field, err := decodeSchedule(data)
	if err != nil {
		inputError(w, field, err.Error())
		return
	}
	wld, ok := a.load(w, r)
	if !ok {
		return
	}
	// The ivrd id is the name made an identifier; a name taken gets -2, -3.
	base := strings.Trim(notID.ReplaceAllString(strings.ToLower(ws.Name), "-"), "-")
	if base == "" {
		base = "schedule"
	}
	id := base
	for i := 2; slices.ContainsFunc(wld.scheds, func(s edit.Item[edit.Schedule]) bool { return s.ID == id }); i++ {
		id = base + "-" + strconv.Itoa(i)
	}
	sched, field, err := ws.toIVRD(id, time.Now(), func(n int64) (string, bool) {
		for _, iv := range wld.ivrs {
			if IVRID(iv.ID) == n {
				return iv.ID, true
			}
		}
		return "", false
	})
	if err != nil {
		inputError(w, field, err.Error())
		return
	}
	body, err := edit.Encode(sched)
	if err == nil {
		_, err = a.st.Create(r.Context(), a.who(r), store.Schedules, body)
	}
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, view(id, sched, wld))
}

// storeError answers a store refusal as confd would: 400 with the
// problems, 404, 409 for a write that lost every retry.
func (a *API) storeError(w http.ResponseWriter, r *http.Request, err error) {
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
		WriteError(w, http.StatusBadRequest, "Input Error - "+err.Error())
	case errors.Is(err, store.ErrNotFound):
		WriteError(w, http.StatusNotFound, "Resource Not Found - "+err.Error())
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrExists):
		WriteError(w, http.StatusConflict, "Conflict - another change was made at the same time; try again")
	default:
		a.internal(w, r, err)
	}
}

func (a *API) deleteSchedule(w http.ResponseWriter, r *http.Request) {
	wld, ok := a.load(w, r)
	if !ok {
		return
	}
	s, ok := wld.find(w, r)
	if !ok {
		return
	}
	// Wazo detaches a deleted schedule from its incalls; ivrd refuses to
	// delete a schedule an IVR names, so the IVRs are detached first.
	if err := a.setSchedules(r, wld.ivrs, func(m *edit.IVR) bool {
		changed := false
		if m.Schedule == s.ID {
			m.Schedule, changed = "", true
		}
		for n, sid := range m.NumberSchedules {
			if sid == s.ID {
				setNumberSchedule(m, n, "")
				changed = true
			}
		}
		return changed
	}); err != nil {
		a.storeError(w, r, err)
		return
	}
	a.pend.dropSchedule(s.ID)
	if _, err := a.st.Delete(r.Context(), a.who(r), store.Schedules, s.ID, 0); err != nil {
		a.storeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// errUnchanged ends an Update that has nothing to write.
var errUnchanged = errors.New("unchanged")

// setSchedules applies change to every IVR it reports changed, through
// edit.Update (re-read and re-applied on a concurrent write).
func (a *API) setSchedules(r *http.Request, ivrs []edit.Item[edit.IVR], change func(*edit.IVR) bool) error {
	for _, iv := range ivrs {
		_, err := edit.Update(r.Context(), a.st, a.who(r), store.IVRs, iv.ID, 0, func(m *edit.IVR) error {
			if !change(m) {
				return errUnchanged
			}
			return nil
		})
		if err != nil && !errors.Is(err, errUnchanged) {
			return err
		}
	}
	return nil
}

func (a *API) attach(w http.ResponseWriter, r *http.Request) { a.incallSchedule(w, r, true) }
func (a *API) detach(w http.ResponseWriter, r *http.Request) { a.incallSchedule(w, r, false) }

// incallSchedule sets (or clears) the schedule of the incall's numbers;
// the next call to one of them is screened by it.
func (a *API) incallSchedule(w http.ResponseWriter, r *http.Request, attach bool) {
	wld, ok := a.load(w, r)
	if !ok {
		return
	}
	inc, ok := wld.findIncall(w, r.PathValue("incall"))
	if !ok {
		return
	}
	incall := strconv.FormatInt(inc.id, 10)
	target, current := inc.ivr, inc.schedule
	sched, ok := wld.find(w, r)
	if !ok {
		return
	}
	if attach && current != "" {
		// confd refuses a second schedule on an incall (detach first).
		WriteError(w, http.StatusBadRequest, fmt.Sprintf("Resource Error - Incall is associated with a Schedule ('incall_id': %s, 'schedule_id': %d)", incall, ScheduleID(current)))
		return
	}
	newSched := ""
	if attach {
		newSched = sched.ID
	} else if current != sched.ID {
		w.WriteHeader(http.StatusNoContent) // detaching a schedule that is not attached changes nothing
		return
	}
	if len(inc.numbers) == 0 {
		// No number reaches the incall yet: it is held here, and the
		// numbers associated with it later get the schedule.
		a.pend.setSchedule(inc.id, newSched)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	// The schedule goes on the incall's numbers only: calls to the IVR's
	// other numbers (an internal extension) are not screened, as in Wazo.
	err := a.setSchedules(r, wld.ivrs, func(m *edit.IVR) bool {
		if m.ID != target {
			return false
		}
		for _, n := range inc.numbers {
			setNumberSchedule(m, n.exten, newSched)
		}
		if !attach && m.Schedule == sched.ID {
			m.Schedule = "" // attached by an ivrd from before number schedules
		}
		return true
	})
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
