package api

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ivrd/ivrd/api/edit"
	"github.com/ivrd/ivrd/store"
)

// resourceHandler serves one kind's CRUD routes.
type resourceHandler struct {
	s    *Server
	st   edit.Resources
	kind store.Kind
}

// readOnly are the fields responses add; a body sent back with them is
// accepted and they are ignored.
var readOnly = []string{"version", "updated_at", "password_set", "pin_set"}

// filters are each kind's list query parameters besides limit, cursor
// and id_prefix: a field of the resource and how it matches.
var filters = map[store.Kind]map[string]func(body map[string]any, want string) bool{
	store.IVRs: {
		"tenant":    fieldIs("tenant"),
		"schedule":  fieldIs("schedule"),
		"extension": listHas("extensions"),
	},
	store.Trunks:         {},
	store.Extensions:     {"name": fieldIs("name")},
	store.Schedules:      {"timezone": fieldIs("timezone")},
	store.Groups:         {"strategy": fieldIs("strategy")},
	store.VoicemailBoxes: {},
}

func fieldIs(f string) func(map[string]any, string) bool {
	return func(b map[string]any, want string) bool { v, _ := b[f].(string); return v == want }
}

func listHas(f string) func(map[string]any, string) bool {
	return func(b map[string]any, want string) bool {
		l, _ := b[f].([]any)
		return slices.Contains(l, any(want))
	}
}

// present is a resource as the API shows it: without its secret (only
// whether one is set), with its version and time of change.
func (h *resourceHandler) present(r store.Resource) map[string]any {
	out := make(map[string]any, len(r.Body)+3)
	for k, v := range r.Body {
		out[k] = v
	}
	if sec := h.kind.Secret(); sec != "" {
		v, _ := out[sec].(string)
		delete(out, sec)
		out[sec+"_set"] = v != "" // password_set, pin_set
	}
	out["version"] = r.Version
	out["updated_at"] = r.UpdatedAt.Format(time.RFC3339Nano)
	return out
}

func etag(v int64) string { return `"` + strconv.FormatInt(v, 10) + `"` }

// ifMatch reads If-Match: 0 when absent or "*", else the version.
func ifMatch(r *http.Request) (int64, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, nil
	}
	h = strings.TrimPrefix(h, "W/")
	v, err := strconv.ParseInt(strings.Trim(h, `"`), 10, 64)
	if err != nil || v <= 0 || !strings.HasPrefix(h, `"`) {
		return 0, fmt.Errorf("If-Match %q: want an ETag from a GET, like \"3\"", r.Header.Get("If-Match"))
	}
	return v, nil
}

// readJSON reads a JSON object body (415 for another media type, 413 when
// too large, 400 when malformed), without the read-only fields.
func readJSON(w http.ResponseWriter, r *http.Request, allow ...string) (map[string]any, bool) {
	ct := r.Header.Get("Content-Type")
	if ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !slices.Contains(allow, mt)) {
			writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type",
				fmt.Sprintf("Content-Type %q: want application/json", ct))
			return nil, false
		}
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("request body over %d bytes", maxErr.Limit))
		} else {
			writeError(w, http.StatusBadRequest, "bad_request", "reading the body: "+err.Error())
		}
		return nil, false
	}
	body, err := store.DecodeBody(data)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return nil, false
	}
	for _, f := range readOnly {
		delete(body, f)
	}
	return body, true
}

