package zendesk

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"

	"github.com/ivrd/ivrd/api/edit"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/store"
)

// world is every IVR and ring group, read once per request to resolve
// Zendesk's integer ids.
type world struct {
	ivrs   []edit.Item[edit.IVR]
	byID   map[string]*edit.IVR
	groups []edit.Item[edit.Group] // Zendesk's group_ids
	trunks []string
}

func (a *API) load(r *http.Request) (*world, error) {
	ivrs, err := edit.List[edit.IVR](r.Context(), a.st, store.IVRs)
	if err != nil {
		return nil, err
	}
	w := &world{ivrs: ivrs, byID: map[string]*edit.IVR{}}
	for i := range ivrs {
		w.byID[ivrs[i].ID] = &w.ivrs[i].Body
	}
	if w.groups, err = edit.List[edit.Group](r.Context(), a.st, store.Groups); err != nil {
		return nil, err
	}
	trunks, err := a.st.List(r.Context(), store.Trunks)
	for _, t := range trunks {
		w.trunks = append(w.trunks, t.ID)
	}
	return w, err
}

// menuID is the Zendesk id of an ivrd IVR (as IVR or as menu).
func menuID(id string) int64 { return edit.IntID("ivr", id) }

// legacyRouteID is the id of a key no Zendesk write has stored an id for
// yet (one made in the file or through the native API): derived from the
// menu and the key. The first Zendesk write to the menu stores it, so it
// stays the route's id from then on.
func legacyRouteID(menu, key string) int64 { return edit.IntID("route", menu+":"+key) }

// routeID is the id a key shows: its stored id, else the derived one.
func routeID(menu string, m *edit.IVR, key string) int64 {
	if info := m.KeyInfo[key]; info != nil && info.ID > 0 {
		return info.ID
	}
	return legacyRouteID(menu, key)
}

// firstRouteID is where new route ids start (the seed's ids are 10001 on).
const firstRouteID = 10001

// newRouteID is a route id never given before: the configuration's
// version grows with every write and this write makes one route, so
// firstRouteID plus the version before the write is new. A deleted
// route's id is not given again.
func (a *API) newRouteID(r *http.Request) (int64, error) {
	v, err := a.st.ConfigVersion(r.Context())
	return firstRouteID + v, err
}

// keepIDs stores the id every key of m shows, so that ids a client has
// seen survive this write; stale entries (keys gone) are dropped.
func keepIDs(menu string, m *edit.IVR) {
	if m.KeyInfo == nil {
		m.KeyInfo = map[string]*edit.KeyInfo{}
	}
	for k := range m.Keys {
		info := m.KeyInfo[k]
		if info == nil {
			info = &edit.KeyInfo{}
			m.KeyInfo[k] = info
		}
		if info.ID == 0 {
			info.ID = legacyRouteID(menu, k)
		}
	}
	for k := range m.KeyInfo {
		if _, ok := m.Keys[k]; !ok {
			delete(m.KeyInfo, k)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// menus lists an IVR's menus: itself first, then the IVRs its keys lead
// to, breadth first.
func (w *world) menus(top string) []string {
	out := []string{top}
	for i := 0; i < len(out); i++ {
		m := w.byID[out[i]]
		if m == nil {
			continue
		}
		for _, k := range sortedKeys(m.Keys) {
			d := m.Keys[k]
			if d.Kind() != ivr.KindIVR {
				continue
			}
			if sub := d.Target(); !slices.Contains(out, sub) && w.byID[sub] != nil {
				out = append(out, sub)
			}
		}
	}
	return out
}

// byMenuID finds the ivrd IVR of a Zendesk menu (or IVR) id.
func (w *world) byMenuID(n int64) (string, bool) {
	for _, it := range w.ivrs {
		if menuID(it.ID) == n {
			return it.ID, true
		}
	}
	return "", false
}

// place is a located route: its IVR, menu and (when asked) key.
type place struct {
	top, menu, key string
}

// locate resolves {ivr}, {menu} and, when wantRoute, {route}; false once
// the 404 is written.
func (a *API) locate(w http.ResponseWriter, r *http.Request, wld *world, wantRoute bool) (place, bool) {
	find := func(param string) (string, bool) {
		n, err := strconv.ParseInt(r.PathValue(param), 10, 64)
		if err != nil {
			return "", false
		}
		return wld.byMenuID(n)
	}
	top, found := find("ivr")
	if !found || len(wld.byID[top].Extensions) == 0 {
		WriteError(w, http.StatusNotFound, "", fmt.Sprintf("no IVR with id %s", r.PathValue("ivr")))
		return place{}, false
	}
	menu, found := find("menu")
	if !found || !slices.Contains(wld.menus(top), menu) {
		WriteError(w, http.StatusNotFound, "", fmt.Sprintf("IVR %s has no menu with id %s", r.PathValue("ivr"), r.PathValue("menu")))
		return place{}, false
	}
	p := place{top: top, menu: menu}
	if !wantRoute {
		return p, true
	}
	m := wld.byID[menu]
	n, err := strconv.ParseInt(r.PathValue("route"), 10, 64)
	for _, k := range sortedKeys(m.Keys) {
		if err == nil && routeID(menu, m, k) == n {
			p.key = k
			return p, true
		}
	}
	WriteError(w, http.StatusNotFound, "", fmt.Sprintf("menu %s has no route with id %s", r.PathValue("menu"), r.PathValue("route")))
	return place{}, false
}

// keyByID finds the key whose route id is n in a freshly read menu.
func keyByID(menu string, m *edit.IVR, n int64) (string, bool) {
	for k := range m.Keys {
		if routeID(menu, m, k) == n {
			return k, true
		}
	}
	return "", false
}
