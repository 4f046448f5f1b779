package ui

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
)

//go:embed static
var static embed.FS

// csp keeps the page to its own origin: no CDN, no inline script, no
// request anywhere but this server (blob: is the prompt player's audio,
// fetched with the token and handed to <audio> as an object URL).
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

// policy is csp, letting the phone connect to the server's WebSocket
// listener on the host the page came from (when there is one).
func policy(ph Phone, host string) string {
	if ph.WSPort == 0 {
		return csp
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	if strings.ContainsAny(name, " ;'\"") || name == "" {
		return csp // a Host no browser sends: no exception for it
	}
	scheme := "ws"
	if ph.Secure {
		scheme = "wss"
	}
	target := scheme + "://" + net.JoinHostPort(name, strconv.Itoa(ph.WSPort))
	return strings.Replace(csp, "connect-src 'self'", "connect-src 'self' "+target, 1)
}

// Phone is where the page's phone (js/phone.js) places its calls: the
// port of the server's SIP-over-WebSocket listener, on the host the page
// was loaded from. WSPort 0: the server has none, and the page says so.
type Phone struct {
	WSPort int  `json:"ws_port"`
	Secure bool `json:"secure"` // wss://
}

// Handler serves the UI under prefix (e.g. "/ui"): prefix itself
// redirects to prefix+"/", which is the page; the assets are below it.
// The assets are public (they hold no data); the page asks for a token
// before it shows anything.
func Handler(prefix string) http.Handler { return WithPhone(prefix, nil) }

// WithPhone is Handler with the page's phone: prefix+"/phone.json" says
// where it connects (phone is asked at each request: the listener may be
// bound after the handler is made), and the page's Content-Security-
// Policy lets it connect there and nowhere else.
func WithPhone(prefix string, phone func() Phone) http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic("ui: embedded assets: " + err.Error()) // a build defect
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == prefix {
			http.Redirect(w, r, prefix+"/", http.StatusMovedPermanently)
			return
		}
		rest, ok := strings.CutPrefix(r.URL.Path, prefix+"/")
		if !ok {
			http.NotFound(w, r)
			return
		}
		rest = path.Clean("/" + rest)
		if strings.HasSuffix(rest, "/") && rest != "/" {
			http.NotFound(w, r) // no directory listings
			return
		}
		h := w.Header()
		ph := Phone{}
		if phone != nil {
			ph = phone()
		}
		if rest == "/phone.json" {
			h.Set("Content-Type", "application/json")
			h.Set("Cache-Control", "no-store")
			_ = json.NewEncoder(w).Encode(ph) // the client went away: nothing to do
			return
		}
		h.Set("Content-Security-Policy", policy(ph, r.Host))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// The assets change with the binary; revalidating is cheap
		// (embedded files have no modification time, so no 304 either,
		// but they are small) and an upgrade is never half-cached.
		h.Set("Cache-Control", "no-cache")
		if rest != "/" {
			if fi, err := fs.Stat(sub, rest[1:]); err != nil || fi.IsDir() {
				http.NotFound(w, r)
				return
			}
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = rest
		files.ServeHTTP(w, r2)
	})
}
