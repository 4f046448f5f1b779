package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ivrd/ivrd/api/wazo"
	"github.com/ivrd/ivrd/api/yeastar"
	"github.com/ivrd/ivrd/api/zendesk"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/store"
)

// Body limits: configuration bodies are small; a prompt upload may be a
// few minutes of 48 kHz stereo WAV.
const (
	DefaultMaxBody   = 1 << 20
	DefaultMaxUpload = 32 << 20
)

// Config is what the API needs from the server.
type Config struct {
	Store *store.Store
	// Tokens from server.api.tokens (SetTokens replaces them on reload).
	Tokens []ivr.APIToken
	// BasePrompts is the prompt set from prompts_dir or the bundled one;
	// stored prompts are added to it.
	BasePrompts func() *prompts.Library
	// Speaker speaks prompts uploaded as text (JSON {"say": ...}); nil:
	// espeak-ng from PATH, cached in memory.
	Speaker   *prompts.Speaker
	Log       *slog.Logger
	MaxBody   int64
	MaxUpload int64
	// Calls, when set, is the running server's calls (live calls,
	// hang-up, transfer: calls.go); Node names this node in them.
	Calls CallControl
	Node  string
	// Conferences, when set, is the running server's conference rooms
	// (conferences.go).
	Conferences ConferenceControl
	// Queues, when set, is the running server's call queues (queues.go).
	Queues QueueControl
	// Streams, when set, starts and stops media streams on live calls
	// (streams.go).
	Streams StreamControl
	// Trunks, when set, is the running server's trunk registrations
	// (GET /api/v1/trunks/status: trunk_status.go).
	Trunks TrunkStates
	// FailLimit failed authentications per FailWindow from one address
	// are allowed; more get 429 until the window has passed.
	FailLimit  int
	FailWindow time.Duration
	// PlaceLimit calls per PlaceWindow may be placed with one token
	// (POST /api/v1/calls: place.go); 0: DefaultPlaceLimit per
	// DefaultPlaceWindow.
	PlaceLimit  int
	PlaceWindow time.Duration
}

// Server is the HTTP handler of the management API.
type Server struct {
	cfg    Config
	log    *slog.Logger
	st     *store.Store
	tokens atomic.Pointer[[]configToken]
	fails  *throttle
	mux    *http.ServeMux
	// placer places calls (place.go); placeLimit counts them per token.
	placer atomic.Pointer[CallPlacer]
	// promptRecorder records prompts by phone (promptcall.go).
	promptRecorder atomic.Pointer[PromptRecorder]
	placeLimit     *throttle
}

// New builds the API handler.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = DefaultMaxUpload
	}
	if cfg.FailLimit <= 0 {
		cfg.FailLimit = 20
	}
	if cfg.FailWindow <= 0 {
		cfg.FailWindow = time.Minute
	}
	if cfg.PlaceLimit <= 0 {
		cfg.PlaceLimit, cfg.PlaceWindow = DefaultPlaceLimit, DefaultPlaceWindow
	}
	if cfg.PlaceWindow <= 0 {
		cfg.PlaceWindow = DefaultPlaceWindow
	}
	if cfg.BasePrompts == nil {
		cfg.BasePrompts = prompts.Builtin
	}
	if cfg.Speaker == nil {
		cfg.Speaker = &prompts.Speaker{}
	}
	s := &Server{cfg: cfg, log: cfg.Log, st: cfg.Store, fails: newThrottle(cfg.FailLimit, cfg.FailWindow), mux: http.NewServeMux(),
		placeLimit: newThrottle(cfg.PlaceLimit, cfg.PlaceWindow)}
	s.SetTokens(cfg.Tokens)
	s.routes()
	return s
}

