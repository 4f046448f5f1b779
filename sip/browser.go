package sip

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Browser callers: who may call over ws:// and wss://, and what such a
// call may do. A browser page is anyone's: unless it authenticates as an
// extension (digest against the registrar's credentials), its call
// reaches the menus but never dials out (bridges, forks, trunks), so a
// public page cannot be used to place calls on ivrd's trunks.

// WebSocketPolicy is Config.WebSocket.
type WebSocketPolicy struct {
	// Origins are the page origins ("https://pbx.example.com") allowed to
	// open a WebSocket besides the server's own host; "*" allows any.
	// A request without Origin (not a browser page) is not checked.
	Origins []string
	// RequireAuth challenges every INVITE over ws/wss: only callers who
	// authenticate as an extension get a call.
	RequireAuth bool
	// AnonymousDialOut lets unauthenticated browser callers be bridged to
	// far ends too (a lab, or a page only trusted users reach).
	AnonymousDialOut bool
}

// ErrBrowserDialOut is a bridge or transfer refused to an anonymous
// browser caller (WebSocketPolicy.AnonymousDialOut is off).
var ErrBrowserDialOut = errors.New("sip: an anonymous browser caller may not dial out (server.sip.ws_anonymous_dialout)")

// ErrReferBrowser is a REFER not sent: browsers refuse transfers, so a
// hand-off to a browser caller is a bridge.
var ErrReferBrowser = errors.New("sip: browser callers cannot be transferred with REFER")

// isWebSocket reports whether a transport name is ws or wss.
func isWebSocket(transport string) bool {
	t := strings.ToLower(transport)
	return t == "ws" || t == "wss"
}

// mayDialOut reports whether the call may be bridged to a far end.
func (c *Call) mayDialOut() bool {
	return !c.Browser || c.Extension != "" || c.srv.cfg.WebSocket.AnonymousDialOut
}

// authenticateBrowser decides who a browser's INVITE comes from: an
// extension whose digest checked, or anonymous when it sent none and the
// policy allows that. ok false: it has been answered (401, 403, 400).
// The checks are the registrar's: signed nonces, failures counted
// towards the same lockout, an unknown user costing the work of a known
// one.
func (s *Server) authenticateBrowser(req *sip.Request, tx sip.ServerTransaction) (ext string, ok bool) {
	r := s.reg
	src := sourceAddr(req)
	now := r.clock()
	h := req.GetHeader("Authorization")
	if h == nil {
		if !s.cfg.WebSocket.RequireAuth {
			return "", true
		}
		s.challenge(tx, req, src, now, false)
		return "", false
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil {
		s.badLog.Info("browser call refused: unreadable Authorization", "source", req.Source())
		s.respond(tx, req, 400, "Bad Authorization", nil)
		return "", false
	}
	state := r.nonces.check(cred.Nonce, src, now)
	if state == nonceBad {
		s.challenge(tx, req, src, now, false)
		return "", false
	}
	user := cred.Username
	if locked, wait := r.fails.locked(src, user, now); locked {
		s.badLog.Warn("browser call refused: too many failures", "extension", user, "source", req.Source())
		secs := int((wait + time.Second - 1) / time.Second)
		s.respond(tx, req, 403, "Forbidden", nil, sip.NewHeader("Retry-After", strconv.Itoa(secs)))
		return "", false
	}
	password, known := "", false
	if s.cfg.Credentials != nil {
		password, known = s.cfg.Credentials(user)
	}
	if !known {
		password = r.decoy
	}
	r.checks.Add(1)
	if !known || cred.Realm != realm || !digestMatchesMethod(cred, password, string(req.Method)) {
		r.fails.fail(src, user, now)
		s.badLog.Warn("browser call refused: wrong credentials", "extension", user, "source", req.Source(), "code", 403)
		s.respond(tx, req, 403, "Forbidden", nil)
		return "", false
	}
	if state == nonceStale {
		s.challenge(tx, req, src, now, true)
		return "", false
	}
	r.fails.succeed(src, user)
	return user, true
}
