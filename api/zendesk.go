package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ivrd/ivrd/store"
)

// Zendesk Talk's IVR routes API (the seed), on the same IVRs as the native
// API. A Zendesk IVR is an ivrd IVR that a number reaches; its menus are
// that IVR (the default menu) and the IVRs its keys lead to; a route is
// one key. Zendesk ids are integers: ivrd derives them from the names
// (FNV-1a), so they are the same on every node and after a restart, and
// a route's id follows its menu and keypress.
const zdBase = "/api/v2/channels/voice/ivr"

func isZendesk(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, zdBase) }

// writeZendeskError answers as Zendesk does: {"error", "description"}.
func writeZendeskError(w http.ResponseWriter, status int, code, msg string) {
	names := map[int]string{http.StatusNotFound: "RecordNotFound", http.StatusUnprocessableEntity: "RecordInvalid",
		http.StatusBadRequest: "InvalidValue", http.StatusForbidden: "Forbidden", http.StatusUnauthorized: "Unauthorized"}
	name, ok := names[status]
	if !ok {
		name = code
	}
	writeJSON(w, status, map[string]any{"error": name, "description": msg})
}

func zdID(kind, name string) int64 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(kind + ":" + name)) // hash writes never fail
	id := int64(h.Sum32() & 0x7fffffff)
	if id == 0 {
		id = 1
	}
	return id
}

func routeID(menu, key string) int64 { return zdID("route", menu+":"+key) }

func (s *Server) zendeskRoutes(m *http.ServeMux) {
	m.HandleFunc("GET "+zdBase, s.zdListIVRs)
	m.HandleFunc("GET "+zdBase+"/{ivr}/menus/{menu}/routes", s.zdListRoutes)
	m.HandleFunc("POST "+zdBase+"/{ivr}/menus/{menu}/routes", s.zdCreateRoute)
	m.HandleFunc("GET "+zdBase+"/{ivr}/menus/{menu}/routes/{route}", s.zdShowRoute)
	m.HandleFunc("PUT "+zdBase+"/{ivr}/menus/{menu}/routes/{route}", s.zdUpdateRoute)
	m.HandleFunc("DELETE "+zdBase+"/{ivr}/menus/{menu}/routes/{route}", s.zdDeleteRoute)
}

// zdWorld is every IVR, for resolving ids.
type zdWorld struct {
	all    []store.Resource
	byID   map[string]store.Resource
	groups []store.Resource // ring groups: Zendesk's group_ids
}

func (s *Server) zdLoad(r *http.Request) (zdWorld, error) {
	all, err := s.st.List(r.Context(), store.IVRs)
	w := zdWorld{all: all, byID: map[string]store.Resource{}}
	for _, res := range all {
		w.byID[res.ID] = res
	}
	if err == nil {
		w.groups, err = s.st.List(r.Context(), store.Groups)
	}
	return w, err
}

func keysOf(body map[string]any) map[string]any {
	k, _ := body["keys"].(map[string]any)
	return k
}

