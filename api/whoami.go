package api

import (
	"net/http"
	"strings"
)

// whoami tells a client which token it holds: its name and scope. The web
// UI asks it at login to show or hide its edit controls (a read token
// gets no Save button it would only see refused with 403). ServeHTTP has
// already authenticated the request; the token is looked up again here
// for its scope rather than widening authenticate's signature.
func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	name, scope, ok := s.lookup(r, strings.TrimSpace(tok))
	if !ok { // revoked between the two look-ups
		writeError(w, http.StatusUnauthorized, "unauthorized", "the API token is not valid (unknown or revoked)")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"name": name, "scope": scope})
}

// whoamiPath is the OpenAPI description of GET /api/v1/whoami.
func whoamiPath() obj {
	return obj{"get": op("the name and scope of the token making the request", obj{"200": response("the token",
		obj{"type": "object", "required": []any{"name", "scope"}, "properties": obj{
			"name": obj{"type": "string"}, "scope": obj{"type": "string", "enum": []any{"read", "write"}}}})}, nil)}
}
