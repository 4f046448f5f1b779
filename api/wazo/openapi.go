package wazo

// The OpenAPI document is JSON built as nested maps: it is a document,
// not a model.
type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func jsonContent(schema obj) obj { return obj{"application/json": obj{"schema": schema}} }

// AddOpenAPI documents confd's routes in the management API's OpenAPI
// document (security scheme wazoToken: X-Auth-Token).
func AddOpenAPI(paths, schemas map[string]any) {
	ints := obj{"type": "array", "items": obj{"type": "integer"}}
	dest := obj{"type": "object", "required": []any{"type"}, "properties": obj{
		"type": obj{"type": "string", "description": "schedules: sound, hangup, none, ivr; incalls: ivr, custom (Goto(IVR,s,1)); IVR choices: see the README"}, "filename": obj{"type": "string"},
		"command": obj{"type": "string"}, "exten": obj{"type": "string"}, "context": obj{"type": "string"},
		"ivrd_destination": obj{"type": "string", "description": "type ivrd: a destination only ivrd has (kept when sent back unchanged)"},
		"skip":             obj{"type": "boolean"}, "no_answer": obj{"type": "boolean"}, "cause": obj{"type": "string"}, "ivr_id": obj{"type": "integer"}}}
	period := obj{"type": "object", "properties": obj{"hours_start": obj{"type": "string"}, "hours_end": obj{"type": "string"},
		"week_days":  obj{"type": "array", "description": "1 (Monday) to 7 (Sunday), or ranges \"1-5\"", "items": obj{"oneOf": []any{obj{"type": "integer"}, obj{"type": "string"}}}},
		"month_days": ints, "months": ints, "destination": ref("WazoDestination")}}
	schemas["WazoDestination"] = dest
	schemas["WazoPeriod"] = period
	schemas["WazoScheduleRequest"] = obj{"type": "object", "required": []any{"closed_destination"}, "additionalProperties": false, "properties": obj{
		"name": obj{"type": "string"}, "timezone": obj{"type": "string"}, "enabled": obj{"type": "boolean"},
		"open_periods":        obj{"type": "array", "items": ref("WazoPeriod")},
		"exceptional_periods": obj{"type": "array", "items": ref("WazoPeriod")}, "closed_destination": ref("WazoDestination")}}
	schemas["WazoSchedule"] = obj{"type": "object", "required": []any{"id", "name", "timezone", "open_periods", "exceptional_periods", "closed_destination", "incalls"},
		"properties": obj{"id": obj{"type": "integer"}, "name": obj{"type": "string"}, "timezone": obj{"type": "string"}, "enabled": obj{"type": "boolean"},
			"open_periods": obj{"type": "array", "items": ref("WazoPeriod")}, "exceptional_periods": obj{"type": "array", "items": ref("WazoPeriod")},
			"closed_destination": ref("WazoDestination"), "incalls": obj{"type": "array", "items": obj{"type": "object"}},
			"ivrd_id": obj{"type": "string"}, "ivrd_notes": obj{"type": "string", "description": "what the mapping onto an ivrd schedule changed"}}}
	schemas["WazoErrors"] = obj{"type": "array", "items": obj{"type": "string"}, "description": "confd's errors: sentences naming the field"}
	one := obj{"description": "the schedule", "content": jsonContent(ref("WazoSchedule"))}
	paths[Base+"/schedules"] = obj{
		"get":  op("list schedules", listOf("WazoSchedule"), nil),
		"post": op("create a schedule", obj{"201": one}, obj{"requestBody": obj{"required": true, "content": jsonContent(ref("WazoScheduleRequest"))}})}
	paths[Base+"/schedules/{id}"] = obj{"parameters": []any{idParam("id")},
		"get":    op("show a schedule", obj{"200": one}, nil),
		"delete": op("delete a schedule (detached from its incalls first)", obj{"204": obj{"description": "deleted"}}, nil)}
	addIncalls(paths, schemas)
	addIVRs(paths, schemas)
}

