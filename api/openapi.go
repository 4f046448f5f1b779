package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"github.com/ivrd/ivrd/api/wazo"
	"github.com/ivrd/ivrd/api/yeastar"
	"github.com/ivrd/ivrd/api/zendesk"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/store"
)

// The OpenAPI document is built from the model's own types (their yaml
// tags are the JSON field names), so it cannot drift from what the store
// accepts; tests validate every request and response against it.

var openapiDoc = sync.OnceValue(func() []byte {
	b, err := json.MarshalIndent(buildOpenAPI(), "", "  ")
	if err != nil {
		panic("api: OpenAPI document: " + err.Error()) // a build defect, caught by tests
	}
	return b
})

// OpenAPI returns the document served at /api/v1/openapi.json.
func OpenAPI() []byte { return openapiDoc() }

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openapiDoc()) // a client gone mid-answer has no one to tell
}

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

var (
	durationType    = reflect.TypeOf(ivr.Duration(0))
	destinationType = reflect.TypeOf(ivr.Destination{})
)

// schemaOf describes a model type; secret names a write-only field.
func schemaOf(t reflect.Type, secret string) obj {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case durationType:
		return obj{"type": "string", "description": "a Go duration", "example": "5s"}
	case destinationType:
		return ref("Destination")
	case reflect.TypeFor[ivr.Record]():
		return ref("Record") // true or {announce, format} (openapi_place.go)
	}
	switch t.Kind() {
	case reflect.String:
		return obj{"type": "string"}
	case reflect.Bool:
		return obj{"type": "boolean"}
	case reflect.Int, reflect.Int64:
		return obj{"type": "integer"}
	case reflect.Slice:
		return obj{"type": "array", "items": schemaOf(t.Elem(), "")}
	case reflect.Map:
		return obj{"type": "object", "additionalProperties": schemaOf(t.Elem(), "")}
	case reflect.Struct:
		props := obj{}
		for i := 0; i < t.NumField(); i++ {
			tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if tag == "" || tag == "-" {
				continue
			}
			p := schemaOf(t.Field(i).Type, "")
			if tag == secret {
				p["writeOnly"] = true
			}
			props[tag] = p
		}
		return obj{"type": "object", "properties": props, "additionalProperties": false}
	}
	return obj{}
}

func resourceSchema(k store.Kind) obj {
	var t reflect.Type
	switch k {
	case store.Trunks:
		t = reflect.TypeOf(ivr.Trunk{})
	case store.Extensions:
		t = reflect.TypeOf(ivr.Extension{})
	case store.Schedules:
		t = reflect.TypeOf(ivr.Schedule{})
	case store.Groups:
		t = reflect.TypeOf(ivr.Group{})
	case store.VoicemailBoxes:
		t = reflect.TypeOf(ivr.VoicemailBox{})
	default:
		t = reflect.TypeOf(ivr.IVR{})
	}
	s := schemaOf(t, k.Secret())
	props := s["properties"].(obj)
	props["version"] = obj{"type": "integer", "readOnly": true, "description": "the resource's version; its ETag"}
	props["updated_at"] = obj{"type": "string", "format": "date-time", "readOnly": true}
	if sec := k.Secret(); sec != "" {
		props[sec+"_set"] = obj{"type": "boolean", "readOnly": true, "description": "whether a " + sec + " is stored (it is never returned)"}
	}
	return s
}

func jsonContent(schema obj) obj { return obj{"application/json": obj{"schema": schema}} }

func response(desc string, schema obj) obj {
	r := obj{"description": desc}
	if schema != nil {
		r["content"] = jsonContent(schema)
	}
	return r
}

var errorResponse = response("an error: a code, a message and, for 422, every problem with its path", ref("Error"))

func op(summary string, responses obj, extra obj) obj {
	responses["default"] = errorResponse
	o := obj{"summary": summary, "responses": responses}
	for k, v := range extra {
		o[k] = v
	}
	return o
}

var (
	idParam      = obj{"name": "id", "in": "path", "required": true, "schema": obj{"type": "string"}}
	nameParam    = obj{"name": "name", "in": "path", "required": true, "schema": obj{"type": "string"}}
	ifMatchParam = obj{"name": "If-Match", "in": "header", "required": false, "schema": obj{"type": "string"},
		"description": "the ETag of the version the change is based on: 412 if it is no longer current"}
	etagHeader = obj{"ETag": obj{"schema": obj{"type": "string"}}}
)

