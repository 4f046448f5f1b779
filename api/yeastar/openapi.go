package yeastar

// The OpenAPI document is JSON built as nested maps: it is a document,
// not a model.
type obj = map[string]any

// AddOpenAPI documents the routes in the management API's OpenAPI
// document (security scheme yeastarToken: ?token=).
func AddOpenAPI(paths, schemas map[string]any) {
	str := obj{"type": "string"}
	value := obj{"oneOf": []any{str, obj{"type": "integer"}}}
	params := obj{}
	for _, p := range []string{"ivrid", "ivrnumber", "ivrname", "promptrepeat", "responsetimeout", "digittimeout", "dialext",
		"dialtocheckvoicemail", "prompt", "dialoutboundroutes", "selectedrouters"} {
		params[p] = value
	}
	schemas["YeastarRequest"] = obj{"type": "object", "additionalProperties": false, "properties": params}
	ivrProps := obj{}
	for _, p := range []string{"ivrnumber", "ivrname", "prompt", "promptrepeat", "responsetimeout", "digittimeout", "dialext",
		"dialoutboundroutes", "selectedrouters", "dialtocheckvoicemail"} {
		ivrProps[p] = str
	}
	schemas["YeastarIVR"] = obj{"type": "object", "required": []any{"ivrnumber", "ivrname", "prompt", "promptrepeat", "responsetimeout",
		"digittimeout", "dialext", "dialoutboundroutes", "dialtocheckvoicemail"}, "properties": ivrProps}
	schemas["YeastarAnswer"] = obj{"type": "object", "required": []any{"status"}, "properties": obj{
		"status":       obj{"type": "string", "enum": []any{"Success", "Failed"}},
		"errno":        obj{"type": "string", "description": "with Failed: a code of Yeastar's S-Series API v2 table (10003, 10004, 10012, 10018, 20000, 20002, 20004, 20005, 30001)"},
		"ivrd_message": obj{"type": "string", "description": "with Failed (ivrd addition): what was wrong"},
		"ivr":          obj{"type": "array", "items": obj{"$ref": "#/components/schemas/YeastarIVR"}}}}
	op := func(summary string) obj {
		return obj{"post": obj{"summary": summary + " (Yeastar's API: HTTP 200 with status Success, or Failed with errno)",
			"security":    []any{obj{"yeastarToken": []any{}}},
			"requestBody": obj{"content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/YeastarRequest"}}}},
			"responses": obj{"200": obj{"description": "status, and for a query the ivr list",
				"content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/YeastarAnswer"}}}}}}}
	}
	paths[QueryPath] = op("query IVRs by number (ivrid: \"6500,6501\": each number asked for; none: all)")
	paths[UpdatePath] = op("update an IVR by number: ivrnumber, ivrname, promptrepeat 1-5, responsetimeout 1-10, digittimeout 1-10, dialext, dialtocheckvoicemail; a query result is taken back (its read-only fields when unchanged)")
}
