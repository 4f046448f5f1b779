package wazo

import (
	"testing"

	"github.com/ivrd/ivrd/api/edit"
)

// fuzzWorld has the IVRs main and support.
func fuzzWorld() world {
	return world{ivrs: []edit.Item[edit.IVR]{
		{ID: "main", Body: edit.IVR{ID: "main", Extensions: []string{"100"}}},
		{ID: "support", Body: edit.IVR{ID: "support", Extensions: []string{"200"},
			NumberInfo: map[string]*edit.NumberInfo{"200": {Extension: 7, Incall: 9, Context: "from-extern"}}}},
	}}
}

// FuzzWazoIVR: no confd IVR body makes the decoder or the mapping panic;
// an accepted one has a prompt, keys of digits, * and #, and reads back
// with as many choices.
func FuzzWazoIVR(f *testing.F) {
	f.Add([]byte(`{"name":"Reception","greeting_sound":"welcome","menu_sound":"main-choices","abort_sound":"goodbye","timeout":4,"max_tries":2,"choices":[{"exten":"1","destination":{"type":"custom","command":"Goto(support,s,1)"}},{"exten":"9","destination":{"type":"sound","filename":"x"}}]}`))
	f.Add([]byte(`{"menu_sound":"m","abort_destination":{"type":"extension","exten":"200"},"choices":[{"exten":"#","destination":{"type":"ivrd","ivrd_destination":"uri sip:a@b"}}]}`))
	f.Add([]byte(`{"menu_sound":"m","max_tries":0,"timeout":-1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, _, err := decodeStrict[IVRIn](data)
		if err != nil {
			return
		}
		wld := fuzzWorld()
		m := edit.IVR{ID: "x"}
		if _, err := in.apply(&m, wld); err != nil {
			return
		}
		if m.Prompt == "" || m.MaxErrors < 1 || m.MaxErrors > 5 || m.OnFailure == nil {
			t.Fatalf("accepted %s as %+v", data, m)
		}
		for k := range m.Keys {
			if !validKey(k) {
				t.Fatalf("key %q", k)
			}
		}
		it := edit.Item[edit.IVR]{ID: "x", Body: m}
		if v := ivrView(&it, wld); len(v.Choices) != len(m.Keys) {
			t.Fatalf("%d keys shown as %d choices", len(m.Keys), len(v.Choices))
		}
	})
}

// FuzzWazoIncall: no incall or extension body panics; an incall accepted
// reaches an IVR that exists, an extension accepted has a valid exten.
func FuzzWazoIncall(f *testing.F) {
	f.Add([]byte(`{"destination": {"type": "custom", "command": "Goto(main,s,1)"}}`))
	f.Add([]byte(`{"destination": {"type": "ivr", "ivr_id": 1}}`))
	f.Add([]byte(`{"exten": "0312345678", "context": "from-extern"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		wld := fuzzWorld()
		if in, _, err := decodeStrict[incallIn](data); err == nil && in.Destination != nil {
			if target, _, err := wld.destinationIVR(in.Destination); err == nil && target != "main" && target != "support" {
				t.Fatalf("%s reaches %q", data, target)
			}
		}
		if in, _, err := decodeStrict[extensionIn](data); err == nil && validExten.MatchString(in.Exten) {
			if extensionID(in.Context, in.Exten) <= 0 {
				t.Fatalf("extension id of %s", data)
			}
		}
		_ = wld.incalls()
	})
}
