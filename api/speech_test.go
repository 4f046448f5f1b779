package api

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
)

// A prompt uploaded as text is spoken at upload and stored as audio; a
// voice espeak-ng does not have is a 422 naming the prompt.
func TestPromptUploadedAsText(t *testing.T) {
	t.Parallel()
	testenv.NeedEspeak(t, "spoken uploads")
	backends(t, func(t *testing.T, e *env) {
		r := e.do(req{method: "PUT", path: "/api/v1/prompts/spoken", ctype: "application/json",
			body: []byte(`{"say": "Thank you for calling. Please hold.", "voice": "en-us"}`)})
		require.Equal(t, 201, r.Status, string(r.Body))
		m := r.JSON(t)
		require.Greater(t, m["duration_ms"], 1000.0)
		require.Equal(t, "store", m["source"])

		r = e.do(req{method: "PUT", path: "/api/v1/prompts/bad", ctype: "application/json",
			body: []byte(`{"say": "Hello", "voice": "xx-nonexistent"}`)})
		require.Equal(t, 422, r.Status, string(r.Body))
		require.Contains(t, string(r.Body), `prompt \"bad\": cannot speak this prompt`)
		require.Contains(t, string(r.Body), "xx-nonexistent")

		r = e.do(req{method: "PUT", path: "/api/v1/prompts/empty", ctype: "application/json", body: []byte(`{"say": " "}`)})
		require.Equal(t, 400, r.Status, string(r.Body))
	})
}

// Without espeak-ng the upload says so.
func TestPromptUploadedAsTextWithoutEspeak(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	backends(t, func(t *testing.T, e *env) {
		r := e.do(req{method: "PUT", path: "/api/v1/prompts/spoken", ctype: "application/json", body: []byte(`{"say": "Hello"}`)})
		require.Equal(t, 422, r.Status, string(r.Body))
		require.Contains(t, string(r.Body), "espeak-ng is not installed")
	})
}

// Languages go through the API as through the file: a menu's language
// and a set_language key are stored, and a bad code is refused.
func TestLanguagesThroughTheAPI(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e *env) {
		r := e.send("PATCH", "/api/v1/ivrs/main", `{"language": "en", "keys": {"9": {"set_language": "es", "then": "menu"}}}`)
		require.Equal(t, 200, r.Status, string(r.Body))
		r = e.get("/api/v1/ivrs/main")
		require.Contains(t, string(r.Body), `"set_language": "es"`)
		r = e.send("POST", "/api/v1/simulate", `{"ivr":"main","input":"wait:1s,9"}`)
		require.Equal(t, 200, r.Status, string(r.Body))
		require.Contains(t, string(r.Body), `"event": "language"`)
		r = e.send("PATCH", "/api/v1/ivrs/main", `{"keys": {"8": {"set_language": "../x"}}}`)
		require.Equal(t, 422, r.Status, string(r.Body))
		require.Contains(t, string(r.Body), "want a language code")
	})
}