// menus lists an IVR's menus: itself first, then the IVRs its keys lead
// to, breadth first.
func (w zdWorld) menus(top string) []string {
	out := []string{top}
	for i := 0; i < len(out); i++ {
		keys := keysOf(w.byID[out[i]].Body)
		for _, k := range sortedKeys(keys) {
			if d, ok := keys[k].(map[string]any); ok {
				if sub, ok := d["ivr"].(string); ok && !slices.Contains(out, sub) {
					if _, exists := w.byID[sub]; exists {
						out = append(out, sub)
					}
				}
			}
		}
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func str(body map[string]any, k string) string { v, _ := body[k].(string); return v }

// route is a key as Zendesk shows it. Destinations Zendesk has no action
// for show ivrd's own kind as the action, the destination in options.ivrd.
func (w zdWorld) route(menu, key string, dest any) map[string]any {
	rt := map[string]any{"id": routeID(menu, key), "keypress": key, "greeting": nil,
		"overflow_options": []any{}, "tags": []any{}}
	switch d := dest.(type) {
	case string:
		rt["action"], rt["options"], rt["option_text"] = d, map[string]any{}, d
	case map[string]any:
		switch {
		case d["ivr"] != nil:
			sub := str(d, "ivr")
			rt["action"], rt["options"] = "menu", map[string]any{"menu_id": zdID("ivr", sub)}
			rt["option_text"] = str(w.byID[sub].Body, "name")
			if rt["option_text"] == "" {
				rt["option_text"] = sub
			}
		case d["external"] != nil:
			rt["action"], rt["options"], rt["option_text"] = "phone_number", map[string]any{"phone_number": str(d, "external")}, str(d, "external")
		case d["group"] != nil && w.groupRoute(rt, d):
		case d["voicemail"] != nil && w.groupVoicemailRoute(rt, d):
		case d["webhook"] != nil && textbackRoute(rt, d):
		default:
			for _, k := range []string{"uri", "extension", "play", "prompt", "voicemail", "webhook"} {
				if v := str(d, k); v != "" {
					rt["action"], rt["option_text"] = k, v
					break
				}
			}
			if rt["action"] == nil && d["webhook"] != nil { // webhook: "" (every webhook)
				rt["action"] = "webhook"
			}
			rt["options"] = map[string]any{"ivrd": d}
		}
	}
	return rt
}

func (w zdWorld) menuJSON(id string) map[string]any {
	res := w.byID[id]
	keys := keysOf(res.Body)
	routes := []any{}
	for _, k := range sortedKeys(keys) {
		routes = append(routes, w.route(id, k, keys[k]))
	}
	name := str(res.Body, "name")
	if name == "" {
		name = id
	}
	return map[string]any{"id": zdID("ivr", id), "name": name, "routes": routes}
}

func (s *Server) zdListIVRs(w http.ResponseWriter, r *http.Request) {
	world, err := s.zdLoad(r)
	if err != nil {
		s.zdStoreError(w, r, err)
		return
	}
	ivrs := []any{}
	for _, res := range world.all {
		if exts, _ := res.Body["extensions"].([]any); len(exts) == 0 {
			continue
		}
		menus := []any{}
		for i, m := range world.menus(res.ID) {
			mj := world.menuJSON(m)
			mj["default"] = i == 0
			menus = append(menus, mj)
		}
		name := str(res.Body, "name")
		if name == "" {
			name = res.ID
		}
		ivrs = append(ivrs, map[string]any{"id": zdID("ivr", res.ID), "name": name, "menus": menus})
	}
	writeJSON(w, http.StatusOK, map[string]any{"ivrs": ivrs, "count": len(ivrs), "next_page": nil, "previous_page": nil})
}

// locate resolves {ivr} and {menu} (and {route}, when want) from the path.
func (s *Server) locate(w http.ResponseWriter, r *http.Request, wantRoute bool) (world zdWorld, menu, key string, ok bool) {
	world, err := s.zdLoad(r)
	if err != nil {
		s.zdStoreError(w, r, err)
		return world, "", "", false
	}
	find := func(param string) (string, bool) {
		n, err := strconv.ParseInt(r.PathValue(param), 10, 64)
		if err != nil {
			return "", false
		}
		for _, res := range world.all {
			if zdID("ivr", res.ID) == n {
				return res.ID, true
			}
		}
		return "", false
	}
	top, found := find("ivr")
	if exts, _ := world.byID[top].Body["extensions"].([]any); !found || len(exts) == 0 {
		writeZendeskError(w, http.StatusNotFound, "", fmt.Sprintf("no IVR with id %s", r.PathValue("ivr")))
		return world, "", "", false
	}
	menu, found = find("menu")
	if !found || !slices.Contains(world.menus(top), menu) {
		writeZendeskError(w, http.StatusNotFound, "", fmt.Sprintf("IVR %s has no menu with id %s", r.PathValue("ivr"), r.PathValue("menu")))
		return world, "", "", false
	}
	if !wantRoute {
		return world, menu, "", true
	}
	n, err := strconv.ParseInt(r.PathValue("route"), 10, 64)
	for k := range keysOf(world.byID[menu].Body) {
		if err == nil && routeID(menu, k) == n {
			return world, menu, k, true
		}
	}
	writeZendeskError(w, http.StatusNotFound, "", fmt.Sprintf("menu %s has no route with id %s", r.PathValue("menu"), r.PathValue("route")))
	return world, "", "", false
}

func (s *Server) zdListRoutes(w http.ResponseWriter, r *http.Request) {
	world, menu, _, ok := s.locate(w, r, false)
	if !ok {
		return
	}
	q := r.URL.Query()
	perPage, page := 100, 1
	for name, p := range map[string]*int{"per_page": &perPage, "page": &page} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || (name == "per_page" && n > 100) {
				writeZendeskError(w, http.StatusBadRequest, "", fmt.Sprintf("%s %q: want a positive integer (per_page at most 100)", name, v))
				return
			}
			*p = n
		}
	}
	routes := world.menuJSON(menu)["routes"].([]any)
	start := min((page-1)*perPage, len(routes))
	end := min(start+perPage, len(routes))
	pageURL := func(p int) any {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		u := *r.URL
		qq := u.Query()
		qq.Set("page", strconv.Itoa(p))
		qq.Set("per_page", strconv.Itoa(perPage))
		return scheme + "://" + r.Host + u.Path + ".json?" + qq.Encode()
	}
	var next, prev any
	if end < len(routes) {
		next = pageURL(page + 1)
	}
	if page > 1 {
		prev = pageURL(page - 1)
	}
	writeJSON(w, http.StatusOK, map[string]any{"ivr_routes": routes[start:end], "count": len(routes), "next_page": next, "previous_page": prev})
}

