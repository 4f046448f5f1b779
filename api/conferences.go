package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ConferenceControl is the running server's conference rooms as the API
// may see and move them; the node gives it (api never touches a room or
// a call itself).
type ConferenceControl interface {
	// Conferences lists the configured rooms with who is in each now.
	Conferences() []Conference
	// SetMuted mutes or unmutes a call in a room (ErrNotInConference).
	SetMuted(room, callID string, muted bool) error
	// RemoveParticipant takes a call out of a room and hangs it up
	// (ErrNotInConference).
	RemoveParticipant(room, callID string) error
}

// ErrNotInConference: the call is not in that room (any more).
var ErrNotInConference = errors.New("no such call in the conference room")

// Conference is one room as GET /api/v1/conferences shows it.
type Conference struct {
	ID              string                  `json:"id"`
	Name            string                  `json:"name"`
	Number          string                  `json:"number,omitempty"`
	MaxParticipants int                     `json:"max_participants,omitempty"`
	Participants    []ConferenceParticipant `json:"participants"`
	// Session is the room's session now (first join to last leave; ""
	// when it is empty): its recording's session. Recording says the
	// room's mix is being recorded.
	Session   string `json:"session,omitempty"`
	Recording bool   `json:"recording"`
}

// ConferenceParticipant is one call in a room.
type ConferenceParticipant struct {
	CallID   string    `json:"call_id"`
	Caller   string    `json:"caller"`
	JoinedAt time.Time `json:"joined_at"`
	Muted    bool      `json:"muted"`
	Talking  bool      `json:"talking"`
	// Moderator: joined with the room's moderator PIN.
	Moderator bool `json:"moderator"`
	// Waiting: held muted until a moderator joins (wait_for_moderator).
	Waiting bool `json:"waiting"`
}

// conferenceRoutes adds the rooms' routes.
func (s *Server) conferenceRoutes() {
	m := s.mux
	m.HandleFunc("GET /api/v1/conferences", s.listConferences)
	m.HandleFunc("POST /api/v1/conferences/{id}/participants/{call_id}/mute", s.muteParticipant(true))
	m.HandleFunc("POST /api/v1/conferences/{id}/participants/{call_id}/unmute", s.muteParticipant(false))
	m.HandleFunc("DELETE /api/v1/conferences/{id}/participants/{call_id}", s.removeParticipant)
}

func (s *Server) conferences(w http.ResponseWriter) (ConferenceControl, bool) {
	return running(w, s.cfg.Conferences)
}

func (s *Server) listConferences(w http.ResponseWriter, _ *http.Request) {
	cc, ok := s.conferences(w)
	if !ok {
		return
	}
	writeItems(w, cc.Conferences())
}

func (s *Server) muteParticipant(muted bool) http.HandlerFunc {
	action := "unmute"
	if muted {
		action = "mute"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		cc, ok := s.conferences(w)
		if !ok {
			return
		}
		room, id := r.PathValue("id"), r.PathValue("call_id")
		if err := cc.SetMuted(room, id, muted); err != nil {
			s.conferenceError(w, room, id, err)
			return
		}
		s.log.Info("audit", "who", who(r), "action", action, "kind", "conferences", "id", room, "call_id", id)
		writeJSON(w, http.StatusOK, map[string]any{"room": room, "call_id": id, "muted": muted})
	}
}

func (s *Server) removeParticipant(w http.ResponseWriter, r *http.Request) {
	cc, ok := s.conferences(w)
	if !ok {
		return
	}
	room, id := r.PathValue("id"), r.PathValue("call_id")
	if err := cc.RemoveParticipant(room, id); err != nil {
		s.conferenceError(w, room, id, err)
		return
	}
	s.log.Info("audit", "who", who(r), "action", "remove", "kind", "conferences", "id", room, "call_id", id)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) conferenceError(w http.ResponseWriter, room, id string, err error) {
	if errors.Is(err, ErrNotInConference) {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("call %q in room %q: %v", id, room, err))
		return
	}
	s.log.Error("conference request failed", "room", room, "call_id", id, "err", err)
	writeError(w, http.StatusInternalServerError, "internal", "the request failed")
}

// addConferencePaths is the OpenAPI part of the rooms' routes.
func addConferencePaths(paths, schemas obj) {
	str, boolean := obj{"type": "string"}, obj{"type": "boolean"}
	schemas["ConferenceParticipant"] = obj{"type": "object", "required": []any{"call_id", "muted", "talking"}, "properties": obj{
		"call_id": str, "caller": str, "joined_at": obj{"type": "string", "format": "date-time"},
		"muted": boolean, "talking": obj{"type": "boolean", "description": "the participant's audio is passing the silence gate (mixed when not muted)"},
		"moderator": obj{"type": "boolean", "description": "joined with the room's moderator PIN"},
		"waiting":   obj{"type": "boolean", "description": "held muted until a moderator joins (wait_for_moderator)"}}}
	schemas["Conference"] = obj{"type": "object", "required": []any{"id", "participants"}, "properties": obj{
		"id": str, "name": str, "number": str, "max_participants": obj{"type": "integer"},
		"participants": obj{"type": "array", "items": ref("ConferenceParticipant")},
		"session":      obj{"type": "string", "description": "the room's session now, from its first participant's joining to its last one's leaving (absent when empty); a room recording's session"},
		"recording":    obj{"type": "boolean", "description": "the room's whole mix is being recorded (record: true)"}}}
	roomParam := obj{"name": "id", "in": "path", "required": true, "schema": str, "description": "the room's id"}
	callParam := obj{"name": "call_id", "in": "path", "required": true, "schema": str, "description": "the participant's SIP Call-ID"}
	paths["/api/v1/conferences"] = obj{"get": op("the conference rooms with who is in each on this node (muted, talking)",
		obj{"200": response("the rooms", obj{"type": "object", "required": []any{"items"}, "properties": obj{
			"items": obj{"type": "array", "items": ref("Conference")}}})}, nil)}
	muted := obj{"type": "object", "properties": obj{"room": str, "call_id": str, "muted": boolean}}
	paths["/api/v1/conferences/{id}/participants/{call_id}/mute"] = obj{"parameters": []any{roomParam, callParam},
		"post": op("mute a participant: the others stop hearing it (404 if it is not in the room)", obj{"200": response("muted", muted)}, nil)}
	paths["/api/v1/conferences/{id}/participants/{call_id}/unmute"] = obj{"parameters": []any{roomParam, callParam},
		"post": op("unmute a participant", obj{"200": response("unmuted", muted)}, nil)}
	paths["/api/v1/conferences/{id}/participants/{call_id}"] = obj{"parameters": []any{roomParam, callParam},
		"delete": op("remove a participant from the room and hang its call up; its record says \"operator hung up\"", obj{"204": obj{"description": "removed"}}, nil)}
}
