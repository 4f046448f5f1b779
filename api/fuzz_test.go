package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/ivrd/ivrd/api/edit"
	"github.com/ivrd/ivrd/api/yeastar"
	"github.com/ivrd/ivrd/api/zendesk"
	"github.com/ivrd/ivrd/examples"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/store"
)

// FuzzAPIRequest sends arbitrary bodies to the routes that decode JSON
// (IVR and other resource writes, merge patches, simulate, validate): the
// answer is never a 500 and always a JSON body, and an error names itself.
func FuzzAPIRequest(f *testing.F) {
	f.Add(uint8(0), "main", `{"id":"x","prompt":"main-choices","keys":{"1":"hangup"}}`)
	f.Add(uint8(1), "main", `{"response_timeout":"3s","keys":{"1":null,"2":{"ivr":"support"}}}`)
	f.Add(uint8(2), "support", `{"prompt":"support-choices","keys":{"8":"back"}}`)
	f.Add(uint8(3), "", `{"ivr":"main","input":"wait:1s,2,1"}`)
	f.Add(uint8(4), "", `{"ivrs":[{"id":"a","prompt":"welcome","extensions":["1"]}]}`)
	f.Add(uint8(5), "pstn", `{"uri":"sip:gw","password":"x","strip":1}`)
	f.Add(uint8(7), "", `{"ivrid":"100,200"}`)
	f.Add(uint8(8), "", `{"ivrid":"100","responsetimeout":"8","dialext":"on"}`)
	f.Add(uint8(9), "", `{"ivr_route":{"keypress":"5","action":"phone_number","options":{"phone_number":"+15551234567"}}}`)
	f.Add(uint8(6), "office", `{"timezone":"Europe/Paris","open":["mon-fri 09:00-17:00"],"holidays":[{"date":"2026-12-25"}]}`)
	dir := f.TempDir()
	st, err := store.Open(context.Background(), "sqlite://"+filepath.Join(dir, "fuzz.db"), store.Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Import(context.Background(), "file", examples.Main, "", prompts.Builtin().Names()); err != nil {
		f.Fatal(err)
	}
	srv := New(Config{Store: st, Tokens: []ivr.APIToken{{Name: "admin", Token: writeToken, Scope: "write"}}})
	f.Fuzz(func(t *testing.T, route uint8, id, body string) {
		method, path := "POST", "/api/v1/ivrs"
		switch route % 10 {
		case 1:
			method, path = "PATCH", "/api/v1/ivrs/"
		case 2:
			method, path = "PUT", "/api/v1/ivrs/"
		case 3:
			path = "/api/v1/simulate"
		case 4:
			path = "/api/v1/validate"
		case 5:
			method, path = "PUT", "/api/v1/trunks/"
		case 6:
			method, path = "PUT", "/api/v1/schedules/"
		case 7:
			path = yeastar.QueryPath
		case 8:
			path = yeastar.UpdatePath
		case 9:
			// The example's main menu in the Zendesk routes API.
			path = fmt.Sprintf("%s/%d/menus/%d/routes", zendesk.Base, edit.IntID("ivr", "main"), edit.IntID("ivr", "main"))
		}
		if method != "POST" {
			if id == "" || !validPathSegment(id) {
				id = "x"
			}
			path += id
		}
		req := httptest.NewRequest(method, path, bytes.NewReader([]byte(body)))
		req.Header.Set("Authorization", "Bearer "+writeToken)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, path, body, rec.Code, rec.Body)
		}
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil && rec.Code != http.StatusNoContent {
			t.Fatalf("%s %s: not a JSON answer: %s", method, path, rec.Body)
		}
		if rec.Code >= 400 && m["error"] == nil {
			t.Fatalf("%s %s: %d without an error body: %s", method, path, rec.Code, rec.Body)
		}
	})
}

func validPathSegment(s string) bool {
	for _, c := range s {
		if c <= ' ' || c == '/' || c == '?' || c == '#' || c == '%' || c > '~' {
			return false
		}
	}
	return true
}
