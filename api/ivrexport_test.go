package api

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// importYAML posts body to the import route with the query q.
func (e *env) importYAML(q, body string) reply {
	return e.do(req{method: "POST", path: "/api/v1/ivrs/import" + q, ctype: "application/yaml", body: []byte(body)})
}

// exported is GET .../export of id, checked for its headers.
func (e *env) exported(id string) string {
	t := e.t
	t.Helper()
	r := e.get("/api/v1/ivrs/" + id + "/export")
	require.Equal(t, 200, r.Status, string(r.Body))
	assert.Equal(t, "application/yaml", r.Header.Get("Content-Type"))
	assert.Equal(t, `attachment; filename=ivr-`+id+`.yaml`, r.Header.Get("Content-Disposition"))
	return string(r.Body)
}

// withIDs rewrites an exported IVR's id and numbers (test code: the
// export is read as the generic YAML a script would edit).
func withIDs(t *testing.T, exported, id string, extensions []string) string {
	t.Helper()
	var doc struct {
		IVRs []map[string]any `yaml:"ivrs"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(exported), &doc))
	require.Len(t, doc.IVRs, 1)
	doc.IVRs[0]["id"] = id
	doc.IVRs[0]["extensions"] = extensions
	var b bytes.Buffer
	require.NoError(t, yaml.NewEncoder(&b).Encode(doc))
	return b.String()
}

// liveWithout is a live IVR's JSON without the fields a copy differs in.
func liveWithout(t *testing.T, e *env, id string) map[string]any {
	t.Helper()
	m := e.get("/api/v1/ivrs/" + id).JSON(t)
	for _, f := range []string{"id", "extensions", "version", "updated_at"} {
		delete(m, f)
	}
	return m
}

// An exported IVR imported under a new id is the same IVR; one that
// would clash (its numbers, its id) is refused with the line to fix.
func TestIVRExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e *env) {
		out := e.exported("main")
		assert.Contains(t, out, "ivrs:\n  - id: main\n")
		assert.Contains(t, out, "# It refers to these by name only")
		assert.Contains(t, out, "#   ivrs: support")
		assert.Contains(t, out, "#   prompts: goodbye, invalid, main-choices, timeout, welcome")
		assert.Equal(t, 404, e.get("/api/v1/ivrs/nope/export").Status)

		// The same YAML again: the id exists.
		r := e.importYAML("", out)
		require.Equal(t, 409, r.Status, string(r.Body))
		assert.Contains(t, string(r.Body), "replace=true")

		// A new id with the same numbers: 422, naming the clash.
		clash := strings.Replace(out, "- id: main\n", "- id: copy\n", 1)
		r = e.importYAML("", clash)
		require.Equal(t, 422, r.Status, string(r.Body))
		assert.Contains(t, string(r.Body), `already reaches ivr \"copy\"`)

		r = e.importYAML("", withIDs(t, out, "copy", []string{"150"}))
		require.Equal(t, 201, r.Status, string(r.Body))
		assert.Equal(t, "/api/v1/ivrs/copy", r.Header.Get("Location"))
		res := r.JSON(t)
		assert.Equal(t, "copy", res["id"])
		assert.Equal(t, false, res["draft"])
		assert.Equal(t, liveWithout(t, e, "main"), liveWithout(t, e, "copy"), "the copy is the original")
		assert.Contains(t, string(e.get("/api/v1/audit").Body), `"copy"`, "the import is audited")

		// A read token may export, not import.
		assert.Equal(t, 200, e.do(req{method: "GET", path: "/api/v1/ivrs/main/export", token: readToken}).Status)
		assert.Equal(t, 403, e.do(req{method: "POST", path: "/api/v1/ivrs/import", token: readToken, ctype: "application/yaml", body: []byte(out)}).Status)
	})
}

