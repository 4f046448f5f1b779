package zendesk

import (
	"net/http"
	"strconv"

	"github.com/ivrd/ivrd/api/edit"
	"github.com/ivrd/ivrd/ivr"
)

// Route is an ivr_route as Zendesk shows it. Action is one of the seed's
// (group, voicemail, phone_number, textback, menu); a key whose
// destination Zendesk has no action for shows action null and the
// destination in ivrd_destination, in the native API's form.
type Route struct {
	ID              int64             `json:"id"`
	Keypress        string            `json:"keypress"`
	Action          *string           `json:"action"`
	Greeting        *string           `json:"greeting"`
	OptionText      string            `json:"option_text"`
	Options         Options           `json:"options"`
	OverflowOptions []Overflow        `json:"overflow_options"`
	IvrdDestination *edit.Destination `json:"ivrd_destination,omitempty"`
	IvrdNote        string            `json:"ivrd_note,omitempty"`
}

// Options are a route's options; which are set depends on the action.
type Options struct {
	GroupIDs              []int64  `json:"group_ids,omitempty"`
	PhoneNumber           string   `json:"phone_number,omitempty"`
	MenuID                int64    `json:"menu_id,omitempty"`
	SMSText               string   `json:"sms_text,omitempty"`
	TextbackPhoneNumberID int64    `json:"textback_phone_number_id,omitempty"`
	Tags                  []string `json:"tags,omitempty"`
}

// Overflow is one overflow_options entry: where a group route's call
// goes when the group does not answer (voicemail, phone_number, group),
// each entry the overflow of the one before.
type Overflow struct {
	Action  string  `json:"action"`
	Options Options `json:"options"`
}

// Menu is an IVR menu with its routes.
type Menu struct {
	ID       int64   `json:"id"`
	Name     string  `json:"name"`
	Default  bool    `json:"default"`
	Greeting *string `json:"greeting,omitempty"`
	Routes   []Route `json:"routes"`
}

// IVR is a Zendesk IVR: an ivrd IVR a number reaches.
type IVR struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Menus []Menu `json:"menus"`
}

func action(s string) *string { return &s }

func nameOr(m *edit.IVR, id string) string {
	if m != nil && m.Name != "" {
		return m.Name
	}
	return id
}

// greetingOf is what a menu plays first, as Zendesk names a greeting.
func greetingOf(m *edit.IVR) *string {
	switch {
	case m == nil:
		return nil
	case m.Greeting != "":
		return &m.Greeting
	case m.Prompt != "":
		return &m.Prompt
	}
	return nil
}

// route shows one key.
func (w *world) route(menu string, m *edit.IVR, key string) Route {
	d := m.Keys[key]
	rt := Route{ID: routeID(menu, m, key), Keypress: key, OverflowOptions: []Overflow{}}
	if !w.describe(&rt, d) {
		rt = Route{ID: rt.ID, Keypress: key, OverflowOptions: []Overflow{}, IvrdDestination: d,
			OptionText: string(d.Kind()) + " " + d.Target()}
		if d.Kind() == "" {
			rt.OptionText = "ivrd destination" // a kind this API does not know: see ivrd_destination
		}
		if d.Kind() == ivr.KindHangup || d.Kind() == ivr.KindRepeat || d.Kind() == ivr.KindBack || d.Kind() == ivr.KindTop || d.Kind() == ivr.KindMenu {
			rt.OptionText = string(d.Kind())
		}
		if d.Kind() == ivr.KindPlay {
			rt.Greeting = action(d.Target()) // a recorded answer: Zendesk's greeting route
		}
	}
	if info := m.KeyInfo[key]; info != nil && len(info.Tags) > 0 {
		rt.Options.Tags = info.Tags
	}
	return rt
}

// plain reports whether d has no field but its target (and overflow when
// allowed): only such destinations have a Zendesk form.
func plain(d *edit.Destination, overflow bool) bool {
	return d.Then == nil && d.Transfer == "" && d.RingTimeout == "" && d.Event == "" && d.Data == nil && len(d.Extra) == 0 &&
		(overflow || d.Overflow == nil)
}

