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
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/store"
)

// confd's IVR resource on ivrd's IVRs:
//
//	name            -> name (the ivrd id is the name made an identifier)
//	greeting_sound  -> greeting (played once)
//	menu_sound      -> prompt
//	invalid_sound   -> invalid_prompt
//	timeout (s)     -> response_timeout
//	max_tries       -> max_errors (invalid entries and timeouts together),
//	                   with prompt_repeat and max_invalid the same
//	abort_sound, abort_destination -> on_failure: {play: abort_sound,
//	                   then: abort_destination} (hangup when left out)
//	choices         -> keys: exten is the key; destinations ivr, custom
//	                   Goto(IVR,s,1), hangup, none, sound, extension
//
// invalid_destination and timeout_destination (a destination on the first
// error) have no ivrd equivalent and are refused, as are the other
// destination types. A key whose destination only ivrd has is shown as
// type "ivrd" with ivrd_destination; sent back unchanged in a PUT, it is
// kept.

// IVRIn is confd's IVR as a client sends it.
type IVRIn struct {
	Name               string       `json:"name"`
	GreetingSound      string       `json:"greeting_sound"`
	MenuSound          string       `json:"menu_sound"`
	InvalidSound       string       `json:"invalid_sound"`
	AbortSound         string       `json:"abort_sound"`
	Timeout            *int         `json:"timeout"`
	MaxTries           *int         `json:"max_tries"`
	InvalidDestination *Destination `json:"invalid_destination"`
	TimeoutDestination *Destination `json:"timeout_destination"`
	AbortDestination   *Destination `json:"abort_destination"`
	Choices            []Choice     `json:"choices"`
}

// Choice is one of a confd IVR's choices.
type Choice struct {
	Exten       string      `json:"exten"`
	Destination Destination `json:"destination"`
}

// IVR is confd's IVR as this API shows it.
type IVR struct {
	ID                 int64        `json:"id"`
	Name               string       `json:"name"`
	GreetingSound      *string      `json:"greeting_sound"`
	MenuSound          string       `json:"menu_sound"`
	InvalidSound       *string      `json:"invalid_sound"`
	AbortSound         *string      `json:"abort_sound"`
	Timeout            int          `json:"timeout"`
	MaxTries           int          `json:"max_tries"`
	InvalidDestination *Destination `json:"invalid_destination"`
	TimeoutDestination *Destination `json:"timeout_destination"`
	AbortDestination   *Destination `json:"abort_destination"`
	Choices            []Choice     `json:"choices"`
	Incalls            []incallRef  `json:"incalls"`
	IvrdID             string       `json:"ivrd_id"`
}

// validKey: a choice's exten, 1-10 of 0-9 * #.
func validKey(exten string) bool {
	return len(exten) >= 1 && len(exten) <= 10 &&
		!strings.ContainsFunc(exten, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '*' || r == '#') })
}

// apply writes a confd IVR onto m (the fields it maps; the others stay).
func (in *IVRIn) apply(m *edit.IVR, wld world) (string, error) {
	if in.MenuSound == "" {
		return "menu_sound", errors.New("missing data for required field")
	}
	if in.InvalidDestination != nil {
		return "invalid_destination", errors.New("ivrd replays the menu after an invalid entry and follows abort_destination after max_tries errors; a destination on the first invalid entry cannot be represented")
	}
	if in.TimeoutDestination != nil {
		return "timeout_destination", errors.New("ivrd replays the menu after a timeout and follows abort_destination after max_tries errors; a destination on the first timeout cannot be represented")
	}
	timeout, tries := 5, 3 // confd's defaults
	if in.Timeout != nil {
		timeout = *in.Timeout
	}
	if in.MaxTries != nil {
		tries = *in.MaxTries
	}
	if timeout < 1 || timeout > 60 {
		return "timeout", fmt.Errorf("%d: want 1 to 60 seconds", timeout)
	}
	if tries < 1 || tries > 5 {
		return "max_tries", fmt.Errorf("%d: ivrd plays a menu 1 to 5 times", tries)
	}
	m.Name, m.Greeting, m.Prompt, m.InvalidPrompt = in.Name, in.GreetingSound, in.MenuSound, in.InvalidSound
	m.ResponseTimeout = strconv.Itoa(timeout) + "s"
	m.MaxErrors, m.PromptRepeat, m.MaxInvalid = tries, tries, tries
	then := &edit.Destination{Word: "hangup"}
	if in.AbortDestination != nil {
		cur := m.OnFailure
		if cur != nil && cur.Kind() == ivr.KindPlay && cur.Then != nil {
			cur = cur.Then
		}
		d, err := wld.choiceDest(in.AbortDestination, cur)
		if err != nil {
			return "abort_destination." + fieldOf(err), err
		}
		then = d
	}
	m.OnFailure = then
	if in.AbortSound != "" {
		m.OnFailure = &edit.Destination{Play: edit.Str(in.AbortSound), Then: then}
	}
	keys := map[string]*edit.Destination{}
	for i, c := range in.Choices {
		f := fmt.Sprintf("choices[%d].", i)
		if !validKey(c.Exten) {
			return f + "exten", fmt.Errorf("%q: ivrd keys are digits, * and #", c.Exten)
		}
		if keys[c.Exten] != nil {
			return f + "exten", fmt.Errorf("%q is chosen twice", c.Exten)
		}
		d, err := wld.choiceDest(&c.Destination, m.Keys[c.Exten])
		if err != nil {
			return f + "destination." + fieldOf(err), err
		}
		keys[c.Exten] = d
	}
	m.Keys = keys
	return "", nil
}

