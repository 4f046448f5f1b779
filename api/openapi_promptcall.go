package api

// The OpenAPI part of recording a prompt by phone (promptcall.go).

func addPromptCallPaths(paths, schemas obj) {
	str := obj{"type": "string"}
	states := []any{}
	for _, s := range []PromptCallState{PromptCallRinging, PromptCallAnswered, PromptCallRecording, PromptCallReviewing,
		PromptCallSaved, PromptCallCancelled, PromptCallFailed} {
		states = append(states, string(s))
	}
	schemas["PromptCallRequest"] = obj{"type": "object", "additionalProperties": false, "required": []any{"to"},
		"description": "the phone to call to record the prompt on",
		"properties": obj{
			"to":       obj{"type": "string", "description": "an extension of the configuration, a SIP URI, or a number (with trunk): as POST /api/v1/calls takes it"},
			"trunk":    obj{"type": "string", "description": "the trunk a number goes out through"},
			"language": obj{"type": "string", "example": "en", "description": "the language of the spoken instructions (default: the default prompt set)"}}}
	schemas["PromptCall"] = obj{"type": "object", "required": []any{"id", "prompt", "to", "state", "call_id", "who", "started_at", "updated_at"},
		"description": "a prompt being recorded by phone: ringing, answered (the instruction plays), recording (after the beep; # ends it), " +
			"reviewing (played back: 1 keep, 2 record again, * cancel), then saved, cancelled or failed (with reason). Nothing is stored unless 1 is pressed",
		"properties": obj{
			"id":         str,
			"prompt":     obj{"type": "string", "description": "the prompt it is stored as"},
			"to":         str,
			"trunk":      str,
			"state":      obj{"type": "string", "enum": states},
			"reason":     obj{"type": "string", "description": "why it failed: busy, no answer, hung up before 1, no choice, not stored"},
			"call_id":    obj{"type": "string", "description": "the placed call's SIP Call-ID: /api/v1/calls/history/{call_id}"},
			"who":        obj{"type": "string", "description": "the token that asked"},
			"started_at": obj{"type": "string", "format": "date-time"},
			"updated_at": obj{"type": "string", "format": "date-time"}}}
	job := response("the recording by phone", ref("PromptCall"))
	paths["/api/v1/prompts/{name}/record-by-phone"] = obj{"parameters": []any{nameParam},
		"post": op("record the prompt by phone (FreePBX's *77, Yeastar's record prompt by phone): ivrd calls the phone; whoever answers hears the instruction, "+
			"a beep, records until # (or 5 s of silence, or 5 minutes), hears it back and presses 1 to keep it (stored as an upload of this name is), "+
			"2 to record again or * to cancel. A write token; counted with the token's placed calls (429); 409 while this prompt is being recorded already",
			obj{"201": job}, obj{"requestBody": obj{"required": true, "content": jsonContent(ref("PromptCallRequest"))}})}
	paths["/api/v1/prompts/{name}/record-by-phone/{id}"] = obj{
		"parameters": []any{nameParam, obj{"name": "id", "in": "path", "required": true, "schema": str, "description": "the id POST answered with"}},
		"get":        op("where a recording by phone is (kept an hour after it ends, on the node that placed the call)", obj{"200": job}, nil)}
}
