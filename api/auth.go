package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ivrd/ivrd/api/wazo"
	"github.com/ivrd/ivrd/api/yeastar"
	"github.com/ivrd/ivrd/api/zendesk"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/store"
)

// configToken is a server.api.tokens entry, kept only as a SHA-256.
type configToken struct {
	name  string
	hash  [32]byte
	scope string
}

// SetTokens replaces the tokens from the configuration file (reload).
func (s *Server) SetTokens(list []ivr.APIToken) {
	out := make([]configToken, 0, len(list))
	for _, t := range list {
		ct := configToken{name: t.Name, scope: t.Scope}
		if t.Token != "" {
			ct.hash = sha256.Sum256([]byte(t.Token))
		} else if b, err := hex.DecodeString(t.TokenSHA256); err == nil && len(b) == 32 {
			copy(ct.hash[:], b)
		} else {
			continue // validate refuses such a file; never match a zero hash
		}
		out = append(out, ct)
	}
	s.tokens.Store(&out)
}

// needsWrite: everything but reading and the side-effect-free POSTs.
func needsWrite(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	switch r.URL.Path {
	case "/api/v1/validate", "/api/v1/simulate", yeastar.QueryPath:
		return false
	}
	return true
}

// authError answers a refused request in the shape its API uses.
func authError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	switch {
	case yeastar.Owns(r):
		yeastar.AuthError(w, r, status, msg)
	case zendesk.Owns(r):
		if status == http.StatusUnauthorized {
			msg = "Couldn't authenticate you"
		}
		zendesk.WriteError(w, status, code, msg)
	case wazo.Owns(r):
		wazo.WriteError(w, status, msg)
	default:
		writeError(w, status, code, msg)
	}
}

// authenticate checks the bearer token: 401 without a valid one, 403 for a
// read token asking to write, 429 for an address that failed too often.
// It returns the token's name.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	ip := clientIP(r)
	if wait := s.fails.blocked(ip); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
		authError(w, r, http.StatusTooManyRequests, "too_many_failures", "too many failed authentications from this address; try again later")
		return "", false
	}
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if yeastar.Owns(r) && auth == "" {
		// The Yeastar API passes its token in the query (?token=).
		auth = r.URL.Query().Get("token")
		tok, ok = auth, auth != ""
	}
	if wazo.Owns(r) && auth == "" {
		// Wazo's confd takes its token in X-Auth-Token.
		auth = r.Header.Get("X-Auth-Token")
		tok, ok = auth, auth != ""
	}
	if zendesk.Owns(r) && strings.HasPrefix(auth, "Basic ") {
		// Zendesk's basic auth: "{email}/token" and the API token.
		user, pass, basic := r.BasicAuth()
		tok, ok = pass, basic && strings.HasSuffix(user, "/token") && pass != ""
	}
	if !ok || tok == "" {
		if auth != "" {
			s.fails.fail(ip)
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="ivrd"`)
		authError(w, r, http.StatusUnauthorized, "unauthorized", "an API token is required: Authorization: Bearer TOKEN")
		return "", false
	}
	name, scope, found := s.lookup(r, strings.TrimSpace(tok))
	if !found {
		s.fails.fail(ip)
		s.log.Warn("api authentication failed", "remote", ip, "path", r.URL.Path)
		w.Header().Set("WWW-Authenticate", `Bearer realm="ivrd", error="invalid_token"`)
		authError(w, r, http.StatusUnauthorized, "unauthorized", "the API token is not valid (unknown or revoked)")
		return "", false
	}
	if needsWrite(r) && scope != "write" {
		authError(w, r, http.StatusForbidden, "forbidden", "token "+strconv.Quote(name)+" has scope "+scope+"; this request needs a write token")
		return "", false
	}
	return name, true
}

// lookup compares the token's hash with every configured one in constant
// time (no early exit), then asks the store, which finds stored tokens by
// hash.
func (s *Server) lookup(r *http.Request, tok string) (name, scope string, ok bool) {
	sum := sha256.Sum256([]byte(tok))
	for _, ct := range *s.tokens.Load() {
		if subtle.ConstantTimeCompare(sum[:], ct.hash[:]) == 1 && !ok {
			name, scope, ok = ct.name, ct.scope, true
		}
	}
	if ok || s.st == nil {
		return name, scope, ok
	}
	t, err := s.st.LookupToken(r.Context(), hex.EncodeToString(sum[:]))
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Error("api token lookup", "err", err)
		}
		return "", "", false
	}
	return t.Name, t.Scope, true
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// throttle counts failed authentications per address in fixed windows.
type throttle struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	seen   map[string]*failWindow
}

type failWindow struct {
	start time.Time
	n     int
}

func newThrottle(limit int, window time.Duration) *throttle {
	return &throttle{limit: limit, window: window, seen: map[string]*failWindow{}}
}

// blocked says how long ip must still wait (0: not blocked).
func (t *throttle) blocked(ip string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.seen[ip]
	if f == nil {
		return 0
	}
	left := t.window - time.Since(f.start)
	if left <= 0 {
		delete(t.seen, ip)
		return 0
	}
	if f.n >= t.limit {
		return left
	}
	return 0
}

func (t *throttle) fail(ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	if len(t.seen) > 10000 { // a scan from many addresses: forget the old windows
		for k, f := range t.seen {
			if now.Sub(f.start) > t.window {
				delete(t.seen, k)
			}
		}
	}
	f := t.seen[ip]
	if f == nil || now.Sub(f.start) > t.window {
		f = &failWindow{start: now}
		t.seen[ip] = f
	}
	f.n++
}
