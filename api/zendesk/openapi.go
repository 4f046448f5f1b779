package zendesk

// The OpenAPI document is JSON built as nested maps: it is a document,
// not a model.
type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func jsonContent(schema obj) obj { return obj{"application/json": obj{"schema": schema}} }

// AddOpenAPI documents the routes in the management API's OpenAPI
// document (security scheme zendeskBasic).
func AddOpenAPI(paths, schemas map[string]any) {
	str, integer := obj{"type": "string"}, obj{"type": "integer"}
	nullStr := obj{"type": "string", "nullable": true}
	schemas["ZendeskOptions"] = obj{"type": "object", "additionalProperties": false, "properties": obj{
		"group_ids": obj{"type": "array", "items": integer}, "phone_number": str, "menu_id": integer,
		"sms_text": str, "textback_sms_message": str, "textback_phone_number_id": integer,
		"tags": obj{"type": "array", "items": str, "description": "ticket tags: stored and shown back; ivrd keeps no tickets"}}}
	schemas["ZendeskOverflow"] = obj{"type": "object", "required": []any{"action"}, "properties": obj{
		"action": obj{"type": "string", "enum": []any{"voicemail", "phone_number", "group"}}, "options": ref("ZendeskOptions")},
		"description": "where a group route's call goes when its groups do not answer; each entry the overflow of the one before"}
	schemas["ZendeskRoute"] = obj{"type": "object", "required": []any{"id", "keypress", "action", "greeting", "option_text", "options", "overflow_options"},
		"properties": obj{
			"id":       obj{"type": "integer", "description": "stored: kept across changes of the route's keypress, never given again after a delete"},
			"keypress": str, "greeting": nullStr, "option_text": str, "options": ref("ZendeskOptions"),
			"action": obj{"type": "string", "nullable": true, "enum": []any{"group", "voicemail", "phone_number", "textback", "menu", nil},
				"description": "null when Zendesk has no action for the destination (see ivrd_destination)"},
			"overflow_options": obj{"type": "array", "items": ref("ZendeskOverflow")},
			"ivrd_destination": obj{"oneOf": []any{str, obj{"type": "object"}}, "description": "ivrd extension: the destination, in the native API's form (a word or an object), of a route Zendesk has no action for"},
			"ivrd_note":        obj{"type": "string", "description": "ivrd extension: what ivrd does differently (textback)"}}}
	schemas["ZendeskRouteRequest"] = obj{"type": "object", "required": []any{"ivr_route"}, "additionalProperties": false, "properties": obj{
		"ivr_route": obj{"type": "object", "additionalProperties": false, "properties": obj{
			"keypress": obj{"type": "string", "description": `"0"-"9", "*", "#" or "default"`}, "action": nullStr, "options": ref("ZendeskOptions"),
			"overflow_options": obj{"type": "array", "items": ref("ZendeskOverflow")},
			// Read-only fields a client sends back with a route it read.
			"id": integer, "greeting": nullStr, "option_text": str, "ivrd_destination": obj{"oneOf": []any{str, obj{"type": "object"}}}, "ivrd_note": str}}}}
	schemas["ZendeskMenu"] = obj{"type": "object", "required": []any{"id", "name", "default", "routes"}, "properties": obj{
		"id": integer, "name": str, "default": obj{"type": "boolean"}, "greeting": str, "routes": obj{"type": "array", "items": ref("ZendeskRoute")}}}
	schemas["ZendeskIVR"] = obj{"type": "object", "required": []any{"id", "name", "menus"}, "properties": obj{
		"id": integer, "name": str, "menus": obj{"type": "array", "items": ref("ZendeskMenu")}}}
	schemas["ZendeskError"] = obj{"type": "object", "required": []any{"error", "description"}, "properties": obj{"error": str, "description": str}}

	errs := obj{}
	for _, c := range []string{"400", "401", "403", "404", "413", "422", "429", "500"} {
		errs[c] = obj{"description": "Zendesk's error", "content": jsonContent(ref("ZendeskError"))}
	}
	op := func(summary, status, desc string, answer obj, request bool) obj {
		resp := obj{status: obj{"description": desc, "content": jsonContent(answer)}}
		for k, v := range errs {
			resp[k] = v
		}
		o := obj{"summary": summary + " (Zendesk Talk's IVR routes API; basic auth {email}/token:{api_token})",
			"security": []any{obj{"zendeskBasic": []any{}}}, "responses": resp}
		if request {
			o["requestBody"] = obj{"required": true, "content": jsonContent(ref("ZendeskRouteRequest"))}
		}
		return o
	}
	page := func(items string, schema obj) obj {
		return obj{"type": "object", "required": []any{items, "count", "next_page", "previous_page"}, "properties": obj{
			items: obj{"type": "array", "items": schema}, "count": integer, "next_page": nullStr, "previous_page": nullStr}}
	}
	one := obj{"type": "object", "required": []any{"ivr_route"}, "properties": obj{"ivr_route": ref("ZendeskRoute")}}
	intParam := func(name string) obj {
		return obj{"name": name, "in": "path", "required": true, "schema": integer}
	}
	query := func(name string) obj { return obj{"name": name, "in": "query", "schema": integer} }
	list := op("list a menu's routes", "200", "a page of routes", page("ivr_routes", ref("ZendeskRoute")), false)
	list["parameters"] = []any{query("per_page"), query("page")}
	ivrs := obj{"get": op("list IVRs with their menus and routes", "200", "every IVR a number reaches", page("ivrs", ref("ZendeskIVR")), false)}
	routes := obj{"parameters": []any{intParam("ivr_id"), intParam("menu_id")},
		"get": list, "post": op("create a route", "201", "the route", one, true)}
	routeID := obj{"name": "route_id", "in": "path", "required": true, "description": "the route's id, optionally followed by .json",
		"schema": obj{"type": "string", "pattern": `^[0-9]+(\.json)?$`}}
	route := obj{"parameters": []any{intParam("ivr_id"), intParam("menu_id"), routeID},
		"get": op("show a route", "200", "the route", one, false), "put": op("update a route", "200", "the route", one, true),
		"delete": op("delete a route", "200", "the deleted route", one, false)}
	// Every path also with ".json", as the seed's samples write it.
	for _, sfx := range []string{"", ".json"} {
		paths[Base+sfx] = ivrs
		paths[Base+"/{ivr_id}/menus/{menu_id}/routes"+sfx] = routes
	}
	paths[Base+"/{ivr_id}/menus/{menu_id}/routes/{route_id}"] = route
}
