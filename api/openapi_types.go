package api

import (
	"encoding"
	"reflect"
	"strings"
	"time"

	"github.com/ivrd/ivrd/cdr"
)

// jsonSchemaOf is the OpenAPI schema of a Go value's JSON, read from its
// type and json tags: for the types the API sends as they are (the call
// record), the schema follows the type by construction and cannot fall
// behind it. Named string types with a closed set of values (cdr's)
// become enums; text marshalers are strings; a pointer is nullable; a
// field without omitempty is required.
func jsonSchemaOf(t reflect.Type) obj {
	textMarshaler := reflect.TypeFor[encoding.TextMarshaler]()
	enumerated := reflect.TypeFor[cdr.Enumerated]()
	switch {
	case t == reflect.TypeFor[time.Time]():
		return obj{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Pointer:
		s := jsonSchemaOf(t.Elem())
		s["nullable"] = true
		return s
	case t.Implements(enumerated) && t.Kind() == reflect.String:
		values := reflect.Zero(t).Interface().(cdr.Enumerated).Enum()
		enum := make([]any, len(values))
		for i, v := range values {
			enum[i] = v
		}
		return obj{"type": "string", "enum": enum}
	case t.Implements(textMarshaler):
		return obj{"type": "string"}
	}
	switch t.Kind() {
	case reflect.String:
		return obj{"type": "string"}
	case reflect.Bool:
		return obj{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint64, reflect.Uint32:
		return obj{"type": "integer"}
	case reflect.Float64, reflect.Float32:
		return obj{"type": "number"}
	case reflect.Slice:
		return obj{"type": "array", "items": jsonSchemaOf(t.Elem())}
	case reflect.Struct:
		props := obj{}
		var required []any
		for i := range t.NumField() {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			props[name] = jsonSchemaOf(f.Type)
			if !strings.Contains(opts, "omitempty") {
				required = append(required, name)
			}
		}
		s := obj{"type": "object", "properties": props}
		if len(required) > 0 {
			s["required"] = required
		}
		return s
	}
	return obj{}
}
