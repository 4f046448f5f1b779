package wazo

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/ivrd/ivrd/api/edit"
)

// Base is where confd's routes are served.
const Base = "/api/confd/1.1"

// Owns reports whether the request is for this API.
func Owns(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, Base+"/") }

// Store is what the API needs of the store: schedules are created and
// deleted, IVRs changed.
type Store = edit.Resources

// Config is what the API is built from.
type Config struct {
	Store Store
	Log   *slog.Logger
	// Who names the token that made the request (for the audit log).
	Who func(*http.Request) string
	// Internal answers an error confd's shape has no place for (the
	// native API's 500 with its log line).
	Internal func(w http.ResponseWriter, r *http.Request, err error)
}

// API is the handler set.
type API struct {
	st       Store
	log      *slog.Logger
	who      func(*http.Request) string
	internal func(w http.ResponseWriter, r *http.Request, err error)
	pend     *pending
}

// New builds the API.
func New(c Config) *API {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Who == nil {
		c.Who = func(*http.Request) string { return "" }
	}
	a := &API{st: c.Store, log: c.Log, who: c.Who, internal: c.Internal, pend: newPending()}
	if a.internal == nil {
		a.internal = func(w http.ResponseWriter, r *http.Request, err error) {
			a.log.Error("wazo api", "method", r.Method, "path", r.URL.Path, "err", err)
			WriteError(w, http.StatusInternalServerError, "Internal Error")
		}
	}
	return a
}

// Routes adds the API's routes to m.
func (a *API) Routes(m *http.ServeMux) {
	m.HandleFunc("GET "+Base+"/schedules", a.listSchedules)
	m.HandleFunc("POST "+Base+"/schedules", a.createSchedule)
	m.HandleFunc("GET "+Base+"/schedules/{id}", a.getSchedule)
	m.HandleFunc("DELETE "+Base+"/schedules/{id}", a.deleteSchedule)
	m.HandleFunc("GET "+Base+"/incalls", a.listIncalls)
	m.HandleFunc("POST "+Base+"/incalls", a.createIncall)
	m.HandleFunc("GET "+Base+"/incalls/{incall}", a.getIncall)
	m.HandleFunc("PUT "+Base+"/incalls/{incall}", a.putIncall)
	m.HandleFunc("DELETE "+Base+"/incalls/{incall}", a.deleteIncall)
	m.HandleFunc("PUT "+Base+"/incalls/{incall}/extensions/{ext}", a.associate)
	m.HandleFunc("DELETE "+Base+"/incalls/{incall}/extensions/{ext}", a.dissociate)
	m.HandleFunc("GET "+Base+"/ivr", a.listIVRs)
	m.HandleFunc("POST "+Base+"/ivr", a.createIVR)
	m.HandleFunc("GET "+Base+"/ivr/{id}", a.getIVR)
	m.HandleFunc("PUT "+Base+"/ivr/{id}", a.putIVR)
	m.HandleFunc("DELETE "+Base+"/ivr/{id}", a.deleteIVR)
	m.HandleFunc("GET "+Base+"/extensions", a.listExtensions)
	m.HandleFunc("POST "+Base+"/extensions", a.createExtension)
	m.HandleFunc("GET "+Base+"/extensions/{ext}", a.getExtension)
	m.HandleFunc("DELETE "+Base+"/extensions/{ext}", a.deleteExtension)
	m.HandleFunc("PUT "+Base+"/incalls/{incall}/schedules/{id}", a.attach)
	m.HandleFunc("DELETE "+Base+"/incalls/{incall}/schedules/{id}", a.detach)
}

// WriteError answers as confd does: a JSON list of sentences.
func WriteError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, []string{msg})
}

// inputError writes confd's sentence: Go error strings are lower case
// without a full stop, confd's messages are sentences.
func inputError(w http.ResponseWriter, field, msg string) {
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	WriteError(w, http.StatusBadRequest, fmt.Sprintf("Input Error - field '%s': %s.", field, msg))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // our own values always encode; a gone client has no one to tell
}

// ScheduleID is the integer id of an ivrd schedule (stable: see
// edit.IntID).
func ScheduleID(id string) int64 { return edit.IntID("schedule", id) }

// IVRID is the integer id of an ivrd IVR (the same as Zendesk's).
func IVRID(id string) int64 { return edit.IntID("ivr", id) }
