package api

import (
	"reflect"

	"github.com/ivrd/ivrd/cdr"
)

// The OpenAPI part of the calls routes (calls.go, history.go): live
// calls, hang-up, transfer, the history with its exports, and the stats.

func addCallPaths(paths, schemas obj) {
	str, integer := obj{"type": "string"}, obj{"type": "integer"}
	when := obj{"type": "string", "format": "date-time"}
	quality := jsonSchemaOf(reflect.TypeFor[cdr.Quality]())
	quality["description"] = "media quality both ways; mos_in/mos_out are ITU-T G.107 E-model estimates"
	schemas["Quality"] = quality
	schemas["LiveCall"] = obj{"type": "object", "required": []any{"call_id", "state", "answered_at", "duration_ms"}, "properties": obj{
		"call_id": str, "node": str, "from": str, "to": str, "trunk": str, "ivr": str, "menu": str,
		"state":       obj{"type": "string", "enum": []any{"menu", "transferring", "bridged", "voicemail", "conference", "queued", "started"}},
		"answered_at": when, "duration_ms": integer, "codec": str, "quality": ref("Quality")}}
	schemas["CallRecord"] = jsonSchemaOf(reflect.TypeFor[cdr.Record]())
	schemas["TransferRequest"] = obj{"type": "object", "additionalProperties": false,
		"description": "exactly one of uri, extension, external (with trunk) or voicemail",
		"properties": obj{"uri": str, "extension": str, "external": str, "trunk": str, "voicemail": str,
			"method": obj{"type": "string", "enum": []any{"refer", "bridge", "auto"}, "default": "refer"}}}
	share := obj{"type": "number", "minimum": 0, "maximum": 1}
	schemas["IVRStats"] = obj{"type": "object", "required": []any{"ivr", "calls", "answered"}, "properties": obj{
		"ivr": str, "from": when, "to": when, "calls": integer, "answered": integer, "mean_menu_ms": integer,
		"keys": obj{"type": "array", "items": obj{"type": "object", "properties": obj{"key": str, "presses": integer, "share": share}}},
		"menus": obj{"type": "array", "items": obj{"type": "object", "properties": obj{
			"menu": str, "entered": integer, "abandoned": integer, "abandon_rate": share}}},
		"transfers": obj{"type": "array", "items": obj{"type": "object", "properties": obj{
			"dest": str, "tried": integer, "succeeded": integer, "success_rate": share}}}}}

	callIDParam := obj{"name": "id", "in": "path", "required": true, "schema": str, "description": "the call's SIP Call-ID"}
	paths["/api/v1/calls"] = obj{"get": op("calls in progress on this node (with scope=cluster, also other nodes' started calls from the store)",
		obj{"200": response("the calls", obj{"type": "object", "required": []any{"items"}, "properties": obj{
			"items": obj{"type": "array", "items": ref("LiveCall")}}})},
		obj{"parameters": []any{queryParam("scope", "node (default) or cluster", obj{"type": "string", "enum": []any{"node", "cluster"}})}})}
	paths["/api/v1/calls/{id}"] = obj{"parameters": []any{callIDParam},
		"delete": op("hang a call up (BYE); its record says \"operator hung up\", ended by ivrd", obj{"204": obj{"description": "hung up"}}, nil)}
	paths["/api/v1/calls/{id}/transfer"] = obj{"parameters": []any{callIDParam},
		"post": op("move a call that is in its menu: 200 once the REFER is accepted or the bridge joined; 409 if not in the menu; 502 if the hand-off failed (the call stays in its menu)",
			obj{"200": response("transferred", obj{"type": "object", "properties": obj{
				"call_id": str, "dest": str, "method": str, "result": str}})},
			obj{"requestBody": obj{"required": true, "content": jsonContent(ref("TransferRequest"))}})}
	var hp []any
	for _, name := range []string{"from", "to", "ivr", "outcome", "end_reason", "caller", "key", "node", "state", "limit", "cursor", "format"} {
		schema := obj{"type": "string"}
		switch name {
		case "limit":
			schema = obj{"type": "integer", "minimum": 1, "maximum": 1000}
		case "format":
			schema = obj{"type": "string", "enum": []any{"json", "csv", "jsonl"}}
		case "state":
			schema = obj{"type": "string", "enum": []any{"started", "ended", "interrupted"}}
		}
		hp = append(hp, queryParam(name, historyParams[name], schema))
	}
	paths["/api/v1/calls/history"] = obj{"get": op("call records, newest first, filtered; cursor pagination; CSV and JSON-lines export",
		obj{"200": obj{"description": "one page (json) or every matching record (csv, jsonl)", "content": obj{
			"application/json": obj{"schema": obj{"type": "object", "required": []any{"items"}, "properties": obj{
				"items": obj{"type": "array", "items": ref("CallRecord")}, "next_cursor": str}}},
			"text/csv":             obj{"schema": str},
			"application/x-ndjson": obj{"schema": str}}}},
		obj{"parameters": hp})}
	paths["/api/v1/calls/history/{id}"] = obj{"parameters": []any{callIDParam},
		"get": op("one call's record", obj{"200": response("the record", ref("CallRecord"))}, nil)}
	// Served beside the API on its listener (cmd/ivrd), without a token.
	checks := obj{"type": "object", "required": []any{"status"}, "properties": obj{
		"status": obj{"type": "string", "enum": []any{"alive", "ready", "not ready"}},
		"checks": obj{"type": "array", "items": obj{"type": "object", "required": []any{"name", "ok"}, "properties": obj{
			"name": str, "ok": obj{"type": "boolean"}, "detail": str}}}}}
	paths["/healthz"] = obj{"get": obj{"summary": "alive: the process serves HTTP (no token)", "security": []any{},
		"responses": obj{"200": response("alive", checks)}}}
	paths["/readyz"] = obj{"get": obj{"summary": "ready for new calls: store reachable, SIP listeners bound, not draining, a free RTP port pair (no token)",
		"security": []any{}, "responses": obj{"200": response("ready", checks), "503": response("not ready, with every check", checks)}}}
	paths["/metrics"] = obj{"get": obj{"summary": "Prometheus metrics, text format (no token)", "security": []any{},
		"responses": obj{"200": obj{"description": "the metrics", "content": obj{"text/plain": obj{"schema": str}}}}}}
	paths["/api/v1/ivrs/{id}/stats"] = obj{"parameters": []any{idParam},
		"get": op("an IVR's calls in a time range: answered, each key's share, abandon rate per menu, transfer success per destination, mean time in menu",
			obj{"200": response("the stats", ref("IVRStats"))},
			obj{"parameters": []any{queryParam("from", "start (RFC 3339 or date); default to minus 24 h", str),
				queryParam("to", "end, exclusive (RFC 3339 or date); default now", str)}})}
}
