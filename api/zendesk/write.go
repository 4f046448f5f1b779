package zendesk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/ivrd/ivrd/api/edit"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/store"
)

// routeIn is an ivr_route as a client sends it. The read-only fields a
// client may send back (id, greeting, option_text, ivrd_destination,
// ivrd_note) are taken and ignored.
type routeIn struct {
	Keypress        *string     `json:"keypress"`
	Action          *string     `json:"action"`
	Options         *optionsIn  `json:"options"`
	OverflowOptions *[]overflow `json:"overflow_options"`

	ID              json.RawMessage `json:"id"`
	Greeting        json.RawMessage `json:"greeting"`
	OptionText      json.RawMessage `json:"option_text"`
	IvrdDestination json.RawMessage `json:"ivrd_destination"`
	IvrdNote        json.RawMessage `json:"ivrd_note"`
}

type optionsIn struct {
	MenuID                *int64   `json:"menu_id"`
	PhoneNumber           *string  `json:"phone_number"`
	GroupIDs              []int64  `json:"group_ids"`
	SMSText               *string  `json:"sms_text"`
	SMSMessage            *string  `json:"textback_sms_message"` // some clients' name for sms_text
	TextbackPhoneNumberID *int64   `json:"textback_phone_number_id"`
	Tags                  []string `json:"tags"`
}

type overflow struct {
	Action  string    `json:"action"`
	Options optionsIn `json:"options"`
}

var keypresses = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#", "default"}

func readRoute(w http.ResponseWriter, r *http.Request) (routeIn, bool) {
	var env struct {
		Route *routeIn `json:"ivr_route"`
	}
	data, err := io.ReadAll(r.Body)
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		err = dec.Decode(&env)
		if err == nil && dec.More() {
			err = errors.New("more than one JSON value")
		}
	}
	var maxErr *http.MaxBytesError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &maxErr):
		WriteError(w, http.StatusRequestEntityTooLarge, "TooLarge", err.Error())
	case errors.As(err, &te):
		WriteError(w, http.StatusBadRequest, "", fmt.Sprintf("%s: want %s, got %s", te.Field, te.Type, te.Value))
	case err != nil:
		WriteError(w, http.StatusBadRequest, "", "malformed JSON: "+err.Error())
	case env.Route == nil:
		WriteError(w, http.StatusBadRequest, "", `the body is {"ivr_route": {...}}`)
	default:
		return *env.Route, true
	}
	return routeIn{}, false
}

func checkTags(tags []string) error {
	for i, t := range tags {
		if t == "" || len(t) > 80 || strings.ContainsAny(t, " \t\r\n,") {
			return refuse("options.tags[%d] %q: a tag is 1-80 characters without spaces or commas", i, t)
		}
	}
	return nil
}

// destination turns a Zendesk action and its options into an ivrd
// destination; overflow options follow a group route's last group.
func (w *world) destination(top, act string, o optionsIn, of []overflow) (*edit.Destination, error) {
	d, err := w.action(top, act, o, "options")
	if err != nil {
		return nil, err
	}
	if len(of) > 0 && act != "group" {
		return nil, refuse("overflow_options: only a group route overflows (when its groups do not answer); this route's action is %s", act)
	}
	tail := d
	for tail.Overflow != nil {
		tail = tail.Overflow
	}
	for i, ov := range of {
		field := fmt.Sprintf("overflow_options[%d]", i)
		switch ov.Action {
		case "voicemail", "phone_number", "group":
		default:
			return nil, refuse("%s.action %q: want voicemail, phone_number or group", field, ov.Action)
		}
		next, err := w.action(top, ov.Action, ov.Options, field+".options")
		if err != nil {
			return nil, err
		}
		tail.Overflow = next
		for tail.Overflow != nil {
			tail = tail.Overflow
		}
	}
	return d, nil
}