// fieldError names the destination's field an error is about.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.err.Error() }

func fieldOf(err error) string {
	var fe *fieldError
	if errors.As(err, &fe) {
		return fe.field
	}
	return "type"
}

// choiceDest is a confd destination as an ivrd destination; cur is the
// key's current destination (kept for type ivrd).
func (wld world) choiceDest(d *Destination, cur *edit.Destination) (*edit.Destination, error) {
	switch d.Type {
	case "hangup", "none":
		return &edit.Destination{Word: "hangup"}, nil
	case "sound":
		if d.Filename == "" {
			return nil, &fieldError{"filename", errors.New("missing data for required field")}
		}
		return &edit.Destination{Play: edit.Str(d.Filename)}, nil
	case "extension":
		if d.Exten == "" {
			return nil, &fieldError{"exten", errors.New("missing data for required field")}
		}
		return &edit.Destination{Internal: edit.Str(d.Exten)}, nil
	case "ivr", "custom":
		target, field, err := wld.destinationIVR(d)
		if err != nil {
			return nil, &fieldError{strings.TrimPrefix(field, "destination."), err}
		}
		return &edit.Destination{IVR: edit.Str(target)}, nil
	case "ivrd":
		if cur != nil && describe(cur) == d.IvrdDestination {
			return cur, nil
		}
		return nil, &fieldError{"ivrd_destination", errors.New("an ivrd-only destination is kept as it is; change it through the native API")}
	}
	return nil, fmt.Errorf("%q: ivrd maps hangup, none, sound, extension, ivr and custom Goto(IVR,s,1)", d.Type)
}

// describe writes an ivrd-only destination for type ivrd.
func describe(d *edit.Destination) string { return string(d.Kind()) + " " + d.Target() }

// destView is an ivrd destination as confd shows it.
func destView(d *edit.Destination) Destination {
	switch d.Kind() {
	case ivr.KindHangup:
		return Destination{Type: "hangup"}
	case ivr.KindIVR:
		n := IVRID(d.Target())
		return Destination{Type: "ivr", IVRID: &n}
	case ivr.KindInternal, ivr.KindExtension:
		return Destination{Type: "extension", Exten: d.Target(), Context: "default"}
	case ivr.KindPlay:
		if d.Then == nil {
			return Destination{Type: "sound", Filename: d.Target()}
		}
	}
	return Destination{Type: "ivrd", IvrdDestination: describe(d)}
}

func ivrView(it *edit.Item[edit.IVR], wld world) IVR {
	m := &it.Body
	out := IVR{ID: IVRID(it.ID), Name: m.Name, MenuSound: m.Prompt, Timeout: 5, MaxTries: 3, Choices: []Choice{}, Incalls: []incallRef{}, IvrdID: it.ID}
	if out.Name == "" {
		out.Name = it.ID
	}
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	out.GreetingSound, out.InvalidSound = opt(m.Greeting), opt(m.InvalidPrompt)
	if d, err := time.ParseDuration(m.ResponseTimeout); err == nil {
		out.Timeout = int(d.Round(time.Second) / time.Second)
	}
	switch {
	case m.MaxErrors > 0:
		out.MaxTries = m.MaxErrors
	case m.MaxInvalid > 0:
		out.MaxTries = m.MaxInvalid
	}
	if f := m.OnFailure; f != nil {
		if f.Kind() == ivr.KindPlay && f.Then != nil {
			out.AbortSound, f = opt(f.Target()), f.Then
		}
		d := destView(f)
		out.AbortDestination = &d
	}
	keys := make([]string, 0, len(m.Keys))
	for k := range m.Keys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		out.Choices = append(out.Choices, Choice{Exten: k, Destination: destView(m.Keys[k])})
	}
	for _, inc := range wld.incalls() {
		if inc.ivr == it.ID {
			out.Incalls = append(out.Incalls, incallRef{ID: inc.id, Extensions: inc.extens()})
		}
	}
	return out
}

