package store

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/ivrd/ivrd/ivr"
)

// ShapeError is a resource body that is not the shape of the YAML model:
// an unknown field, a wrong JSON type, a malformed duration. Path is the
// field's place in the body ("keys.1.ring_timeout").
type ShapeError struct {
	Path string
	Msg  string
}

func (e *ShapeError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Is makes errors.Is(err, ErrBadInput) true.
func (e *ShapeError) Is(target error) bool { return target == ErrBadInput }

var (
	durationType    = reflect.TypeOf(ivr.Duration(0))
	destinationType = reflect.TypeOf(ivr.Destination{})
)

// destinationFields mirrors the destination mapping ivr reads (ivr keeps
// its own list unexported); ring_timeout is a duration, then and overflow
// are destinations.
var destinationFields = map[string]string{"uri": "string", "external": "string", "trunk": "string",
	"extension": "string", "ivr": "string", "play": "string", "prompt": "string", "voicemail": "string",
	"group": "string", "voicemail_check": "string", "transfer": "string", "ring_timeout": "duration", "then": "destination", "overflow": "destination",
	"set_language": "string", "webhook": "string", "event": "string", "data": "data", "internal": "string",
	"gather": "gather", "ask": "string", "timeout": "duration", "hold": "string", "fallback": "destination", "conference": "string", "queue": "string",
	"stream": "stream", "record": "record"}

// checkShape walks a decoded JSON value against the Go type ivr reads the
// same YAML into (fields by their yaml tag), so that every body the store
// accepts parses in the composed configuration, and a mistake is reported
// with its path instead of ivr.Parse's line 1.
func checkShape(v any, t reflect.Type, path string) error {
	if v == nil {
		return nil // null: the field's default, as in YAML
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case durationType:
		s, ok := v.(string)
		if !ok {
			return &ShapeError{path, fmt.Sprintf("want a duration string like \"5s\", got %s", jsonType(v))}
		}
		if _, err := time.ParseDuration(s); err != nil {
			return &ShapeError{path, fmt.Sprintf("bad duration %q (want e.g. \"5s\", \"1500ms\")", s)}
		}
		return nil
	case destinationType:
		return checkDestination(v, path)
	}
	switch t.Kind() {
	case reflect.String:
		if _, ok := v.(string); !ok {
			return &ShapeError{path, "want a string, got " + jsonType(v)}
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return &ShapeError{path, "want true or false, got " + jsonType(v)}
		}
	case reflect.Int, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			return &ShapeError{path, "want an integer, got " + jsonType(v)}
		}
		if _, err := n.Int64(); err != nil {
			return &ShapeError{path, fmt.Sprintf("want an integer, got %s", n)}
		}
	case reflect.Slice:
		a, ok := v.([]any)
		if !ok {
			return &ShapeError{path, "want a list, got " + jsonType(v)}
		}
		for i, e := range a {
			if err := checkShape(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return &ShapeError{path, "want an object, got " + jsonType(v)}
		}
		for _, k := range sortedKeys(m) {
			if err := checkShape(m[k], t.Elem(), join(path, k)); err != nil {
				return err
			}
		}
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return notObject(v, t, path)
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if tag != "" && tag != "-" {
				fields[tag] = t.Field(i).Type
			}
		}
		for _, k := range sortedKeys(m) {
			ft, ok := fields[k]
			if !ok {
				return &ShapeError{join(path, k), "unknown field"}
			}
			if err := checkShape(m[k], ft, join(path, k)); err != nil {
				return err
			}
		}
	default:
		return &ShapeError{path, "unsupported field"}
	}
	return nil
}

// notObject is the error of a value that is not the object of type t,
// nil for the one struct also written as a word: record: true.
func notObject(v any, t reflect.Type, path string) error {
	if _, ok := v.(bool); ok && t == reflect.TypeFor[ivr.Record]() {
		return nil
	}
	return &ShapeError{path, "want an object, got " + jsonType(v)}
}

func checkDestination(v any, path string) error {
	switch d := v.(type) {
	case string:
		switch strings.ToLower(strings.TrimSpace(d)) {
		case "repeat", "back", "top", "menu", "hangup":
			return nil
		}
		return &ShapeError{path, fmt.Sprintf("unknown destination %q (want repeat, back, top, menu, hangup or an object)", d)}
	case map[string]any:
		targets := 0
		for _, k := range sortedKeys(d) {
			kind, ok := destinationFields[k]
			if !ok {
				return &ShapeError{join(path, k), "unknown destination field"}
			}
			switch kind {
			case "destination":
				if err := checkDestination(d[k], join(path, k)); err != nil && d[k] != nil {
					return err
				}
			case "duration":
				if err := checkShape(d[k], durationType, join(path, k)); err != nil {
					return err
				}
			case "data": // a webhook's fields: strings by name
				if err := checkShape(d[k], reflect.TypeFor[map[string]string](), join(path, k)); err != nil {
					return err
				}
			case "record": // record: true, or {announce, format}
				if err := checkShape(d[k], reflect.TypeFor[ivr.Record](), join(path, k)); err != nil {
					return err
				}
			case "gather": // what a gather collects: a target
				if err := checkShape(d[k], reflect.TypeFor[ivr.Gather](), join(path, k)); err != nil {
					return err
				}
				targets++
			case "stream": // a media stream's settings: a target
				if err := checkShape(d[k], reflect.TypeFor[ivr.Stream](), join(path, k)); err != nil {
					return err
				}
				targets++
			default:
				if _, ok := d[k].(string); !ok && d[k] != nil {
					return &ShapeError{join(path, k), "want a string, got " + jsonType(d[k])}
				}
				if k != "trunk" && k != "transfer" && k != "prompt" && k != "event" && k != "hold" {
					targets++
				}
			}
		}
		if targets == 0 && d["prompt"] != nil {
			targets = 1
		}
		if targets != 1 {
			return &ShapeError{path, fmt.Sprintf("a destination needs exactly one of uri, external, extension, ivr, play, voicemail, group, voicemail_check, set_language, webhook, internal, gather, ask, stream (has %d)", targets)}
		}
		return nil
	}
	return &ShapeError{path, "want a destination (a word or an object), got " + jsonType(v)}
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}