func (s *Server) zdShowRoute(w http.ResponseWriter, r *http.Request) {
	world, menu, key, ok := s.locate(w, r, true)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ivr_route": world.route(menu, key, keysOf(world.byID[menu].Body)[key])})
}

// zdRouteIn is the writable part of an ivr_route.
type zdRouteIn struct {
	Keypress        *string         `json:"keypress"`
	Action          *string         `json:"action"`
	Options         json.RawMessage `json:"options"`
	Tags            []string        `json:"tags"`
	OverflowOptions []any           `json:"overflow_options"`
	// Read-only fields a client may send back; ignored.
	ID         any `json:"id"`
	Greeting   any `json:"greeting"`
	OptionText any `json:"option_text"`
}

var zdKeypresses = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#", "default"}

func readRoute(w http.ResponseWriter, r *http.Request) (zdRouteIn, bool) {
	var env struct {
		IVRRoute *zdRouteIn `json:"ivr_route"`
	}
	data, err := io.ReadAll(r.Body)
	if err == nil {
		err = decodeStrict(data, &env)
	}
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		writeZendeskError(w, http.StatusRequestEntityTooLarge, "TooLarge", err.Error())
	case err != nil:
		writeZendeskError(w, http.StatusBadRequest, "", err.Error())
	case env.IVRRoute == nil:
		writeZendeskError(w, http.StatusBadRequest, "", `the body is {"ivr_route": {...}}`)
	default:
		return *env.IVRRoute, true
	}
	return zdRouteIn{}, false
}

