package zendesk

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ivrd/ivrd/api/edit"
	"github.com/ivrd/ivrd/store"
)

// FuzzRouteBody: no ivr_route body makes the decoder or the translation
// panic, and every route the API would store has a shape the store
// takes.
func FuzzRouteBody(f *testing.F) {
	f.Add(`{"ivr_route": {"action": "group", "keypress": "1", "options": {"group_ids": [10001]}}}`)
	f.Add(`{"ivr_route": {"action": "group", "options": {"group_ids": [10001, 10001], "tags": ["a"]}, "overflow_options": [{"action": "phone_number", "options": {"phone_number": "+1555"}}, {"action": "voicemail", "options": {"group_ids": [10001]}}]}}`)
	f.Add(`{"ivr_route": {"action": "textback", "options": {"sms_text": "hi", "textback_phone_number_id": 3}}}`)
	f.Add(`{"ivr_route": {"action": "menu", "options": {"menu_id": 5}, "id": 3, "greeting": null}}`)
	top := "main"
	wld := &world{
		ivrs:   []edit.Item[edit.IVR]{{ID: top, Body: edit.IVR{ID: top, Extensions: []string{"100"}}}},
		groups: []edit.Item[edit.Group]{{ID: "10001", Body: edit.Group{ID: "10001"}}},
		trunks: []string{"pstn"},
	}
	wld.byID = map[string]*edit.IVR{top: &wld.ivrs[0].Body}
	f.Fuzz(func(t *testing.T, body string) {
		w := httptest.NewRecorder()
		in, ok := readRoute(w, httptest.NewRequest("POST", "/", strings.NewReader(body)))
		if !ok || in.Action == nil {
			return
		}
		var o optionsIn
		if in.Options != nil {
			o = *in.Options
		}
		d, err := wld.destination(top, *in.Action, o, in.overflow())
		if err != nil {
			return
		}
		m := edit.IVR{ID: top, Keys: map[string]*edit.Destination{"1": d}}
		stored, err := edit.Encode(&m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.CheckBody(store.IVRs, stored); err != nil {
			t.Fatalf("%s makes %v, which the store refuses: %v", body, stored, err)
		}
		rt := Route{}
		if !wld.describe(&rt, d) {
			t.Fatalf("%s makes a destination Zendesk cannot show back", body)
		}
	})
}