func (wld world) findIVR(w http.ResponseWriter, raw string) (*edit.Item[edit.IVR], bool) {
	items := make([]*edit.Item[edit.IVR], len(wld.ivrs))
	for i := range wld.ivrs {
		items[i] = &wld.ivrs[i]
	}
	return findByID(w, "IVR", raw, items, func(it *edit.Item[edit.IVR]) int64 { return IVRID(it.ID) })
}

func (a *API) listIVRs(w http.ResponseWriter, r *http.Request) {
	wld, ok := a.load(w, r)
	if !ok {
		return
	}
	items := []IVR{}
	for i := range wld.ivrs {
		items = append(items, ivrView(&wld.ivrs[i], wld))
	}
	writeJSON(w, http.StatusOK, list[IVR]{items, len(items)})
}

func (a *API) getIVR(w http.ResponseWriter, r *http.Request) {
	wld, ok := a.load(w, r)
	if !ok {
		return
	}
	if it, ok := wld.findIVR(w, r.PathValue("id")); ok {
		writeJSON(w, http.StatusOK, ivrView(it, wld))
	}
}

func (a *API) readIVR(w http.ResponseWriter, r *http.Request) (IVRIn, bool) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		WriteError(w, http.StatusRequestEntityTooLarge, "Input Error - the body is too large or could not be read: "+err.Error())
		return IVRIn{}, false
	}
	in, field, err := decodeStrict[IVRIn](data)
	if err != nil {
		inputError(w, field, err.Error())
		return in, false
	}
	return in, true
}

func (a *API) createIVR(w http.ResponseWriter, r *http.Request) {
	in, ok := a.readIVR(w, r)
	if !ok {
		return
	}
	wld, ok := a.load(w, r)
	if !ok {
		return
	}
	base := strings.Trim(notID.ReplaceAllString(strings.ToLower(in.Name), "-"), "-")
	if base == "" {
		base = "ivr"
	}
	id := base
	for i := 2; slices.ContainsFunc(wld.ivrs, func(iv edit.Item[edit.IVR]) bool { return iv.ID == id }); i++ {
		id = base + "-" + strconv.Itoa(i)
	}
	m := edit.IVR{ID: id}
	if field, err := in.apply(&m, wld); err != nil {
		inputError(w, field, err.Error())
		return
	}
	body, err := edit.Encode(&m)
	if err == nil {
		_, err = a.st.Create(r.Context(), a.who(r), store.IVRs, body)
	}
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	it := edit.Item[edit.IVR]{ID: id, Body: m}
	writeJSON(w, http.StatusCreated, ivrView(&it, wld))
}

// putIVR replaces what confd's IVR maps; the IVR's numbers, schedule and
// ivrd-only settings stay.
func (a *API) putIVR(w http.ResponseWriter, r *http.Request) {
	in, ok := a.readIVR(w, r)
	if !ok {
		return
	}
	wld, ok := a.load(w, r)
	if !ok {
		return
	}
	it, ok := wld.findIVR(w, r.PathValue("id"))
	if !ok {
		return
	}
	var field string
	_, err := edit.Update(r.Context(), a.st, a.who(r), store.IVRs, it.ID, 0, func(m *edit.IVR) error {
		f, err := in.apply(m, wld)
		field = f
		return err
	})
	switch {
	case field != "":
		inputError(w, field, err.Error())
	case err != nil:
		a.storeError(w, r, err)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func (a *API) deleteIVR(w http.ResponseWriter, r *http.Request) {
	wld, ok := a.load(w, r)
	if !ok {
		return
	}
	it, ok := wld.findIVR(w, r.PathValue("id"))
	if !ok {
		return
	}
	if _, err := a.st.Delete(r.Context(), a.who(r), store.IVRs, it.ID, 0); err != nil {
		a.storeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