// addIncalls documents incalls and extensions.
func addIncalls(paths, schemas map[string]any) {
	extenRef := obj{"type": "object", "required": []any{"id", "exten", "context"}, "properties": obj{
		"id": obj{"type": "integer"}, "exten": obj{"type": "string"}, "context": obj{"type": "string"}}}
	schemas["WazoIncall"] = obj{"type": "object", "required": []any{"id", "extensions", "destination", "schedules"}, "properties": obj{
		"id": obj{"type": "integer"}, "extensions": obj{"type": "array", "items": extenRef}, "destination": ref("WazoDestination"),
		"schedules": obj{"type": "array", "items": obj{"type": "object"}}, "ivrd_ivr": obj{"type": "string"}}}
	schemas["WazoIncallRequest"] = obj{"type": "object", "required": []any{"destination"}, "additionalProperties": false,
		"properties": obj{"destination": ref("WazoDestination")}}
	schemas["WazoExtension"] = obj{"type": "object", "required": []any{"id", "exten", "context"}, "properties": obj{
		"id": obj{"type": "integer"}, "exten": obj{"type": "string"}, "context": obj{"type": "string"},
		"incall":   obj{"type": "object", "nullable": true, "properties": obj{"id": obj{"type": "integer"}}},
		"ivrd_ivr": obj{"type": "string"}, "users": obj{"type": "array", "items": obj{"type": "object"}}}}
	schemas["WazoExtensionRequest"] = obj{"type": "object", "required": []any{"exten", "context"}, "additionalProperties": false,
		"properties": obj{"exten": obj{"type": "string"}, "context": obj{"type": "string"}}}
	incall := obj{"description": "the incall", "content": jsonContent(ref("WazoIncall"))}
	extension := obj{"description": "the extension", "content": jsonContent(ref("WazoExtension"))}
	paths[Base+"/incalls"] = obj{
		"get":  op("list incalls: the numbers that reach each IVR", listOf("WazoIncall"), nil),
		"post": op("create an incall to an IVR (it answers no number until an extension is associated)", obj{"201": incall}, body("WazoIncallRequest"))}
	paths[Base+"/incalls/{incall_id}"] = obj{"parameters": []any{idParam("incall_id")},
		"get":    op("show an incall", obj{"200": incall}, nil),
		"put":    op("change the IVR the incall reaches (its numbers move)", done("changed"), body("WazoIncallRequest")),
		"delete": op("delete an incall (its numbers stop reaching the IVR; its extensions stay)", done("deleted"), nil)}
	paths[Base+"/incalls/{incall_id}/extensions/{extension_id}"] = obj{"parameters": []any{idParam("incall_id"), idParam("extension_id")},
		"put":    op("associate the extension: its exten becomes a number of the incall's IVR", done("associated"), nil),
		"delete": op("dissociate it", done("dissociated"), nil)}
	paths[Base+"/extensions"] = obj{
		"get":  op("list extensions: the IVRs' numbers and the extensions not yet associated", listOf("WazoExtension"), nil),
		"post": op("create an extension (exten + context)", obj{"201": extension}, body("WazoExtensionRequest"))}
	paths[Base+"/extensions/{extension_id}"] = obj{"parameters": []any{idParam("extension_id")},
		"get":    op("show an extension", obj{"200": extension}, nil),
		"delete": op("delete an extension no incall uses", done("deleted"), nil)}
	paths[Base+"/incalls/{incall_id}/schedules/{id}"] = obj{"parameters": []any{idParam("incall_id"), idParam("id")},
		"put":    op("attach the schedule to the incall's IVR", obj{"204": obj{"description": "attached"}}, nil),
		"delete": op("detach it", obj{"204": obj{"description": "detached"}}, nil)}
}

// addIVRs documents confd's IVR resource.
func addIVRs(paths, schemas map[string]any) {
	choice := obj{"type": "object", "required": []any{"exten", "destination"}, "additionalProperties": false, "properties": obj{
		"exten": obj{"type": "string"}, "destination": ref("WazoDestination")}}
	optDest := obj{"allOf": []any{ref("WazoDestination")}, "nullable": true}
	ivrProps := func() obj {
		return obj{"name": obj{"type": "string"}, "greeting_sound": obj{"type": "string", "nullable": true}, "menu_sound": obj{"type": "string"},
			"invalid_sound": obj{"type": "string", "nullable": true}, "abort_sound": obj{"type": "string", "nullable": true},
			"timeout": obj{"type": "integer"}, "max_tries": obj{"type": "integer"},
			"invalid_destination": optDest, "timeout_destination": optDest, "abort_destination": optDest,
			"choices": obj{"type": "array", "items": choice}}
	}
	req := ivrProps()
	schemas["WazoIVRRequest"] = obj{"type": "object", "required": []any{"menu_sound"}, "additionalProperties": false, "properties": req}
	shown := ivrProps()
	shown["id"], shown["ivrd_id"] = obj{"type": "integer"}, obj{"type": "string"}
	shown["incalls"] = obj{"type": "array", "items": obj{"type": "object"}}
	schemas["WazoIVR"] = obj{"type": "object", "required": []any{"id", "name", "menu_sound", "timeout", "max_tries", "choices"}, "properties": shown}
	oneIVR := obj{"description": "the IVR", "content": jsonContent(ref("WazoIVR"))}
	paths[Base+"/ivr"] = obj{
		"get":  op("list IVRs (ivrd's IVRs in confd's terms)", listOf("WazoIVR"), nil),
		"post": op("create an IVR", obj{"201": oneIVR}, body("WazoIVRRequest"))}
	paths[Base+"/ivr/{id}"] = obj{"parameters": []any{idParam("id")},
		"get":    op("show an IVR", obj{"200": oneIVR}, nil),
		"put":    op("change what confd's IVR maps (numbers, schedule and ivrd-only settings stay)", done("changed"), body("WazoIVRRequest")),
		"delete": op("delete an IVR", done("deleted"), nil)}
}

func errs(codes ...string) obj {
	o := obj{}
	for _, c := range codes {
		o[c] = obj{"description": "confd error", "content": jsonContent(ref("WazoErrors"))}
	}
	return o
}

// op is an operation: confd's errors, the answers ok, and more fields.
func op(summary string, ok obj, more obj) obj {
	resp := errs("400", "401", "403", "404", "409", "413", "429")
	for k, v := range ok {
		resp[k] = v
	}
	o := obj{"summary": summary + " (Wazo confd; X-Auth-Token)", "security": []any{obj{"wazoToken": []any{}}}, "responses": resp}
	for k, v := range more {
		o[k] = v
	}
	return o
}

func listOf(item string) obj {
	return obj{"200": obj{"description": "items and total", "content": jsonContent(obj{"type": "object", "required": []any{"items", "total"},
		"properties": obj{"items": obj{"type": "array", "items": itemSchema(item)}, "total": obj{"type": "integer"}}})}}
}

func idParam(name string) obj {
	return obj{"name": name, "in": "path", "required": true, "schema": obj{"type": "string"}}
}

func body(name string) obj {
	return obj{"requestBody": obj{"required": true, "content": jsonContent(ref(name))}}
}

func done(what string) obj { return obj{"204": obj{"description": what}} }

func itemSchema(name string) obj {
	if name == "" {
		return obj{"type": "object"}
	}
	return ref(name)
}
