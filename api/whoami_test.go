package api

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The web UI decides whether to show edit controls from whoami.
func TestWhoAmI(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e *env) {
		r := e.get("/api/v1/whoami")
		require.Equal(t, 200, r.Status, string(r.Body))
		require.Equal(t, map[string]any{"name": "admin", "scope": "write"}, r.JSON(t))
		r = e.do(req{method: "GET", path: "/api/v1/whoami", token: readToken})
		require.Equal(t, 200, r.Status, string(r.Body))
		require.Equal(t, map[string]any{"name": "grafana", "scope": "read"}, r.JSON(t))
		tok, _, err := e.st.CreateToken(t.Context(), "ops", "read")
		require.NoError(t, err)
		r = e.do(req{method: "GET", path: "/api/v1/whoami", token: tok})
		require.Equal(t, map[string]any{"name": "ops", "scope": "read"}, r.JSON(t))
		r = e.do(req{method: "GET", path: "/api/v1/whoami", token: "-", badRequest: true})
		require.Equal(t, 401, r.Status)
	})
}