// ?replace=true overwrites the live IVR; ?draft=true leaves it and saves
// a draft; an IVR written as its bare fields is accepted too.
func TestIVRImportReplaceAndDraft(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e *env) {
		out := e.exported("support")
		r := e.send("PATCH", "/api/v1/ivrs/support", `{"name":"Changed"}`)
		require.Equal(t, 200, r.Status, string(r.Body))

		r = e.importYAML("?replace=true", out)
		require.Equal(t, 200, r.Status, string(r.Body))
		assert.Equal(t, true, r.JSON(t)["replaced"])
		assert.Equal(t, "Support", e.get("/api/v1/ivrs/support").JSON(t)["name"], "the export is live again")

		bare := "id: support\nname: Drafted\nextensions: [\"200\"]\nprompt: support-choices\nkeys:\n  \"1\": hangup\n"
		r = e.importYAML("?draft=true", bare)
		require.Equal(t, 200, r.Status, string(r.Body))
		assert.Equal(t, true, r.JSON(t)["draft"])
		assert.Equal(t, "Support", e.get("/api/v1/ivrs/support").JSON(t)["name"], "a draft import leaves calls alone")
		d := e.get("/api/v1/ivrs/support/draft").JSON(t)
		assert.Equal(t, "Drafted", d["ivr"].(map[string]any)["name"])
		assert.Equal(t, 404, e.importYAML("?draft=true", strings.ReplaceAll(bare, "support", "newone")).Status, "a draft is of a stored IVR")
	})
}

// Input that is not one IVR gets 400 naming the problem, a wrong field
// 422 with its line, a body past the limit 413; nothing is stored.
func TestIVRImportRefusals(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e *env) {
		for _, c := range []struct{ body, want string }{
			{"id: [unclosed\n", "bad_yaml"},
			{"- just\n- a list\n", "a list"},
			{"ivrs:\n  - id: a\n  - id: b\n", "exactly one IVR, got 2"},
			{"server: {}\nivrs:\n  - id: a\n", "other settings"},
		} {
			r := e.importYAML("", c.body)
			require.Equal(t, 400, r.Status, "%q: %s", c.body, r.Body)
			assert.Contains(t, string(r.Body), c.want)
		}
		// Every mistake of shape at once, with its line, bare or under ivrs:.
		bad := "id: typo\npromtp: support-choices\nkeys:\n  \"1\":\n    ivr: support\n    ring_timeout: soon\n"
		r := e.importYAML("", bad)
		require.Equal(t, 422, r.Status, string(r.Body))
		assert.Contains(t, string(r.Body), `"path": "ivrs[typo].keys.1.ring_timeout"`)
		assert.Contains(t, string(r.Body), `line 6: bad duration`)
		assert.Contains(t, string(r.Body), `line 2: unknown field`)
		assert.Contains(t, string(r.Body), `did you mean`)
		r = e.importYAML("", "# a comment\nivrs:\n  - "+strings.ReplaceAll(bad, "\n", "\n    "))
		require.Equal(t, 422, r.Status, string(r.Body))
		assert.Contains(t, string(r.Body), `line 8: bad duration`)
		assert.Contains(t, string(r.Body), `line 4: unknown field`)
		r = e.importYAML("", "id: typo\nkeys:\n  \"1\": { ivr: nowhere }\n")
		require.Equal(t, 422, r.Status, string(r.Body))
		assert.Contains(t, string(r.Body), `line 3: `)

		big := "id: big\nname: \"" + strings.Repeat("x", 1<<20) + "\"\n"
		r = e.do(req{method: "POST", path: "/api/v1/ivrs/import", ctype: "application/yaml", body: []byte(big), badRequest: true})
		assert.Equal(t, 413, r.Status)
		assert.Equal(t, 400, e.do(req{method: "POST", path: "/api/v1/ivrs/import?replace=maybe", ctype: "application/yaml", body: []byte("id: x\n"), badRequest: true}).Status)
		assert.Equal(t, 404, e.get("/api/v1/ivrs/typo").Status, "nothing was stored")
	})
}