// destination turns a Zendesk action into an ivrd destination; textback
// becomes a webhook destination (zendesk_textback.go).
func (world zdWorld) destination(top string, action string, raw json.RawMessage, trunks []store.Resource) (any, error) {
	var opts struct {
		MenuID      *int64  `json:"menu_id"`
		PhoneNumber *string `json:"phone_number"`
		GroupIDs    []int64 `json:"group_ids"`
	}
	if len(bytes.TrimSpace(raw)) > 0 && string(raw) != "null" {
		dec := json.NewDecoder(bytes.NewReader(raw))
		if err := dec.Decode(&opts); err != nil {
			return nil, fmt.Errorf("options: %v", err)
		}
	}
	switch action {
	case "menu":
		if opts.MenuID == nil {
			return nil, errors.New("action menu needs options.menu_id")
		}
		for _, res := range world.all {
			if zdID("ivr", res.ID) == *opts.MenuID {
				return map[string]any{"ivr": res.ID}, nil
			}
		}
		return nil, fmt.Errorf("options.menu_id %d: no such menu", *opts.MenuID)
	case "phone_number":
		if opts.PhoneNumber == nil || *opts.PhoneNumber == "" {
			return nil, errors.New("action phone_number needs options.phone_number")
		}
		num := strings.TrimPrefix(*opts.PhoneNumber, "+")
		if strings.Trim(num, "0123456789") != "" || len(num) > 20 {
			return nil, fmt.Errorf("options.phone_number %q: want a phone number (digits, an optional +)", *opts.PhoneNumber)
		}
		// Out through the IVR's dial-out trunk, else the only trunk.
		trunk := ""
		if d, ok := world.byID[top].Body["dial_out"].(map[string]any); ok {
			trunk = str(d, "trunk")
		}
		if trunk == "" && len(trunks) == 1 {
			trunk = trunks[0].ID
		}
		if trunk == "" {
			return nil, errors.New("phone_number needs a trunk: set dial_out.trunk on the IVR (or configure exactly one trunk)")
		}
		return map[string]any{"external": *opts.PhoneNumber, "trunk": trunk}, nil
	case "group":
		return world.groupDestination(opts.GroupIDs)
	case "voicemail":
		return world.groupVoicemail(opts.GroupIDs)
	case "textback":
		return textbackDestination(raw)
	}
	return nil, fmt.Errorf("action %q: want menu, phone_number, group, voicemail or textback", action)
}

// writeRoute applies f to the menu's keys and stores the IVR, re-reading
// on a concurrent change; it answers the new route (or 204 for a delete).
func (s *Server) writeRoute(w http.ResponseWriter, r *http.Request, menu string, status int, f func(world zdWorld, keys map[string]any) (string, error)) {
	for attempt := 0; ; attempt++ {
		world, err := s.zdLoad(r)
		if err != nil {
			s.zdStoreError(w, r, err)
			return
		}
		res := world.byID[menu]
		keys := keysOf(res.Body)
		if keys == nil {
			keys = map[string]any{}
			res.Body["keys"] = keys
		}
		key, err := f(world, keys)
		if err != nil {
			writeZendeskError(w, http.StatusUnprocessableEntity, "", err.Error())
			return
		}
		_, err = s.st.Put(r.Context(), who(r), store.IVRs, res.ID, res.Body, res.Version)
		if errors.Is(err, store.ErrConflict) && attempt < 10 {
			continue
		}
		if err != nil {
			s.zdStoreError(w, r, err)
			return
		}
		if status == http.StatusNoContent {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, map[string]any{"ivr_route": world.route(menu, key, keys[key])})
		return
	}
}

func (s *Server) trunks(r *http.Request) ([]store.Resource, error) {
	return s.st.List(r.Context(), store.Trunks)
}

func checkUnsupported(in zdRouteIn) error {
	if len(in.Tags) > 0 {
		return errors.New("tags: ivrd keeps no tickets; routes take no tags")
	}
	if len(in.OverflowOptions) > 0 {
		return errors.New("overflow_options: not supported through this API; set overflow on the destination with the native API")
	}
	return nil
}

// routeWrite is what a route's create or update request carries, read
// and checked once before the write: the menu, the route's keypress (on
// update), the body, the trunks numbers go out through, and the IVR.
type routeWrite struct {
	menu, key string
	in        zdRouteIn
	trunks    []store.Resource
	top       string
}

// readRouteWrite locates the route's menu (and the route itself when
// wantRoute) and reads the body; false once the answer has been written.
func (s *Server) readRouteWrite(w http.ResponseWriter, r *http.Request, wantRoute bool) (routeWrite, bool) {
	world, menu, key, ok := s.locate(w, r, wantRoute)
	if !ok {
		return routeWrite{}, false
	}
	in, ok := readRoute(w, r)
	if !ok {
		return routeWrite{}, false
	}
	trunks, err := s.trunks(r)
	if err != nil {
		s.zdStoreError(w, r, err)
		return routeWrite{}, false
	}
	return routeWrite{menu: menu, key: key, in: in, trunks: trunks, top: topOf(world, r)}, true
}

