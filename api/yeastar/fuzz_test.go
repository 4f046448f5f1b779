package yeastar

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ivrd/ivrd/api/edit"
	"github.com/ivrd/ivrd/store"
)

// FuzzRequest: no body makes the decoder or an update panic, and every
// IVR an update makes has a shape the store takes.
func FuzzRequest(f *testing.F) {
	f.Add(`{"ivrid": "6500","ivrnumber":"6501"}`)
	f.Add(`{"ivrid":"6500","responsetimeout":8,"digittimeout":"4","promptrepeat":"2","dialext":"on","dialtocheckvoicemail":"on"}`)
	f.Add(`{"ivrnumber":"6500","ivrname":"6500","prompt":"","promptrepeat":"3","responsetimeout":"5","digittimeout":"3","dialext":"off","dialoutboundroutes":"off","dialtocheckvoicemail":"off"}`)
	f.Fuzz(func(t *testing.T, body string) {
		req, err := read(httptest.NewRequest("POST", "/", strings.NewReader(body)))
		if err != nil {
			return
		}
		m := edit.IVR{ID: "y", Extensions: []string{"6500"}, Keys: map[string]*edit.Destination{"1": {Word: "hangup"}}}
		if err := req.apply("6500", &m); err != nil {
			return
		}
		stored, err := edit.Encode(&m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.CheckBody(store.IVRs, stored); err != nil {
			t.Fatalf("%s makes %v, which the store refuses: %v", body, stored, err)
		}
	})
}