func (w *world) action(top, act string, o optionsIn, field string) (*edit.Destination, error) {
	switch act {
	case "menu":
		if o.MenuID == nil {
			return nil, refuse("action menu needs %s.menu_id", field)
		}
		if id, ok := w.byMenuID(*o.MenuID); ok {
			return &edit.Destination{IVR: edit.Str(id)}, nil
		}
		return nil, refuse("%s.menu_id %d: no such menu", field, *o.MenuID)
	case "phone_number":
		if o.PhoneNumber == nil || *o.PhoneNumber == "" {
			return nil, refuse("action phone_number needs %s.phone_number", field)
		}
		num := strings.TrimPrefix(*o.PhoneNumber, "+")
		if strings.Trim(num, "0123456789") != "" || len(num) > 20 {
			return nil, refuse("%s.phone_number %q: want a phone number (digits, an optional +)", field, *o.PhoneNumber)
		}
		// Out through the IVR's dial-out trunk, else the only trunk.
		trunk := ""
		if m := w.byID[top]; m != nil && m.DialOut != nil {
			trunk = m.DialOut.Trunk
		}
		if trunk == "" && len(w.trunks) == 1 {
			trunk = w.trunks[0]
		}
		if trunk == "" {
			return nil, refuse("phone_number needs a trunk: set dial_out.trunk on the IVR (or configure exactly one trunk)")
		}
		return &edit.Destination{External: edit.Str(*o.PhoneNumber), Trunk: trunk}, nil
	case "group":
		return w.groupDestination(o.GroupIDs, field)
	case "voicemail":
		return w.groupVoicemail(o.GroupIDs, field)
	case "textback":
		return textbackDestination(o)
	}
	return nil, refuse("action %q: want menu, phone_number, group, voicemail or textback", act)
}

// overflowTail is what follows a group chain's last group (kept when a
// group route is updated without overflow_options).
func overflowTail(d *edit.Destination) *edit.Destination {
	for d != nil && d.Kind() == ivr.KindGroup {
		d = d.Overflow
	}
	return d
}

// write changes the menu p.menu through edit.Update (re-read and
// re-applied on a concurrent change) and answers the route the change
// reports (status), or the route as it was before a delete.
func (a *API) write(w http.ResponseWriter, r *http.Request, menu string, status int, change func(wld *world, m *edit.IVR) (string, error)) {
	var key string
	var wld *world
	var final edit.IVR
	update := func() error {
		_, err := edit.Update(r.Context(), a.st, a.who(r), store.IVRs, menu, 0, func(m *edit.IVR) error {
			var err error
			if wld, err = a.load(r); err != nil {
				return err
			}
			keepIDs(menu, m)
			if key, err = change(wld, m); err != nil {
				return err
			}
			for k, info := range m.KeyInfo { // no empty entries
				if info.ID == 0 && len(info.Tags) == 0 {
					delete(m.KeyInfo, k)
				}
			}
			final = *m
			return nil
		})
		return err
	}
	err := update()
	for try := 0; try < 3 && idClash(err); try++ {
		err = update() // a create in another menu took the same new id: take the next
	}
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	wld.byID[menu] = &final
	writeJSON(w, status, one{wld.route(menu, &final, key)})
}

func (a *API) readWrite(w http.ResponseWriter, r *http.Request, wantRoute bool) (place, routeIn, bool) {
	wld, err := a.load(r)
	if err != nil {
		a.storeError(w, r, err)
		return place{}, routeIn{}, false
	}
	p, ok := a.locate(w, r, wld, wantRoute)
	if !ok {
		return p, routeIn{}, false
	}
	in, ok := readRoute(w, r)
	return p, in, ok
}

func freeKeypress(m *edit.IVR, k string) error {
	if !slices.Contains(keypresses, k) {
		return refuse(`keypress: want "0"-"9", "*", "#" or "default"`)
	}
	if _, taken := m.Keys[k]; taken {
		return refuse("keypress %q already has a route in this menu", k)
	}
	return nil
}

func (in routeIn) overflow() []overflow {
	if in.OverflowOptions == nil {
		return nil
	}
	return *in.OverflowOptions
}