func (h *resourceHandler) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 50
	for k := range q {
		if k != "limit" && k != "cursor" && k != "id_prefix" && filters[h.kind][k] == nil {
			writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("unknown query parameter %q", k))
			return
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("limit %q: want 1-500", v))
			return
		}
		limit = n
	}
	after := ""
	if c := q.Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil || len(b) == 0 {
			writeError(w, http.StatusBadRequest, "bad_request", "cursor: not one this API gave out")
			return
		}
		after = string(b)
	}
	all, err := h.st.List(r.Context(), h.kind)
	if err != nil {
		h.s.storeError(w, r, err)
		return
	}
	items := []map[string]any{}
	next := ""
	for _, res := range all {
		if after != "" && res.ID <= after {
			continue
		}
		if p := q.Get("id_prefix"); p != "" && !strings.HasPrefix(res.ID, p) {
			continue
		}
		keep := true
		for k, match := range filters[h.kind] {
			if want := q.Get(k); want != "" && !match(res.Body, want) {
				keep = false
			}
		}
		if !keep {
			continue
		}
		if len(items) == limit {
			next = base64.RawURLEncoding.EncodeToString([]byte(items[len(items)-1][h.kind.IDField()].(string)))
			break
		}
		items = append(items, h.present(res))
	}
	out := map[string]any{"items": items}
	if next != "" {
		out["next_cursor"] = next
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *resourceHandler) get(w http.ResponseWriter, r *http.Request) {
	res, err := h.st.Get(r.Context(), h.kind, r.PathValue("id"))
	if err != nil {
		h.s.storeError(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(res.Version))
	writeJSON(w, http.StatusOK, h.present(res))
}

// written answers a successful write with the resource and its ETag, and
// the configuration's warnings, if any, in a header.
func (h *resourceHandler) written(w http.ResponseWriter, res store.WriteResult, status int) {
	out := res.Resources[0]
	w.Header().Set("ETag", etag(out.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", "/api/v1/"+string(h.kind)+"/"+out.ID)
	}
	if n := len(res.Warnings); n > 0 {
		w.Header().Set("X-Ivrd-Warnings", strconv.Itoa(n))
	}
	writeJSON(w, status, h.present(out))
}

func (h *resourceHandler) create(w http.ResponseWriter, r *http.Request) {
	body, ok := readJSON(w, r)
	if !ok {
		return
	}
	res, err := h.st.Create(r.Context(), who(r), h.kind, body)
	if err != nil {
		h.s.storeError(w, r, err)
		return
	}
	h.written(w, res, http.StatusCreated)
}

func (h *resourceHandler) put(w http.ResponseWriter, r *http.Request) {
	v, err := ifMatch(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	body, ok := readJSON(w, r)
	if !ok {
		return
	}
	res, err := h.st.Put(r.Context(), who(r), h.kind, r.PathValue("id"), body, v)
	if err != nil {
		h.s.storeError(w, r, err)
		return
	}
	status := http.StatusOK
	if res.Resources[0].Version == 1 {
		status = http.StatusCreated
	}
	h.written(w, res, status)
}

// patch applies a JSON merge patch (RFC 7396): fields given replace,
// null removes, objects (keys, dial_out, ...) merge. Without If-Match a
// concurrent change is merged into, never overwritten: the patch is
// re-applied to the newer version.
func (h *resourceHandler) patch(w http.ResponseWriter, r *http.Request) {
	v, err := ifMatch(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	patch, ok := readJSON(w, r, "application/merge-patch+json")
	if !ok {
		return
	}
	res, err := edit.Update(r.Context(), h.st, who(r), h.kind, r.PathValue("id"), v, func(body *map[string]any) error {
		*body = mergePatch(*body, patch)
		return nil
	})
	if err != nil {
		h.s.storeError(w, r, err)
		return
	}
	h.written(w, res, http.StatusOK)
}

// mergePatch merges patch into target. A destination (a key's value,
// on_failure, then, overflow) is replaced whole, never merged: merging
// {"ivr": "support"} into {"uri": "..."} would make a destination with two
// targets.
func mergePatch(target, patch map[string]any) map[string]any {
	return merge(target, patch, false)
}

func merge(target, patch map[string]any, inKeys bool) map[string]any {
	if target == nil {
		target = map[string]any{}
	}
	for k, v := range patch {
		switch pv := v.(type) {
		case nil:
			delete(target, k)
		case map[string]any:
			if inKeys || k == "on_failure" || k == "then" || k == "overflow" {
				target[k] = pv
				continue
			}
			t, _ := target[k].(map[string]any)
			target[k] = merge(t, pv, k == "keys")
		default:
			target[k] = v
		}
	}
	return target
}

func (h *resourceHandler) delete(w http.ResponseWriter, r *http.Request) {
	v, err := ifMatch(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if _, err := h.st.Delete(r.Context(), who(r), h.kind, r.PathValue("id"), v); err != nil {
		h.s.storeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
