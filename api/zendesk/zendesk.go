package zendesk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/ivrd/ivrd/api/edit"
	"github.com/ivrd/ivrd/store"
)

// Base is where Zendesk's routes are served.
const Base = "/api/v2/channels/voice/ivr"

// Owns reports whether the request is for this API.
func Owns(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, Base) }

// Store is what the API needs of the store: resources, and the
// configuration's version, which new route ids are made from.
type Store interface {
	edit.Writer
	ConfigVersion(ctx context.Context) (int64, error)
}

// Config is what the API is built from.
type Config struct {
	Store Store
	Log   *slog.Logger
	// Who names the token that made the request (for the audit log).
	Who func(*http.Request) string
}

// API is the handler set.
type API struct {
	st  Store
	log *slog.Logger
	who func(*http.Request) string
}

// New builds the API.
func New(o Config) *API {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Who == nil {
		o.Who = func(*http.Request) string { return "" }
	}
	return &API{st: o.Store, log: o.Log, who: o.Who}
}

// Routes adds the API's routes to m (paths with or without ".json": the
// caller trims the suffix).
func (a *API) Routes(m *http.ServeMux) {
	m.HandleFunc("GET "+Base, a.listIVRs)
	m.HandleFunc("GET "+Base+"/{ivr}/menus/{menu}/routes", a.listRoutes)
	m.HandleFunc("POST "+Base+"/{ivr}/menus/{menu}/routes", a.createRoute)
	m.HandleFunc("GET "+Base+"/{ivr}/menus/{menu}/routes/{route}", a.showRoute)
	m.HandleFunc("PUT "+Base+"/{ivr}/menus/{menu}/routes/{route}", a.updateRoute)
	m.HandleFunc("DELETE "+Base+"/{ivr}/menus/{menu}/routes/{route}", a.deleteRoute)
}

// errorBody is Zendesk's error: {"error", "description"}.
type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"description"`
}

// WriteError answers as Zendesk does; code names the error where the
// status has no Zendesk name.
func WriteError(w http.ResponseWriter, status int, code, msg string) {
	name := code
	switch status {
	case http.StatusNotFound:
		name = "RecordNotFound"
	case http.StatusUnprocessableEntity:
		name = "RecordInvalid"
	case http.StatusBadRequest:
		name = "InvalidValue"
	case http.StatusForbidden:
		name = "Forbidden"
	case http.StatusUnauthorized:
		name = "Unauthorized"
	}
	writeJSON(w, status, errorBody{Error: name, Description: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // our own values always encode; a gone client has no one to tell
}

// refusal is a request the configuration cannot take: 422.
type refusal struct{ msg string }

func (e *refusal) Error() string { return e.msg }

func refuse(format string, a ...any) error { return &refusal{fmt.Sprintf(format, a...)} }

// storeError maps an error onto Zendesk's shape: 422 for a refused route
// or a configuration that would not validate (every problem), 404, else
// 500 with the detail in the log only.
func (a *API) storeError(w http.ResponseWriter, r *http.Request, err error) {
	var verr *store.ValidationError
	var ref *refusal
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &ref):
		WriteError(w, http.StatusUnprocessableEntity, "", ref.msg)
	case errors.As(err, &maxErr):
		WriteError(w, http.StatusRequestEntityTooLarge, "TooLarge", err.Error())
	case errors.As(err, &verr):
		var msgs []string
		for _, p := range verr.Problems {
			if !p.Warning {
				msgs = append(msgs, p.String())
			}
		}
		WriteError(w, http.StatusUnprocessableEntity, "", strings.Join(msgs, "; "))
	case errors.Is(err, store.ErrBadInput):
		WriteError(w, http.StatusUnprocessableEntity, "", err.Error())
	case errors.Is(err, store.ErrNotFound):
		WriteError(w, http.StatusNotFound, "", err.Error())
	default:
		a.log.Error("zendesk api", "method", r.Method, "path", r.URL.Path, "err", err)
		WriteError(w, http.StatusInternalServerError, "InternalError", "internal error")
	}
}
