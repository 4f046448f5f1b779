package edit

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/ivr"
)

// fieldNames are a struct type's field names by tag.
func fieldNames(t reflect.Type, tag string) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get(tag), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// A typed body that lacked one of the model's fields would refuse (or,
// worse, drop) it on every write: each type has exactly the model's.
func TestTypedBodiesHaveTheModelsFields(t *testing.T) {
	for _, c := range []struct{ typed, model any }{
		{IVR{}, ivr.IVR{}}, {DialOut{}, ivr.DialOut{}}, {KeyInfo{}, ivr.KeyInfo{}}, {Group{}, ivr.Group{}},
		{Schedule{}, ivr.Schedule{}}, {Holiday{}, ivr.Holiday{}}, {Closed{}, ivr.Closed{}},
	} {
		require.Equal(t, fieldNames(reflect.TypeOf(c.model), "yaml"), fieldNames(reflect.TypeOf(c.typed), "json"), "%T", c.typed)
	}
}

func TestDestinationRoundTrip(t *testing.T) {
	for _, in := range []string{`"hangup"`, `{"group":"sales","overflow":{"voicemail":"sales"},"ring_timeout":"20s"}`,
		`{"webhook":"","event":"e","data":{"a":"b"}}`, `{"prompt":"bye","then":"hangup"}`} {
		body := map[string]any{"id": "m", "keys": map[string]any{}}
		var raw any
		require.NoError(t, jsonUnmarshal(in, &raw))
		body["keys"].(map[string]any)["1"] = raw
		var m IVR
		require.NoError(t, Decode(body, &m))
		out, err := Encode(&m)
		require.NoError(t, err)
		require.Equal(t, mustJSON(t, body), mustJSON(t, out), in)
	}
	// A destination kind this type does not know is kept as it was.
	body := map[string]any{"id": "m", "keys": map[string]any{"1": map[string]any{"parking": "lot1", "then": "hangup"}}}
	var m IVR
	require.NoError(t, Decode(body, &m))
	require.Equal(t, ivr.Kind(""), m.Keys["1"].Kind())
	out, err := Encode(&m)
	require.NoError(t, err)
	require.Equal(t, mustJSON(t, body), mustJSON(t, out))
	d := Destination{Group: Str("g")}
	require.Equal(t, ivr.KindGroup, d.Kind())
	require.Equal(t, "g", d.Target())
	d = Destination{Conference: Str("team")}
	require.Equal(t, ivr.KindConference, d.Kind())
	require.Equal(t, "team", d.Target())
	d = Destination{Queue: Str("support")}
	require.Equal(t, ivr.KindQueue, d.Kind())
	require.Equal(t, "support", d.Target())
}
