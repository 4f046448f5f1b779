package api

import (
	"reflect"

	"github.com/ivrd/ivrd/store"
)

// The OpenAPI part of revisions.go: an IVR's revisions, its draft,
// publishing, rolling back, and the editor's saved layout.

func addRevisionPaths(paths, schemas obj) {
	integer := obj{"type": "integer"}
	schemas["Revision"] = jsonSchemaOf(reflect.TypeFor[store.Revision]())
	draft := jsonSchemaOf(reflect.TypeFor[draftView]())
	draft["properties"].(obj)["ivr"] = ref("IVR")
	schemas["Draft"] = draft
	schemas["Layout"] = obj{"type": "object", "required": []any{"positions"}, "additionalProperties": false, "properties": obj{
		"positions": obj{"type": "object", "description": "a chart box's id -> its centre; empty: the automatic layout",
			"additionalProperties": jsonSchemaOf(reflect.TypeFor[store.NodePosition]())},
		"updated_at": obj{"type": "string", "format": "date-time"}}}
	nParam := obj{"name": "n", "in": "path", "required": true, "schema": obj{"type": "integer", "minimum": 1}, "description": "a revision's number"}
	written := response("the IVR as now live", ref("IVR"))
	written["headers"] = etagHeader
	base := "/api/v1/ivrs/{id}"
	paths[base+"/revisions"] = obj{"parameters": []any{idParam},
		"get": op("an IVR's revisions, newest first: every live write and every draft, with who, when and what changed from the one before",
			obj{"200": response("the revisions", obj{"type": "object", "required": []any{"items", "live_version", "draft"}, "properties": obj{
				"items": obj{"type": "array", "items": ref("Revision")}, "live_version": integer,
				"draft": obj{"type": "integer", "description": "the pending draft's revision; 0: none"}}})}, nil)}
	paths[base+"/revisions/{n}"] = obj{"parameters": []any{idParam, nParam},
		"get": op("one revision with its body", obj{"200": response("the revision", ref("Revision"))},
			obj{"parameters": []any{queryParam("against", "the revision to list changes from (default: the one before)", integer)}})}
	paths[base+"/revisions/{n}/restore"] = obj{"parameters": []any{idParam, nParam},
		"post": op("roll back: make this revision live again (a new revision; any draft is dropped, it stays in the list)",
			obj{"200": written}, obj{"parameters": []any{ifMatchParam}})}
	paths[base+"/draft"] = obj{"parameters": []any{idParam},
		"get": op("the IVR's pending draft", obj{"200": response("the draft", ref("Draft"))}, nil),
		"put": op("save a draft: validated like a live write (422 with every problem) and kept as a revision, but no call gets it until it is published. If-Match: the live version it is based on",
			obj{"200": response("the draft", ref("Draft"))}, obj{"requestBody": obj{"required": true, "content": jsonContent(ref("IVR"))},
				"parameters": []any{ifMatchParam}}),
		"delete": op("discard the draft (its revision stays in the list)", obj{"204": obj{"description": "discarded"}}, nil)}
	paths[base+"/publish"] = obj{"parameters": []any{idParam},
		"post": op("make the draft live (calls get it now); 412 when the live IVR changed since the draft was based on it. PUT and PATCH of the IVR still publish directly",
			obj{"200": written}, obj{"parameters": []any{ifMatchParam}})}
	paths["/api/v1/ivr_drafts"] = obj{"get": op("every pending draft",
		obj{"200": response("the drafts", obj{"type": "object", "required": []any{"items"}, "properties": obj{
			"items": obj{"type": "array", "items": ref("Draft")}}})}, nil)}
	paths[base+"/layout"] = obj{"parameters": []any{idParam},
		"get": op("where the editor's chart of this IVR places its boxes (empty: laid out automatically)", obj{"200": response("the layout", ref("Layout"))}, nil),
		"put": op("save the chart's layout (not configuration: no version changes); empty positions go back to the automatic layout",
			obj{"200": response("the layout", ref("Layout"))}, obj{"requestBody": obj{"required": true, "content": jsonContent(ref("Layout"))}})}
}

// addIVRExportPaths describes ivrexport.go: one IVR as YAML.
func addIVRExportPaths(paths, schemas obj) {
	schemas["ImportResult"] = jsonSchemaOf(reflect.TypeFor[importResult]())
	yamlText := obj{"schema": obj{"type": "string"}}
	paths["/api/v1/ivrs/{id}/export"] = obj{"parameters": []any{idParam},
		"get": op("the IVR as YAML in the configuration file's shape (ivrs: with this one entry); the schedules, prompts and other IVRs it names are references only, listed in a comment",
			obj{"200": obj{"description": "the IVR as a configuration file", "content": obj{"application/yaml": yamlText},
				"headers": obj{"Content-Disposition": obj{"schema": obj{"type": "string"}}}}}, nil)}
	written := response("where the IVR was stored", ref("ImportResult"))
	paths["/api/v1/ivrs/import"] = obj{
		"post": op("store one IVR from YAML (its own fields, or ivrs: listing one), validated as a PUT is (422 with every problem, each naming its line); 409 when the id exists unless replace or draft",
			obj{"201": written, "200": written}, obj{
				"requestBody": obj{"required": true, "content": obj{"application/yaml": yamlText, "text/plain": yamlText}},
				"parameters": []any{
					queryParam("replace", "replace an IVR of the same id (live)", obj{"type": "boolean"}),
					queryParam("draft", "store it as the draft of the IVR of the same id, which must exist; calls get it when it is published", obj{"type": "boolean"}),
				}})}
}
