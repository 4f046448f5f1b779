package api

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Drafts through the API: saved and listed as revisions without reaching
// the live IVR, published, rolled back; read tokens may look, not write.
func TestRevisionsDraftPublishRestore(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e *env) {
		r := e.get("/api/v1/ivrs/main")
		require.Equal(t, 200, r.Status)
		etag := r.Header.Get("ETag")

		draft := `{"id":"main","prompt":"main-choices","extensions":["100"],"keys":{"1":"hangup","9":{"ivr":"support"}}}`
		r = e.do(req{method: "PUT", path: "/api/v1/ivrs/main/draft", body: []byte(draft), header: map[string]string{"If-Match": etag}})
		require.Equal(t, 200, r.Status, string(r.Body))
		assert.EqualValues(t, 2, r.JSON(t)["revision"])
		assert.NotContains(t, string(e.get("/api/v1/ivrs/main").Body), `"9"`, "the live IVR is unchanged")
		assert.Equal(t, 200, e.get("/api/v1/ivrs/main/draft").Status)
		items := e.get("/api/v1/ivr_drafts").JSON(t)["items"].([]any)
		require.Len(t, items, 1)
		// A simulation may run the draft; by default it runs what calls get.
		sim := e.send("POST", "/api/v1/simulate", `{"ivr":"main","input":"9","drafts":true}`)
		require.Equal(t, 200, sim.Status, string(sim.Body))
		assert.Contains(t, string(sim.Body), `"ivr": "support"`)
		sim = e.send("POST", "/api/v1/simulate", `{"ivr":"main","input":"9"}`)
		require.Equal(t, 200, sim.Status, string(sim.Body))
		assert.NotContains(t, string(sim.Body), `"ivr": "support"`)

		// An invalid draft: 422 with its problem's path, as for a PUT.
		r = e.send("PUT", "/api/v1/ivrs/main/draft", `{"id":"main","keys":{"1":{"ivr":"nowhere"}}}`)
		require.Equal(t, 422, r.Status)
		assert.Contains(t, string(r.Body), "ivrs[main].keys.1")
		// A read token can list but not save a draft.
		assert.Equal(t, 200, e.do(req{method: "GET", path: "/api/v1/ivrs/main/revisions", token: readToken}).Status)
		assert.Equal(t, 403, e.do(req{method: "POST", path: "/api/v1/ivrs/main/publish", token: readToken}).Status)

		list := e.get("/api/v1/ivrs/main/revisions").JSON(t)
		assert.EqualValues(t, 2, list["draft"])
		revs := list["items"].([]any)
		require.Len(t, revs, 2)
		first := revs[0].(map[string]any)
		assert.Equal(t, "draft", first["action"])
		assert.Equal(t, "admin", first["who"])
		assert.Contains(t, first["changes"], "key 9 added")

		r = e.send("POST", "/api/v1/ivrs/main/publish", "")
		require.Equal(t, 200, r.Status, string(r.Body))
		assert.Equal(t, `"2"`, r.Header.Get("ETag"))
		assert.Contains(t, string(e.get("/api/v1/ivrs/main").Body), `"9"`, "published: live now")
		assert.Equal(t, 404, e.get("/api/v1/ivrs/main/draft").Status)
		assert.Equal(t, 404, e.send("POST", "/api/v1/ivrs/main/publish", "").Status, "no draft left")

		// Revision 1 against 2, then roll back to 1.
		one := e.get("/api/v1/ivrs/main/revisions/1?against=2").JSON(t)
		assert.Contains(t, one["changes"], "key 9 removed")
		r = e.do(req{method: "POST", path: "/api/v1/ivrs/main/revisions/1/restore", header: map[string]string{"If-Match": `"2"`}})
		require.Equal(t, 200, r.Status, string(r.Body))
		assert.NotContains(t, string(e.get("/api/v1/ivrs/main").Body), `"9"`, "rolled back")
		assert.Equal(t, 404, e.send("POST", "/api/v1/ivrs/main/revisions/42/restore", "").Status)
		assert.Equal(t, 400, e.do(req{method: "GET", path: "/api/v1/ivrs/main/revisions/x", badRequest: true}).Status)

		audit := string(e.get("/api/v1/audit").Body)
		for _, a := range []string{`"draft"`, `"publish"`, `"restore"`} {
			assert.Contains(t, audit, a)
		}
	})
}

func TestLayoutRoundTrip(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e *env) {
		r := e.get("/api/v1/ivrs/main/layout")
		require.Equal(t, 200, r.Status)
		assert.Empty(t, r.JSON(t)["positions"])
		r = e.send("PUT", "/api/v1/ivrs/main/layout", `{"positions":{"menu:main":{"x":100,"y":50}}}`)
		require.Equal(t, 200, r.Status, string(r.Body))
		pos := e.get("/api/v1/ivrs/main/layout").JSON(t)["positions"].(map[string]any)
		assert.Equal(t, map[string]any{"x": 100.0, "y": 50.0}, pos["menu:main"])
		assert.Equal(t, 404, e.send("PUT", "/api/v1/ivrs/nope/layout", `{"positions":{}}`).Status)
		assert.Equal(t, 400, e.do(req{method: "PUT", path: "/api/v1/ivrs/main/layout", body: []byte(`{"positions":{"a":{"x":"far"}}}`), badRequest: true}).Status)
	})
}