func queryParam(name, desc string, schema obj) obj {
	return obj{"name": name, "in": "query", "required": false, "schema": schema, "description": desc}
}

func buildOpenAPI() obj {
	paths := obj{}
	schemas := obj{
		"Destination": obj{"oneOf": []any{
			obj{"type": "string", "enum": []any{"repeat", "back", "top", "menu", "hangup"}},
			obj{"type": "object", "additionalProperties": false, "properties": obj{
				"uri": obj{"type": "string"}, "external": obj{"type": "string"}, "trunk": obj{"type": "string"},
				"extension": obj{"type": "string"}, "ivr": obj{"type": "string"}, "play": obj{"type": "string"},
				"prompt": obj{"type": "string"}, "voicemail": obj{"type": "string"}, "group": obj{"type": "string"}, "voicemail_check": obj{"type": "string"}, "queue": obj{"type": "string", "description": "a queue's id"},
				"internal":   obj{"type": "string", "description": "an internal number: the extension, group or IVR that owns it"},
				"conference": obj{"type": "string", "description": "a conference room's id"}, "transfer": obj{"type": "string", "enum": []any{"refer", "bridge", "auto"}},
				"ring_timeout": obj{"type": "string", "example": "20s"}, "then": ref("Destination"), "overflow": ref("Destination"),
				"set_language": obj{"type": "string", "example": "es"},
				"webhook":      obj{"type": "string", "description": "a webhooks entry's name or url; empty: every webhook"},
				"event":        obj{"type": "string", "example": "crm.callback"},
				"data":         obj{"type": "object", "additionalProperties": obj{"type": "string"}},
				"gather":       schemaOf(reflect.TypeOf(ivr.Gather{}), ""),
				"ask":          obj{"type": "string", "description": "a decision service's URL: the JSON answer is the destination"},
				"timeout":      obj{"type": "string", "description": "ask: the wait for the answer; stream: its longest length", "example": "3s"},
				"hold":         obj{"type": "string", "description": "ask: a prompt looped while waiting"},
				"fallback":     ref("Destination"),
				"stream":       schemaOf(reflect.TypeOf(ivr.Stream{}), ""),
				"record":       ref("Record")}},
		}},
		"Error": obj{"type": "object", "required": []any{"error"}, "properties": obj{"error": obj{
			"type": "object", "required": []any{"code", "message"}, "properties": obj{
				"code": obj{"type": "string"}, "message": obj{"type": "string"},
				"problems": obj{"type": "array", "items": ref("Problem")}}}}},
		"Problem": obj{"type": "object", "required": []any{"path", "message", "warning"}, "properties": obj{
			"path": obj{"type": "string"}, "message": obj{"type": "string"}, "warning": obj{"type": "boolean"}}},
		"Prompt": obj{"type": "object", "required": []any{"name", "source", "duration_ms", "peak_dbfs"}, "properties": obj{
			"name": obj{"type": "string"}, "source": obj{"type": "string", "enum": []any{"store", "file"}},
			"duration_ms": obj{"type": "integer"}, "peak_dbfs": obj{"type": "number"},
			"level_dbm0": obj{"type": "number", "nullable": true, "description": "active speech level; null for silence"},
			"version":    obj{"type": "integer"}, "updated_at": obj{"type": "string", "format": "date-time"}}},
		"SimulateRequest": obj{"type": "object", "additionalProperties": false, "properties": obj{
			"ivr": obj{"type": "string"}, "to": obj{"type": "string"}, "from": obj{"type": "string"},
			"at": obj{"type": "string", "format": "date-time"}, "input": obj{"type": "string", "example": "wait:3s,2,1"},
			"transfer_fails": obj{"type": "boolean"},
			"drafts":         obj{"type": "boolean", "description": "run each IVR's saved draft in place of its live version"}}},
		"SimEvent": obj{"type": "object", "required": []any{"t_ms", "event"}, "properties": obj{
			"t_ms": obj{"type": "integer"}, "event": obj{"type": "string"}, "ivr": obj{"type": "string"},
			"prompt": obj{"type": "string"}, "barge_in": obj{"type": "boolean"}, "digit": obj{"type": "string"},
			"digits": obj{"type": "string"}, "method": obj{"type": "string"}, "reason": obj{"type": "string"},
			"detail": obj{"type": "string"}, "dest": obj{"type": "object", "properties": obj{
				"type": obj{"type": "string"}, "target": obj{"type": "string"}, "trunk": obj{"type": "string"}}}}},
		"AuditEntry": obj{"type": "object", "properties": obj{
			"id": obj{"type": "integer"}, "at": obj{"type": "string", "format": "date-time"}, "who": obj{"type": "string"},
			"action": obj{"type": "string"}, "kind": obj{"type": "string"}, "resource_id": obj{"type": "string"},
			"before_version": obj{"type": "integer"}, "after_version": obj{"type": "integer"}}},
	}
	for _, k := range store.Kinds {
		name := strings.ToUpper(k.Singular()[:1]) + k.Singular()[1:]
		if k == store.IVRs {
			name = "IVR"
		}
		schemas[name] = resourceSchema(k)
		item := ref(name)
		list := obj{"type": "object", "required": []any{"items"}, "properties": obj{
			"items": obj{"type": "array", "items": item}, "next_cursor": obj{"type": "string"}}}
		params := []any{
			queryParam("limit", "page size, 1-500 (default 50)", obj{"type": "integer", "minimum": 1, "maximum": 500}),
			queryParam("cursor", "next_cursor of the previous page", obj{"type": "string"}),
			queryParam("id_prefix", "only ids starting with this", obj{"type": "string"}),
		}
		for f := range filters[k] {
			params = append(params, queryParam(f, "only resources whose "+f+" is this", obj{"type": "string"}))
		}
		body := obj{"required": true, "content": jsonContent(item)}
		patchBody := obj{"required": true, "content": obj{
			"application/json":             obj{"schema": obj{"type": "object"}},
			"application/merge-patch+json": obj{"schema": obj{"type": "object"}}}}
		written := response("the resource as stored", item)
		written["headers"] = etagHeader
		base := "/api/v1/" + string(k)
		paths[base] = obj{
			"get":  op("list "+string(k), obj{"200": response("one page", list)}, obj{"parameters": params}),
			"post": op("create a "+k.Singular(), obj{"201": written}, obj{"requestBody": body}),
		}
		paths[base+"/{id}"] = obj{
			"parameters": []any{idParam},
			"get":        op("get a "+k.Singular(), obj{"200": written}, nil),
			"put": op("create or replace a "+k.Singular()+" (a write-only password left out is kept)",
				obj{"200": written, "201": written}, obj{"requestBody": body, "parameters": []any{ifMatchParam}}),
			"patch": op("merge-patch a "+k.Singular()+" (RFC 7396; destinations are replaced whole)",
				obj{"200": written}, obj{"requestBody": patchBody, "parameters": []any{ifMatchParam}}),
			"delete": op("delete a "+k.Singular(), obj{"204": obj{"description": "deleted"}}, obj{"parameters": []any{ifMatchParam}}),
		}
	}
	audio := obj{"required": true, "content": obj{
		"audio/wav":                obj{"schema": obj{"type": "string", "format": "binary"}},
		"audio/L16":                obj{"schema": obj{"type": "string", "format": "binary"}},
		"application/octet-stream": obj{"schema": obj{"type": "string", "format": "binary"}},
		"multipart/form-data": obj{"schema": obj{"type": "object", "properties": obj{
			"file": obj{"type": "string", "format": "binary"}, "name": obj{"type": "string"}}}},
		// Text spoken by espeak-ng at upload (PUT with the name in the path).
		"application/json": obj{"schema": obj{"type": "object", "required": []any{"say"}, "additionalProperties": false,
			"properties": obj{"say": obj{"type": "string"}, "voice": obj{"type": "string"}}}},
	}}
	promptWritten := response("the stored prompt", ref("Prompt"))
	paths["/api/v1/prompts"] = obj{
		"get": op("list prompts: uploaded and from files", obj{"200": response("all prompts", obj{"type": "object",
			"properties": obj{"items": obj{"type": "array", "items": ref("Prompt")}}})}, nil),
		"post": op("upload a prompt (name in ?name= or a form field); converted once to 8 kHz",
			obj{"200": promptWritten, "201": promptWritten}, obj{"requestBody": audio,
				"parameters": []any{queryParam("name", "the prompt's name", obj{"type": "string"})}}),
	}
	paths["/api/v1/prompts/{name}"] = obj{
		"parameters": []any{nameParam},
		"get":        op("a prompt's length and level", obj{"200": response("the prompt", ref("Prompt"))}, nil),
		"put":        op("upload a prompt under this name", obj{"200": promptWritten, "201": promptWritten}, obj{"requestBody": audio, "parameters": []any{ifMatchParam}}),
		"delete":     op("delete an uploaded prompt", obj{"204": obj{"description": "deleted"}}, obj{"parameters": []any{ifMatchParam}}),
	}
	paths["/api/v1/prompts/{name}/audio"] = obj{
		"parameters": []any{nameParam},
		"get": op("the prompt as played: 8 kHz mono 16-bit WAV", obj{"200": obj{"description": "WAV audio",
			"content": obj{"audio/wav": obj{"schema": obj{"type": "string", "format": "binary"}}}}}, nil),
	}
	paths["/api/v1/validate"] = obj{"post": op("check a whole configuration (YAML or JSON) as ivrd validate does",
		obj{"200": response("every problem", obj{"type": "object", "required": []any{"valid", "problems"}, "properties": obj{
			"valid": obj{"type": "boolean"}, "problems": obj{"type": "array", "items": ref("Problem")}}})},
		obj{"requestBody": obj{"required": true, "content": obj{
			"application/json": obj{"schema": obj{"type": "object"}},
			"application/yaml": obj{"schema": obj{"type": "string"}}}}})}
	paths["/api/v1/simulate"] = obj{"post": op("run one simulated call through a stored IVR",
		obj{"200": response("the trace", obj{"type": "object", "required": []any{"events"}, "properties": obj{
			"events": obj{"type": "array", "items": ref("SimEvent")}}})},
		obj{"requestBody": obj{"required": true, "content": jsonContent(ref("SimulateRequest"))}})}
	paths["/api/v1/audit"] = obj{"get": op("the audit log, newest first", obj{"200": response("entries", obj{"type": "object",
		"properties": obj{"items": obj{"type": "array", "items": ref("AuditEntry")}, "next_before": obj{"type": "integer"}}})},
		obj{"parameters": []any{queryParam("limit", "1-500", obj{"type": "integer"}), queryParam("before", "entries older than this id", obj{"type": "integer"})}})}
	yeastar.AddOpenAPI(paths, schemas)                 // api/yeastar
	zendesk.AddOpenAPI(paths, schemas)                 // api/zendesk
	paths["/api/v1/whoami"] = whoamiPath()             // whoami.go
	paths["/api/v1/trunks/status"] = trunkStatusPath() // trunk_status.go
	paths["/api/v1/openapi.json"] = obj{"get": op("this document", obj{"200": response("OpenAPI 3", obj{"type": "object"})}, nil)}
	addCallPaths(paths, schemas)       // live calls, history, stats (openapi_calls.go)
	addStreamPaths(paths, schemas)     // media streams on live calls (streams.go)
	addRevisionPaths(paths, schemas)   // revisions, drafts, publish, layout (openapi_revisions.go)
	addPlacePaths(paths, schemas)      // placing calls, recordings (openapi_place.go)
	addPromptCallPaths(paths, schemas) // prompts recorded by phone (openapi_promptcall.go)
	addIVRExportPaths(paths, schemas)  // one IVR as YAML (ivrexport.go)
	addConferencePaths(paths, schemas) // rooms and participants (conferences.go)
	addQueuePaths(paths, schemas)      // queues and agents (queues.go)
	wazo.AddOpenAPI(paths, schemas)    // Wazo confd schedules (api/wazo)
	return obj{
		"openapi": "3.0.3",
		"info": obj{"title": "ivrd management API", "version": "1",
			"description": "Configuration of ivrd's IVRs, schedules, trunks, extensions and prompts. Every change is validated as a whole configuration (422 with every problem) and reaches new calls within a second."},
		"servers":  []any{obj{"url": "/"}},
		"security": []any{obj{"bearer": []any{}}},
		"paths":    paths,
		"components": obj{"schemas": schemas, "securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer"},
			"yeastarToken": obj{"type": "apiKey", "in": "query", "name": "token"},
			"zendeskBasic": obj{"type": "http", "scheme": "basic"},
			"wazoToken":    obj{"type": "apiKey", "in": "header", "name": "X-Auth-Token"}}},
	}
}
