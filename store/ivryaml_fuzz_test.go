package store

import (
	"testing"
)

// FuzzParseIVRYAML: any YAML the import reads as one IVR composes into a
// configuration the file parser accepts, and every problem path maps to
// a line of the input; nothing panics on the way (aliases included).
func FuzzParseIVRYAML(f *testing.F) {
	f.Add("ivrs:\n  - id: m\n    prompt: welcome\n    keys:\n      \"1\": { uri: \"sip:a@b\" }\n      \"#\": hangup\n")
	f.Add("id: m\nextensions: [100]\nkeys:\n  1: { play: x, then: { ivr: m } }\n")
	f.Add("a: &a [x, x]\nb: &b [*a, *a]\nid: m\nname: *b\n")
	f.Fuzz(func(t *testing.T, data string) {
		got, err := ParseIVRYAML([]byte(data))
		lines := 1 // at most: YAML also breaks lines at \r, NEL, LS and PS
		for _, r := range data {
			if r == '\n' || r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029' {
				lines++
			}
		}
		for _, p := range []string{"", "keys.1", "ivrs[" + got.ID + "].keys.1.then", "extensions[0]"} {
			if n := got.Line(p); n < 0 || n > lines {
				t.Fatalf("Line(%q) = %d, the input has %d lines", p, n, lines)
			}
		}
		if err != nil {
			return
		}
		st := state{}
		for _, k := range Kinds {
			st[k] = map[string]map[string]any{}
		}
		st[IVRs][got.ID] = got.Body
		if _, _, err := compose(Base{}, st); err != nil {
			t.Fatalf("%q was read as an IVR, but its configuration does not parse: %v", data, err)
		}
	})
}