func (a *API) createRoute(w http.ResponseWriter, r *http.Request) {
	p, in, ok := a.readWrite(w, r, false)
	if !ok {
		return
	}
	a.write(w, r, p.menu, http.StatusCreated, func(wld *world, m *edit.IVR) (string, error) {
		if in.Action == nil {
			return "", refuse("action is required")
		}
		var o optionsIn
		if in.Options != nil {
			o = *in.Options
		}
		if err := checkTags(o.Tags); err != nil {
			return "", err
		}
		d, err := wld.destination(p.top, *in.Action, o, in.overflow())
		if err != nil {
			return "", err
		}
		if in.Keypress == nil {
			return "", refuse(`keypress: want "0"-"9", "*", "#" or "default"`)
		}
		k := *in.Keypress
		if err := freeKeypress(m, k); err != nil {
			return "", err
		}
		if m.Keys == nil {
			m.Keys = map[string]*edit.Destination{}
		}
		m.Keys[k] = d
		id, err := a.newRouteID(r)
		if err != nil {
			return "", err
		}
		m.KeyInfo[k] = &edit.KeyInfo{ID: id, Tags: o.Tags}
		return k, nil
	})
}

func (a *API) updateRoute(w http.ResponseWriter, r *http.Request) {
	p, in, ok := a.readWrite(w, r, true)
	if !ok {
		return
	}
	wantID := routeIDParam(r)
	a.write(w, r, p.menu, http.StatusOK, func(wld *world, m *edit.IVR) (string, error) {
		key, found := keyByID(p.menu, m, wantID)
		if !found {
			return "", refuse("route %d was deleted meanwhile", wantID)
		}
		cur, info := m.Keys[key], m.KeyInfo[key]
		if (in.Options != nil || in.OverflowOptions != nil) && in.Action == nil {
			return "", refuse("action is required when updating options or overflow_options")
		}
		if in.Action != nil {
			var o optionsIn
			if in.Options != nil {
				o = *in.Options
			}
			if err := checkTags(o.Tags); err != nil {
				return "", err
			}
			d, err := wld.destination(p.top, *in.Action, o, in.overflow())
			if err != nil {
				return "", err
			}
			if in.OverflowOptions == nil && *in.Action == "group" {
				tail := d
				for tail.Overflow != nil {
					tail = tail.Overflow
				}
				tail.Overflow = overflowTail(cur)
			}
			cur = d
			if o.Tags != nil {
				info.Tags = o.Tags
			}
		}
		newKey := key
		if in.Keypress != nil && *in.Keypress != key {
			if err := freeKeypress(m, *in.Keypress); err != nil {
				return "", err
			}
			delete(m.Keys, key)
			delete(m.KeyInfo, key)
			newKey = *in.Keypress
		}
		m.Keys[newKey], m.KeyInfo[newKey] = cur, info // the id goes with the route
		return newKey, nil
	})
}

func routeIDParam(r *http.Request) int64 {
	var n int64
	_, _ = fmt.Sscan(r.PathValue("route"), &n) // located already: a number
	return n
}

// deleteRoute answers 200 with the route as it was, as Zendesk does.
func (a *API) deleteRoute(w http.ResponseWriter, r *http.Request) {
	wld, err := a.load(r)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	p, ok := a.locate(w, r, wld, true)
	if !ok {
		return
	}
	wantID := routeIDParam(r)
	var gone Route
	_, err = edit.Update(r.Context(), a.st, a.who(r), store.IVRs, p.menu, 0, func(m *edit.IVR) error {
		key, found := keyByID(p.menu, m, wantID)
		if !found {
			return fmt.Errorf("route %d: %w", wantID, store.ErrNotFound)
		}
		gone = wld.route(p.menu, m, key)
		keepIDs(p.menu, m)
		delete(m.Keys, key)
		delete(m.KeyInfo, key)
		return nil
	})
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, one{gone})
}

// idClash reports a write refused because a route id it gave is taken
// (two creates in different menus at once read the same configuration
// version).
func idClash(err error) bool {
	var verr *store.ValidationError
	if !errors.As(err, &verr) {
		return false
	}
	for _, p := range verr.Problems {
		if strings.Contains(p.Path, ".key_info.") && strings.Contains(p.Msg, "is already the id of") {
			return true
		}
	}
	return false
}
