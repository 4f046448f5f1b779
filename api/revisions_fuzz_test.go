package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/ivrd/ivrd/examples"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/store"
)

// FuzzDraftAndLayout sends arbitrary bodies to the routes revisions.go
// decodes (a draft, a chart layout) and arbitrary revision numbers: never
// a 500, always a JSON answer, an error that names itself.
func FuzzDraftAndLayout(f *testing.F) {
	f.Add(uint8(0), "main", `{"id":"main","prompt":"main-choices","keys":{"1":"hangup"}}`)
	f.Add(uint8(0), "support", `{"keys":{"1":{"ivr":"nowhere"}}}`)
	f.Add(uint8(1), "main", `{"positions":{"menu:main":{"x":1,"y":2}}}`)
	f.Add(uint8(1), "main", `{"positions":{"":{"x":1e308,"y":-1}}}`)
	f.Add(uint8(2), "1", ``)
	f.Add(uint8(2), "-3", ``)
	f.Add(uint8(3), "main", ``)
	st, err := store.Open(context.Background(), "sqlite://"+filepath.Join(f.TempDir(), "fuzz.db"), store.Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Import(context.Background(), "file", examples.Main, "", prompts.Builtin().Names()); err != nil {
		f.Fatal(err)
	}
	srv := New(Config{Store: st, Tokens: []ivr.APIToken{{Name: "admin", Token: writeToken, Scope: "write"}}})
	f.Fuzz(func(t *testing.T, route uint8, seg, body string) {
		if seg == "" || !validPathSegment(seg) {
			seg = "x"
		}
		method, path := "PUT", "/api/v1/ivrs/"+seg+"/draft"
		switch route % 4 {
		case 1:
			path = "/api/v1/ivrs/" + seg + "/layout"
		case 2:
			method, path = "POST", "/api/v1/ivrs/main/revisions/"+seg+"/restore"
		case 3:
			method, path = "POST", "/api/v1/ivrs/"+seg+"/publish"
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
