package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// QueueControl is the running server's call queues as the API may see
// and move them; the node gives it.
type QueueControl interface {
	// Queues lists the configured queues: who waits, the agents' states.
	Queues() []Queue
	// SetLoggedIn logs an agent in or out (ErrUnknownQueue, ErrNotAgent).
	SetLoggedIn(queue, agent string, in bool) error
}

// Queue errors the API answers 404 for.
var (
	ErrUnknownQueue = errors.New("no such queue")
	ErrNotAgent     = errors.New("not an agent of that queue")
)

// Queue is one call queue as GET /api/v1/queues shows it (this node's
// state: queues are kept per node).
type Queue struct {
	ID       string        `json:"id"`
	Name     string        `json:"name"`
	Number   string        `json:"number,omitempty"`
	Strategy string        `json:"strategy"`
	Waiting  []QueueCaller `json:"waiting"`
	Agents   []QueueAgent  `json:"agents"`
	// Since the node started.
	Answered            uint64  `json:"answered"`
	AnsweredWithinLevel uint64  `json:"answered_within_service_level"`
	Abandoned           uint64  `json:"abandoned"`
	ServiceLevelSeconds float64 `json:"service_level_seconds"`
	LongestWaitSeconds  float64 `json:"longest_wait_seconds"`
	// AverageWaitSeconds is the answered callers' rolling average wait,
	// what announce_wait's estimate is made of; absent until one was
	// answered.
	AverageWaitSeconds float64 `json:"average_wait_seconds,omitempty"`
}

// QueueCaller is one waiting call.
type QueueCaller struct {
	CallID      string  `json:"call_id"`
	Caller      string  `json:"caller"`
	Position    int     `json:"position"`
	WaitSeconds float64 `json:"wait_seconds"`
}

// QueueAgent is one agent: free, ringing, busy, wrap_up or logged_out.
type QueueAgent struct {
	Number    string    `json:"number"`
	State     string    `json:"state"`
	IdleSince time.Time `json:"idle_since"`
}

func (s *Server) queueRoutes() {
	s.mux.HandleFunc("GET /api/v1/queues", s.listQueues)
	s.mux.HandleFunc("POST /api/v1/queues/{id}/agents/{number}/login", s.agentLogin(true))
	s.mux.HandleFunc("POST /api/v1/queues/{id}/agents/{number}/logout", s.agentLogin(false))
}

func (s *Server) queues(w http.ResponseWriter) (QueueControl, bool) { return running(w, s.cfg.Queues) }

func (s *Server) listQueues(w http.ResponseWriter, _ *http.Request) {
	qc, ok := s.queues(w)
	if !ok {
		return
	}
	writeItems(w, qc.Queues())
}

func (s *Server) agentLogin(in bool) http.HandlerFunc {
	action := "logout"
	if in {
		action = "login"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		qc, ok := s.queues(w)
		if !ok {
			return
		}
		queue, agent := r.PathValue("id"), r.PathValue("number")
		if err := qc.SetLoggedIn(queue, agent, in); err != nil {
			if errors.Is(err, ErrUnknownQueue) || errors.Is(err, ErrNotAgent) {
				writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("agent %q of queue %q: %v", agent, queue, err))
				return
			}
			s.log.Error("queue request failed", "queue", queue, "agent", agent, "err", err)
			writeError(w, http.StatusInternalServerError, "internal", "the request failed")
			return
		}
		s.log.Info("audit", "who", who(r), "action", action, "kind", "queues", "id", queue, "agent", agent)
		writeJSON(w, http.StatusOK, map[string]any{"queue": queue, "agent": agent, "logged_in": in})
	}
}

// addQueuePaths is the OpenAPI part of the queues' routes.
func addQueuePaths(paths, schemas obj) {
	str, num, integer := obj{"type": "string"}, obj{"type": "number"}, obj{"type": "integer"}
	schemas["QueueCaller"] = obj{"type": "object", "required": []any{"call_id", "position", "wait_seconds"}, "properties": obj{
		"call_id": str, "caller": str, "position": obj{"type": "integer", "description": "1: next to be served"}, "wait_seconds": num}}
	schemas["QueueAgent"] = obj{"type": "object", "required": []any{"number", "state"}, "properties": obj{
		"number": str, "state": obj{"type": "string", "enum": []any{"free", "ringing", "busy", "wrap_up", "logged_out"}},
		"idle_since": obj{"type": "string", "format": "date-time", "description": "the end of its last queue call, or its login (longest_idle rings the oldest)"}}}
	schemas["Queue"] = obj{"type": "object", "required": []any{"id", "waiting", "agents"}, "properties": obj{
		"id": str, "name": str, "number": str, "strategy": str,
		"waiting": obj{"type": "array", "items": ref("QueueCaller")}, "agents": obj{"type": "array", "items": ref("QueueAgent")},
		"answered": integer, "answered_within_service_level": integer, "abandoned": integer,
		"service_level_seconds": num, "longest_wait_seconds": num,
		"average_wait_seconds": obj{"type": "number", "description": "the answered callers' rolling average wait (each new one counts for a quarter): " +
			"announce_wait's estimate is it times the caller's position; absent until a caller was answered"}}}
	paths["/api/v1/queues"] = obj{"get": op("the call queues on this node: callers waiting (position, wait) and agents (state)",
		obj{"200": response("the queues", obj{"type": "object", "required": []any{"items"}, "properties": obj{
			"items": obj{"type": "array", "items": ref("Queue")}}})}, nil)}
	queueParam := obj{"name": "id", "in": "path", "required": true, "schema": str, "description": "the queue's id"}
	agentParam := obj{"name": "number", "in": "path", "required": true, "schema": str, "description": "the agent: a member's extension number (or sip: URI)"}
	state := obj{"type": "object", "properties": obj{"queue": str, "agent": str, "logged_in": obj{"type": "boolean"}}}
	paths["/api/v1/queues/{id}/agents/{number}/login"] = obj{"parameters": []any{queueParam, agentParam},
		"post": op("log an agent in: its phone is rung for the queue's callers (404 if it is not a member)", obj{"200": response("logged in", state)}, nil)}
	paths["/api/v1/queues/{id}/agents/{number}/logout"] = obj{"parameters": []any{queueParam, agentParam},
		"post": op("log an agent out: its phone is no longer rung for the queue", obj{"200": response("logged out", state)}, nil)}
}