// freeKeypress checks that k is a Zendesk keypress no route of the menu
// uses yet.
func freeKeypress(keys map[string]any, k string) error {
	if !slices.Contains(zdKeypresses, k) {
		return errors.New(`keypress: want "0"-"9", "*", "#" or "default"`)
	}
	if _, taken := keys[k]; taken {
		return fmt.Errorf("keypress %q already has a route in this menu", k)
	}
	return nil
}

func (s *Server) zdCreateRoute(w http.ResponseWriter, r *http.Request) {
	rw, ok := s.readRouteWrite(w, r, false)
	if !ok {
		return
	}
	in, trunks, top := rw.in, rw.trunks, rw.top
	s.writeRoute(w, r, rw.menu, http.StatusCreated, func(world zdWorld, keys map[string]any) (string, error) {
		if err := checkUnsupported(in); err != nil {
			return "", err
		}
		if in.Action == nil {
			return "", errors.New("action is required")
		}
		d, err := world.destination(top, *in.Action, in.Options, trunks)
		if err != nil {
			return "", err
		}
		if in.Keypress == nil {
			return "", errors.New(`keypress: want "0"-"9", "*", "#" or "default"`)
		}
		if err := freeKeypress(keys, *in.Keypress); err != nil {
			return "", err
		}
		keys[*in.Keypress] = d
		return *in.Keypress, nil
	})
}

// topOf is the ivrd id of the path's Zendesk IVR (already located).
func topOf(world zdWorld, r *http.Request) string {
	n, _ := strconv.ParseInt(r.PathValue("ivr"), 10, 64)
	for _, res := range world.all {
		if zdID("ivr", res.ID) == n {
			return res.ID
		}
	}
	return ""
}

func (s *Server) zdUpdateRoute(w http.ResponseWriter, r *http.Request) {
	rw, ok := s.readRouteWrite(w, r, true)
	if !ok {
		return
	}
	in, trunks, top, key := rw.in, rw.trunks, rw.top, rw.key
	s.writeRoute(w, r, rw.menu, http.StatusOK, func(world zdWorld, keys map[string]any) (string, error) {
		if err := checkUnsupported(in); err != nil {
			return "", err
		}
		cur, exists := keys[key]
		if !exists {
			return "", fmt.Errorf("the route for keypress %q was deleted meanwhile", key)
		}
		if in.Options != nil && in.Action == nil {
			return "", errors.New("action is required when updating options")
		}
		if in.Action != nil {
			d, err := world.destination(top, *in.Action, in.Options, trunks)
			if err != nil {
				return "", err
			}
			cur = d
		}
		newKey := key
		if in.Keypress != nil && *in.Keypress != key {
			if err := freeKeypress(keys, *in.Keypress); err != nil {
				return "", err
			}
			delete(keys, key)
			newKey = *in.Keypress
		}
		keys[newKey] = cur
		return newKey, nil
	})
}

func (s *Server) zdDeleteRoute(w http.ResponseWriter, r *http.Request) {
	_, menu, key, ok := s.locate(w, r, true)
	if !ok {
		return
	}
	s.writeRoute(w, r, menu, http.StatusNoContent, func(_ zdWorld, keys map[string]any) (string, error) {
		delete(keys, key)
		return key, nil
	})
}

// zdStoreError maps a store error onto Zendesk's shape: 422 with every
// problem for a configuration that would not validate.
func (s *Server) zdStoreError(w http.ResponseWriter, r *http.Request, err error) {
	var verr *store.ValidationError
	switch {
	case errors.As(err, &verr):
		var msgs []string
		for _, p := range verr.Problems {
			if !p.Warning {
				msgs = append(msgs, p.String())
			}
		}
		writeZendeskError(w, http.StatusUnprocessableEntity, "", strings.Join(msgs, "; "))
	case errors.Is(err, store.ErrNotFound):
		writeZendeskError(w, http.StatusNotFound, "", err.Error())
	default:
		s.log.Error("zendesk api", "method", r.Method, "path", r.URL.Path, "err", err)
		writeZendeskError(w, http.StatusInternalServerError, "InternalError", "internal error")
	}
}
