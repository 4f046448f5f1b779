package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// StreamControl starts and stops media streams on calls in progress
// (node wires it to the call registry and package stream).
type StreamControl interface {
	// StartStream forks the call's audio to req's WebSocket, listening
	// only; it returns the stream's id (ErrNoSuchCall, ErrBadStream,
	// ErrTooManyStreams).
	StartStream(callID string, req StreamRequest) (string, error)
	// StopStream ends one (ErrNoSuchCall, ErrNoSuchStream).
	StopStream(callID, streamID string) error
}

// StreamRequest is POST /api/v1/calls/{id}/streams's body: a stream
// destination's settings, as in the configuration (checked the same way).
type StreamRequest struct {
	URL        string            `json:"url"`
	Track      string            `json:"track,omitempty"`  // inbound (default) | both
	Format     string            `json:"format,omitempty"` // mulaw8k (default) | pcm16k
	Parameters map[string]string `json:"parameters,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
}

// Errors a StreamControl answers with.
var (
	ErrBadStream      = errors.New("stream settings refused")
	ErrTooManyStreams = errors.New("the call has as many streams open as streams.max_per_call allows")
	ErrNoSuchStream   = errors.New("no such stream on this call")
)

// streamRoutes adds the media streams of live calls.
func (s *Server) streamRoutes() {
	s.mux.HandleFunc("POST /api/v1/calls/{id}/streams", s.startStream)
	s.mux.HandleFunc("DELETE /api/v1/calls/{id}/streams/{stream}", s.stopStream)
}

func (s *Server) startStream(w http.ResponseWriter, r *http.Request) {
	sc, ok := running(w, s.cfg.Streams)
	if !ok {
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	var req StreamRequest
	if err := decodeStrict(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "body: "+err.Error())
		return
	}
	id := r.PathValue("id")
	sid, err := sc.StartStream(id, req)
	if err != nil {
		s.streamError(w, id, err)
		return
	}
	// The URL without its query, which may carry a token; headers never.
	s.log.Info("audit", "who", who(r), "action", "stream", "kind", "calls", "id", id, "stream", sid, "url", withoutQuery(req.URL))
	writeJSON(w, http.StatusCreated, map[string]any{"call_id": id, "stream_id": sid})
}

func (s *Server) stopStream(w http.ResponseWriter, r *http.Request) {
	sc, ok := running(w, s.cfg.Streams)
	if !ok {
		return
	}
	id, sid := r.PathValue("id"), r.PathValue("stream")
	if err := sc.StopStream(id, sid); err != nil {
		s.streamError(w, id, err)
		return
	}
	s.log.Info("audit", "who", who(r), "action", "stop_stream", "kind", "calls", "id", id, "stream", sid)
	w.WriteHeader(http.StatusNoContent)
}

// streamError: 404 for no such call or stream, 400 for settings refused,
// 409 for a call with as many streams as it may have.
func (s *Server) streamError(w http.ResponseWriter, id string, err error) {
	switch {
	case errors.Is(err, ErrNoSuchCall), errors.Is(err, ErrNoSuchStream):
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("call %q: %v", id, err))
	case errors.Is(err, ErrBadStream):
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
	case errors.Is(err, ErrTooManyStreams):
		writeError(w, http.StatusConflict, "too_many_streams", fmt.Sprintf("call %q: %v", id, err))
	default:
		writeError(w, http.StatusServiceUnavailable, "no_streams", err.Error())
	}
}

func withoutQuery(u string) string {
	for i := 0; i < len(u); i++ {
		if u[i] == '?' || u[i] == '#' {
			return u[:i]
		}
	}
	return u
}

// addStreamPaths is the OpenAPI part of the streams routes.
func addStreamPaths(paths, schemas obj) {
	str := obj{"type": "string"}
	strMap := obj{"type": "object", "additionalProperties": str}
	schemas["StreamRequest"] = obj{"type": "object", "additionalProperties": false, "required": []any{"url"},
		"description": "a stream destination's settings (listen only: what the far end sends back is not played)",
		"properties": obj{"url": obj{"type": "string", "example": "wss://bot.example.com/media"},
			"track":      obj{"type": "string", "enum": []any{"inbound", "both"}, "default": "inbound"},
			"format":     obj{"type": "string", "enum": []any{"mulaw8k", "pcm16k"}, "default": "mulaw8k"},
			"parameters": strMap, "headers": strMap}}
	callIDParam := obj{"name": "id", "in": "path", "required": true, "schema": str, "description": "the call's SIP Call-ID"}
	paths["/api/v1/calls/{id}/streams"] = obj{"parameters": []any{callIDParam},
		"post": op("fork a call's audio to a WebSocket in Twilio Media Streams messages until stopped, the far end closes or the call ends; 400 for settings validate would refuse (a private address without streams.allow_private), 409 when the call has streams.max_per_call open",
			obj{"201": response("started", obj{"type": "object", "required": []any{"call_id", "stream_id"}, "properties": obj{
				"call_id": str, "stream_id": obj{"type": "string", "example": "MZ3f0c…"}}})},
			obj{"requestBody": obj{"required": true, "content": jsonContent(ref("StreamRequest"))}})}
	paths["/api/v1/calls/{id}/streams/{stream}"] = obj{"parameters": []any{callIDParam,
		obj{"name": "stream", "in": "path", "required": true, "schema": str, "description": "the stream's id (its streamSid)"}},
		"delete": op("stop a stream: the far end gets a stop message; a stream destination's call goes on to its then",
			obj{"204": obj{"description": "stopped"}}, nil)}
}
