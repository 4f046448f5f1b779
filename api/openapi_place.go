package api

import (
	"reflect"

	"github.com/ivrd/ivrd/store"
)

// The OpenAPI part of placing calls (place.go) and of call and
// conference room recordings (recordings.go).

func addPlacePaths(paths, schemas obj) {
	str := obj{"type": "string"}
	schemas["Record"] = obj{"description": "record the call: true, or how", "oneOf": []any{obj{"type": "boolean"},
		obj{"type": "object", "additionalProperties": false, "properties": obj{
			"announce": obj{"type": "string", "description": "a prompt the caller hears first"},
			"format":   obj{"type": "string", "enum": []any{"stereo", "mono"}, "default": "stereo"}}}}}
	schemas["PlaceRequest"] = obj{"type": "object", "additionalProperties": false, "required": []any{"to"},
		"description": "whom to call and what the called party gets when it answers: exactly one of ivr and on_answer",
		"properties": obj{
			"to":           obj{"type": "string", "description": "a number (with trunk), an extension of the configuration, or a SIP URI"},
			"trunk":        obj{"type": "string", "description": "the trunk a number goes out through"},
			"caller_id":    obj{"type": "string", "description": "the caller id shown (default: the trunk's from_user, else ivrd)"},
			"ivr":          obj{"type": "string", "description": "the IVR whose menu the called party hears, as its caller"},
			"on_answer":    ref("Destination"),
			"on_no_answer": ref("Destination"),
			"on_busy":      ref("Destination"),
			"variables":    obj{"type": "object", "additionalProperties": str, "description": "${vars.NAME} in the call"},
			"ring_timeout": obj{"type": "string", "example": "30s", "description": "how long it rings (default 30 s, at most 5 min)"}}}
	schemas["Recording"] = jsonSchemaOf(reflect.TypeFor[store.Recording]())
	calls, _ := paths["/api/v1/calls"].(obj)
	if calls == nil {
		calls = obj{}
		paths["/api/v1/calls"] = calls
	}
	calls["post"] = op("place a call: it rings the target and, answered, runs the IVR (or on_answer) for the called party; "+
		"its record says direction outbound, answered or not (no answer, busy, refused; on_no_answer and on_busy webhooks are told). "+
		"A write token; limited per token (429 with Retry-After)",
		obj{"201": response("placed: ringing now", obj{"type": "object", "required": []any{"call_id"}, "properties": obj{
			"call_id": obj{"type": "string", "description": "the SIP Call-ID; its record is /api/v1/calls/history/{call_id}"}}})},
		obj{"requestBody": obj{"required": true, "content": jsonContent(ref("PlaceRequest"))}})
	paths["/api/v1/recordings"] = obj{"get": op("a call's or a conference room's recordings, oldest first (give call_id or conference)",
		obj{"200": response("the recordings", obj{"type": "object", "required": []any{"items"}, "properties": obj{
			"items": obj{"type": "array", "items": ref("Recording")}}})},
		obj{"parameters": []any{obj{"name": "call_id", "in": "query", "schema": str, "description": "the call's SIP Call-ID"},
			obj{"name": "conference", "in": "query", "schema": str,
				"description": "a conference room's id: its recordings (record: true), one per session (first join to last leave)"}}})}
	ids := []any{obj{"name": "id", "in": "path", "required": true, "schema": str, "description": "the call's SIP Call-ID"},
		obj{"name": "rid", "in": "path", "required": true, "schema": str, "description": "the recording's id"}}
	paths["/api/v1/calls/{id}/recordings/{rid}"] = obj{"parameters": ids,
		"get": op("a recording's audio: 16-bit PCM WAV, 8 or 16 kHz, stereo (the caller left) or mono; 404 on a node that does not hold the file",
			obj{"200": obj{"description": "the WAV file", "content": obj{"audio/wav": obj{"schema": obj{"type": "string", "format": "binary"}}}}}, nil),
		"delete": op("delete a recording, file and index (a write token; audited); 409 on a node that does not hold the file", obj{"204": obj{"description": "deleted"}}, nil)}
	roomIDs := []any{obj{"name": "id", "in": "path", "required": true, "schema": str, "description": "the conference room's id"},
		obj{"name": "rid", "in": "path", "required": true, "schema": str, "description": "the recording's id"}}
	paths["/api/v1/conferences/{id}/recordings/{rid}"] = obj{"parameters": roomIDs,
		"get": op("a conference room's recording: the room's whole mix, 16-bit PCM WAV, mono, 8 kHz; 404 on a node that does not hold the file",
			obj{"200": obj{"description": "the WAV file", "content": obj{"audio/wav": obj{"schema": obj{"type": "string", "format": "binary"}}}}}, nil),
		"delete": op("delete a room's recording, file and index (a write token; audited); 409 on a node that does not hold the file", obj{"204": obj{"description": "deleted"}}, nil)}
}
