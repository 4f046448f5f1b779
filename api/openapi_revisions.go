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
