package api

import (
	"net/http"
	"time"
)

// TrunkStatus is one trunk's registration as GET /api/v1/trunks/status
// shows it.
type TrunkStatus struct {
	Trunk     string `json:"trunk"`
	Registrar string `json:"registrar"`
	// Contact is the contact registered (this node's).
	Contact string `json:"contact,omitempty"`
	// Status: registering, registered, failed or unregistered.
	Status string `json:"status"`
	// LastCode is the registrar's last final answer (absent: none yet, or
	// no answer at all).
	LastCode  int    `json:"last_code,omitempty"`
	LastError string `json:"last_error,omitempty"`
	// NextAttempt is when the next REGISTER goes (refresh or retry).
	NextAttempt *time.Time `json:"next_attempt,omitempty"`
	// Expires is when the registrar drops the contact unless refreshed.
	Expires  *time.Time `json:"expires,omitempty"`
	Failures int        `json:"failures"`
}

// TrunkStates is the running server's trunk registrations.
type TrunkStates interface {
	TrunkStatuses() []TrunkStatus
}

// trunkStatus: GET /api/v1/trunks/status, this node's registrations.
func (s *Server) trunkStatus(w http.ResponseWriter, _ *http.Request) {
	if s.cfg.Trunks == nil {
		writeError(w, http.StatusServiceUnavailable, "no_sip", "this server runs no SIP (the API is served without it)")
		return
	}
	list := s.cfg.Trunks.TrunkStatuses()
	if list == nil {
		list = []TrunkStatus{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"node": s.cfg.Node, "trunks": list})
}

// trunkStatusPath is the OpenAPI description of GET /api/v1/trunks/status.
func trunkStatusPath() obj {
	dateTime := obj{"type": "string", "format": "date-time"}
	item := obj{"type": "object", "required": []any{"trunk", "registrar", "status", "failures"}, "properties": obj{
		"trunk":        obj{"type": "string"},
		"registrar":    obj{"type": "string"},
		"contact":      obj{"type": "string"},
		"status":       obj{"type": "string", "enum": []any{"registering", "registered", "failed", "unregistered"}},
		"last_code":    obj{"type": "integer"},
		"last_error":   obj{"type": "string"},
		"next_attempt": dateTime,
		"expires":      dateTime,
		"failures":     obj{"type": "integer"},
	}}
	return obj{"get": op("this node's trunk registrations: state, last answer, next attempt", obj{"200": response("the registrations",
		obj{"type": "object", "required": []any{"trunks"}, "properties": obj{
			"node": obj{"type": "string"}, "trunks": obj{"type": "array", "items": item}}})}, nil)}
}
