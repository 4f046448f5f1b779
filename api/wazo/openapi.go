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
		"type": obj{"type": "string", "description": "sound, hangup, none, ivr"}, "filename": obj{"type": "string"},
		"skip": obj{"type": "boolean"}, "no_answer": obj{"type": "boolean"}, "cause": obj{"type": "string"}, "ivr_id": obj{"type": "integer"}}}
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
	errs := func(codes ...string) obj {
		o := obj{}
		for _, c := range codes {
			o[c] = obj{"description": "confd error", "content": jsonContent(ref("WazoErrors"))}
		}
		return o
	}
	op := func(summary string, ok obj, more obj) obj {
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
	list := func(item string) obj {
		return obj{"200": obj{"description": "items and total", "content": jsonContent(obj{"type": "object", "required": []any{"items", "total"},
			"properties": obj{"items": obj{"type": "array", "items": itemSchema(item)}, "total": obj{"type": "integer"}}})}}
	}
	one := obj{"description": "the schedule", "content": jsonContent(ref("WazoSchedule"))}
	idParam := func(name string) obj {
		return obj{"name": name, "in": "path", "required": true, "schema": obj{"type": "string"}}
	}
	paths[Base+"/schedules"] = obj{
		"get":  op("list schedules", list("WazoSchedule"), nil),
		"post": op("create a schedule", obj{"201": one}, obj{"requestBody": obj{"required": true, "content": jsonContent(ref("WazoScheduleRequest"))}})}
	paths[Base+"/schedules/{id}"] = obj{"parameters": []any{idParam("id")},
		"get":    op("show a schedule", obj{"200": one}, nil),
		"delete": op("delete a schedule (detached from its incalls first)", obj{"204": obj{"description": "deleted"}}, nil)}
	paths[Base+"/incalls"] = obj{"get": op("list incalls: IVRs a number reaches, id = that number", list(""), nil)}
	paths[Base+"/incalls/{incall_id}/schedules/{id}"] = obj{"parameters": []any{idParam("incall_id"), idParam("id")},
		"put":    op("attach the schedule to the incall's IVR", obj{"204": obj{"description": "attached"}}, nil),
		"delete": op("detach it", obj{"204": obj{"description": "detached"}}, nil)}
}

func itemSchema(name string) obj {
	if name == "" {
		return obj{"type": "object"}
	}
	return ref(name)
}
