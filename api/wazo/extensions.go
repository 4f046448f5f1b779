package wazo

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"time"
)

// Extension is confd's extension: an exten in a context, and the incall
// it is associated with.
type Extension struct {
	ID      int64      `json:"id"`
	Exten   string     `json:"exten"`
	Context string     `json:"context"`
	Incall  *incallID  `json:"incall"`
	IvrdIVR string     `json:"ivrd_ivr,omitempty"`
	Users   []struct{} `json:"users"`
}

type incallID struct {
	ID int64 `json:"id"`
}

type extensionIn struct {
	Exten   string `json:"exten"`
	Context string `json:"context"`
}

var (
	validExten   = regexp.MustCompile(`^\+?[0-9*#]{1,32}$`)
	validContext = regexp.MustCompile(`^[A-Za-z0-9_-]{1,79}$`)
)

// extensions are the IVRs' numbers then the unassociated extensions.
func (wld world) extensions() []numberRec {
	out := wld.numbers()
	ids := make([]int64, 0, len(wld.pext))
	for id := range wld.pext {
		if !slices.ContainsFunc(out, func(n numberRec) bool { return n.id == id }) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		p := wld.pext[id]
		out = append(out, numberRec{id: id, exten: p.exten, context: p.context})
	}
	return out
}

func (wld world) findExtension(w http.ResponseWriter, raw string) (numberRec, bool) {
	return findByID(w, "Extension", raw, wld.extensions(), func(e numberRec) int64 { return e.id })
}

func extensionView(n *numberRec) Extension {
	e := Extension{ID: n.id, Exten: n.exten, Context: n.context, IvrdIVR: n.ivr, Users: []struct{}{}}
	if n.incall != 0 {
		e.Incall = &incallID{n.incall}
	}
	return e
}

func (a *API) listExtensions(w http.ResponseWriter, r *http.Request) {
	wld, ok := a.load(w, r)
	if !ok {
		return
	}
	items := []Extension{}
	for _, n := range wld.extensions() {
		items = append(items, extensionView(&n))
	}
	writeJSON(w, http.StatusOK, list[Extension]{items, len(items)})
}

func (a *API) getExtension(w http.ResponseWriter, r *http.Request) {
	wld, ok := a.load(w, r)
	if !ok {
		return
	}
	if n, ok := wld.findExtension(w, r.PathValue("ext")); ok {
		writeJSON(w, http.StatusOK, extensionView(&n))
	}
}

// createExtension holds an extension until it is associated with an
// incall (see pending.go).
func (a *API) createExtension(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		WriteError(w, http.StatusRequestEntityTooLarge, "Input Error - the body is too large or could not be read: "+err.Error())
		return
	}
	in, field, err := decodeStrict[extensionIn](data)
	switch {
	case err != nil:
	case in.Exten == "":
		field, err = "exten", errors.New("missing data for required field")
	case !validExten.MatchString(in.Exten):
		field, err = "exten", fmt.Errorf("%q: ivrd answers numbers (digits, * and #, an optional leading +), not patterns", in.Exten)
	case in.Context == "":
		field, err = "context", errors.New("missing data for required field")
	case !validContext.MatchString(in.Context):
		field, err = "context", fmt.Errorf("%q: want letters, digits, _ and -", in.Context)
	}
	if err != nil {
		inputError(w, field, err.Error())
		return
	}
	wld, ok := a.load(w, r)
	if !ok {
		return
	}
	if slices.ContainsFunc(wld.extensions(), func(n numberRec) bool { return n.exten == in.Exten }) {
		WriteError(w, http.StatusBadRequest, fmt.Sprintf("Resource Error - Extension already exists ('exten': '%s')", in.Exten))
		return
	}
	n := numberRec{id: extensionID(in.Context, in.Exten), exten: in.Exten, context: in.Context}
	if !a.pend.addExten(n.id, n.exten, n.context, time.Now()) {
		WriteError(w, http.StatusTooManyRequests, fmt.Sprintf("Resource Error - %d extensions with no incall are held already; associate or delete some", pendingMax))
		return
	}
	writeJSON(w, http.StatusCreated, extensionView(&n))
}

// deleteExtension forgets an unassociated extension; confd refuses to
// delete one an incall uses.
func (a *API) deleteExtension(w http.ResponseWriter, r *http.Request) {
	wld, ok := a.load(w, r)
	if !ok {
		return
	}
	n, ok := wld.findExtension(w, r.PathValue("ext"))
	if !ok {
		return
	}
	if n.ivr != "" {
		WriteError(w, http.StatusBadRequest, usedError(&n))
		return
	}
	a.pend.dropExten(n.id)
	w.WriteHeader(http.StatusNoContent)
}