func (s *Server) routes() {
	m := s.mux
	for _, k := range store.Kinds {
		h := &resourceHandler{s: s, st: s.st, kind: k}
		base := "/api/v1/" + string(k)
		m.HandleFunc("GET "+base, h.list)
		m.HandleFunc("POST "+base, h.create)
		m.HandleFunc("GET "+base+"/{id}", h.get)
		m.HandleFunc("PUT "+base+"/{id}", h.put)
		m.HandleFunc("PATCH "+base+"/{id}", h.patch)
		m.HandleFunc("DELETE "+base+"/{id}", h.delete)
	}
	m.HandleFunc("GET /api/v1/prompts", s.listPrompts)
	m.HandleFunc("POST /api/v1/prompts", s.uploadPrompt)
	m.HandleFunc("GET /api/v1/prompts/{name}", s.getPrompt)
	m.HandleFunc("PUT /api/v1/prompts/{name}", s.uploadPrompt)
	m.HandleFunc("DELETE /api/v1/prompts/{name}", s.deletePrompt)
	m.HandleFunc("GET /api/v1/prompts/{name}/audio", s.promptAudio)
	m.HandleFunc("POST /api/v1/validate", s.validate)
	m.HandleFunc("POST /api/v1/simulate", s.simulate)
	m.HandleFunc("GET /api/v1/audit", s.audit)
	m.HandleFunc("GET /api/v1/whoami", s.whoami)             // whoami.go
	m.HandleFunc("GET /api/v1/trunks/status", s.trunkStatus) // trunk_status.go
	m.HandleFunc("GET /api/v1/openapi.json", s.openapi)
	yeastar.New(yeastar.Config{Store: s.st, Log: s.log, Who: who}).Routes(m)                   // api/yeastar: the seed's own API
	zendesk.New(zendesk.Config{Store: s.st, Log: s.log, Who: who}).Routes(m)                   // api/zendesk: the seed's own API
	wazo.New(wazo.Config{Store: s.st, Log: s.log, Who: who, Internal: s.storeError}).Routes(m) // api/wazo: Wazo confd's schedules, incalls, extensions and IVRs
	s.queueRoutes()                                                                            // call queues (queues.go)
	s.conferenceRoutes()                                                                       // conference rooms (conferences.go)
	s.callRoutes()                                                                             // live calls, history, stats (calls.go, history.go)
	s.streamRoutes()                                                                           // media streams on live calls (streams.go)
	s.revisionRoutes()                                                                         // an IVR's revisions, draft, publish, layout (revisions.go)
	s.recordingRoutes()                                                                        // call recordings (recordings.go)
	m.HandleFunc("POST /api/v1/calls", s.placeCall)                                            // placing calls (place.go)
	s.promptCallRoutes()                                                                       // prompts recorded by phone (promptcall.go)
	s.ivrExportRoutes()                                                                        // one IVR as YAML: export, import (ivrexport.go)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no route %s %s", r.Method, r.URL.Path))
	})
}

// ServeHTTP authenticates, bounds the body, and recovers from a handler
// panic with a 500 (a bug must not take the server down).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("api handler panic", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			writeError(w, http.StatusInternalServerError, "internal", "internal error")
		}
	}()
	who, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	limit := s.cfg.MaxBody
	if isUpload(r) {
		limit = s.cfg.MaxUpload
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if zendesk.Owns(r) {
		// Zendesk's routes work with and without ".json".
		r.URL.Path = strings.TrimSuffix(r.URL.Path, ".json")
	}
	r = r.WithContext(context.WithValue(r.Context(), whoKey{}, who))
	s.mux.ServeHTTP(w, r)
}

func isUpload(r *http.Request) bool {
	p := r.URL.Path
	return (r.Method == http.MethodPut || r.Method == http.MethodPost) && len(p) >= len("/api/v1/prompts") && p[:len("/api/v1/prompts")] == "/api/v1/prompts"
}

type whoKey struct{}

// who is the name of the token that made the request (for the audit log).
func who(r *http.Request) string {
	w, _ := r.Context().Value(whoKey{}).(string)
	return w
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // our own values always encode; a gone client has no one to tell
}