// describe fills rt's action and options from d; false when Zendesk has
// no form for it.
func (w *world) describe(rt *Route, d *edit.Destination) bool {
	switch d.Kind() {
	case ivr.KindIVR:
		sub := d.Target()
		rt.Action, rt.Options, rt.OptionText = action("menu"), Options{MenuID: menuID(sub)}, nameOr(w.byID[sub], sub)
		rt.Greeting = greetingOf(w.byID[sub])
		return plain(d, false)
	case ivr.KindExternal:
		rt.Action, rt.Options, rt.OptionText = action("phone_number"), Options{PhoneNumber: d.Target()}, d.Target()
		return plain(d, false)
	case ivr.KindGroup:
		return w.groupRoute(rt, d)
	case ivr.KindVoicemail:
		o, ok := w.voicemailOption(d)
		rt.Action, rt.Options, rt.OptionText = action("voicemail"), o.Options, w.groupName(d.Target())
		return ok && d.Overflow == nil
	case ivr.KindWebhook:
		return textbackRoute(rt, d)
	}
	return false
}

func (a *API) listIVRs(w http.ResponseWriter, r *http.Request) {
	wld, err := a.load(r)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	out := []IVR{}
	for _, it := range wld.ivrs {
		if len(it.Body.Extensions) == 0 {
			continue
		}
		menus := []Menu{}
		for i, id := range wld.menus(it.ID) {
			mn := wld.menu(id)
			mn.Default = i == 0
			menus = append(menus, mn)
		}
		out = append(out, IVR{ID: menuID(it.ID), Name: nameOr(&it.Body, it.ID), Menus: menus})
	}
	writeJSON(w, http.StatusOK, struct {
		IVRs         []IVR   `json:"ivrs"`
		Count        int     `json:"count"`
		NextPage     *string `json:"next_page"`
		PreviousPage *string `json:"previous_page"`
	}{IVRs: out, Count: len(out)})
}

func (w *world) menu(id string) Menu {
	m := w.byID[id]
	routes := []Route{}
	for _, k := range sortedKeys(m.Keys) {
		routes = append(routes, w.route(id, m, k))
	}
	return Menu{ID: menuID(id), Name: nameOr(m, id), Greeting: greetingOf(m), Routes: routes}
}

func (a *API) listRoutes(w http.ResponseWriter, r *http.Request) {
	wld, err := a.load(r)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	p, ok := a.locate(w, r, wld, false)
	if !ok {
		return
	}
	q := r.URL.Query()
	perPage, page := 100, 1
	for _, pp := range []struct {
		name string
		v    *int
	}{{"per_page", &perPage}, {"page", &page}} {
		if v := q.Get(pp.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || (pp.name == "per_page" && n > 100) {
				WriteError(w, http.StatusBadRequest, "", pp.name+" "+strconv.Quote(v)+": want a positive integer (per_page at most 100)")
				return
			}
			*pp.v = n
		}
	}
	routes := wld.menu(p.menu).Routes
	start := min((page-1)*perPage, len(routes))
	end := min(start+perPage, len(routes))
	pageURL := func(p int) *string {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		u := *r.URL
		qq := u.Query()
		qq.Set("page", strconv.Itoa(p))
		qq.Set("per_page", strconv.Itoa(perPage))
		s := scheme + "://" + r.Host + u.Path + ".json?" + qq.Encode()
		return &s
	}
	var next, prev *string
	if end < len(routes) {
		next = pageURL(page + 1)
	}
	if page > 1 {
		prev = pageURL(page - 1)
	}
	writeJSON(w, http.StatusOK, struct {
		Routes       []Route `json:"ivr_routes"`
		Count        int     `json:"count"`
		NextPage     *string `json:"next_page"`
		PreviousPage *string `json:"previous_page"`
	}{routes[start:end], len(routes), next, prev})
}

// one is the {"ivr_route": ...} envelope of every single-route answer.
type one struct {
	Route Route `json:"ivr_route"`
}

func (a *API) showRoute(w http.ResponseWriter, r *http.Request) {
	wld, err := a.load(r)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	if p, ok := a.locate(w, r, wld, true); ok {
		writeJSON(w, http.StatusOK, one{wld.route(p.menu, wld.byID[p.menu], p.key)})
	}
}
