package sip

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Registrar limits.
const (
	defaultExpires = 3600 * time.Second
	minExpires     = 60 * time.Second
	maxExpires     = 7200 * time.Second
	nonceLife      = 5 * time.Minute
	realm          = "ivrd"
)

// registrar keeps the contacts of extensions that REGISTER with digest
// authentication. It keeps nothing for a challenge (nonces are signed, not
// stored) and a bounded table of failures.
type registrar struct {
	mu       sync.Mutex // guards now
	bindings Bindings   // Config.Bindings (the shared store) or the server's own
	node     string     // Config.Node, written into each binding
	now      func() time.Time
	nonces   *nonceSigner
	fails    *lockout
	// decoy is the password checked for a user that has none, so that an
	// unknown user costs the same work as a wrong password.
	decoy string
	// checks counts digests verified (what a password guesser gets) and
	// requests all REGISTERs handled, for figures.
	checks, requests atomic.Int64
}

func newRegistrar(bindings Bindings, node string) *registrar {
	if bindings == nil {
		bindings = newMemBindings()
	}
	return &registrar{bindings: bindings, node: node, now: time.Now, nonces: newNonceSigner(nonceLife),
		fails: newLockout(maxFailures, maxSourceFailures, failWindow, lockTableSize), decoy: rand.Text()}
}

// Contacts are an extension's registered, unexpired contacts, whichever
// node of the cluster took the registration (Config.Bindings). A store
// that fails is logged and counts as none registered.
func (s *Server) Contacts(ext string) []string {
	var out []string
	for _, b := range s.bound(ext) {
		out = append(out, b.Contact)
	}
	return out
}

// bound are ext's live bindings (none when the store fails, logged).
func (s *Server) bound(ext string) []Binding {
	ctx, cancel := context.WithTimeout(context.Background(), bindingsTimeout)
	defer cancel()
	list, err := s.reg.bindings.Bound(ctx, ext, s.reg.clock())
	if err != nil {
		s.log.Warn("registrar: reading bindings", "extension", ext, "err", err)
	}
	return list
}

// routeTo is the Route a request to contact takes: the Path its phone
// registered through (RFC 3327), so that a node that did not take the
// registration still reaches the phone through the proxy that did; none
// for a contact no phone registered (a URI called as it is) or one that
// registered directly.
func (s *Server) routeTo(contact sip.Uri) []sip.Header {
	ctx, cancel := context.WithTimeout(context.Background(), bindingsTimeout)
	defer cancel()
	b, ok, err := s.reg.bindings.BindingOf(ctx, contact.String(), s.reg.clock())
	if err != nil {
		s.log.Warn("registrar: reading the route to a contact", "contact", contact.String(), "err", err)
	}
	if !ok {
		return nil
	}
	out := make([]sip.Header, 0, len(b.Path))
	for _, p := range b.Path {
		out = append(out, sip.NewHeader("Route", p))
	}
	return out
}

func (r *registrar) clock() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.now()
}

// onRegister answers every user alike until a digest is checked: an
// unknown user is challenged like a known one and then refused exactly as
// a wrong password is, so REGISTER does not tell which extensions exist.
func (s *Server) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	r := s.reg
	r.requests.Add(1)
	ext := req.To().Address.User // checked: To is there
	src := sourceAddr(req)       // nonces are bound to where the request came from
	who := s.registerSource(req) // failures are counted against the phone
	now := r.clock()
	h := req.GetHeader("Authorization")
	if h == nil {
		s.challenge(tx, req, src, now, false)
		return
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil {
		r.fails.fail(who, ext, now)
		s.badLog.Info("register refused: unreadable Authorization", "source", req.Source())
		s.respond(tx, req, 400, "Bad Authorization", nil)
		return
	}
	state := r.nonces.check(cred.Nonce, src, now)
	if state == nonceBad {
		s.challenge(tx, req, src, now, false) // not our nonce: no verdict, no count
		return
	}
	if locked, wait := r.fails.locked(who, ext, now); locked {
		// Not even checked: a locked-out guesser learns nothing more.
		s.badLog.Warn("register refused: too many failures", "extension", ext, "source", req.Source(), "phone", who)
		secs := int((wait + time.Second - 1) / time.Second)
		s.respond(tx, req, 403, "Forbidden", nil, sip.NewHeader("Retry-After", strconv.Itoa(secs)))
		return
	}
	password, known := "", false
	if s.cfg.Credentials != nil {
		password, known = s.cfg.Credentials(ext)
	}
	if !known {
		password = r.decoy
	}
	r.checks.Add(1)
	good := known && cred.Username == ext && cred.Realm == realm && digestMatches(cred, password)
	if !good {
		r.fails.fail(who, ext, now)
		s.badLog.Warn("register refused: wrong credentials", "extension", ext, "source", req.Source(), "phone", who, "code", 403)
		s.respond(tx, req, 403, "Forbidden", nil)
		return
	}
	if state == nonceStale {
		s.challenge(tx, req, src, now, true) // right password, old nonce
		return
	}
	r.fails.succeed(who, ext)
	s.bindRegister(ext, req, tx)
}

// bindRegister applies an authenticated REGISTER and answers with the
// bindings it leaves (RFC 3261 10.3: all of the AOR's, with their
// expiry), or 400 for a request that says nothing sensible, 500 when the
// store of bindings fails.
func (s *Server) bindRegister(ext string, req *sip.Request, tx sip.ServerTransaction) {
	r := s.reg
	ctx, cancel := context.WithTimeout(context.Background(), bindingsTimeout)
	defer cancel()
	changes, err := r.changes(req)
	if err != nil {
		s.respond(tx, req, 400, "Bad Request", nil, sip.NewHeader("Warning", fmt.Sprintf("399 ivrd %q", err.Error())))
		return
	}
	list, err := r.apply(ctx, ext, changes)
	if err != nil {
		s.log.Warn("register failed: bindings not stored", "extension", ext, "source", req.Source(), "err", err)
		s.respond(tx, req, 500, "Server Internal Error", nil, sip.NewHeader("Retry-After", "30"))
		return
	}
	now := r.clock()
	hdrs := make([]sip.Header, 0, len(list))
	for _, b := range list {
		left := int(b.Expires.Sub(now) / time.Second)
		hdrs = append(hdrs, sip.NewHeader("Contact", fmt.Sprintf("<%s>;expires=%d", b.Contact, left)))
	}
	s.log.Info("registered", "extension", ext, "source", req.Source(), "contacts", len(hdrs),
		"via_proxy", len(req.GetHeaders("Path")) > 0)
	s.respond(tx, req, 200, "OK", nil, hdrs...)
}

// digestMatches checks an MD5 digest response (RFC 2617, qop auth or none)
// against password, in constant time.
func digestMatches(cred *digest.Credentials, password string) bool {
	return digestMatchesMethod(cred, password, "REGISTER")
}

// digestMatchesMethod is digestMatches for a request of another method
// (a browser's INVITE, browser.go).
func digestMatchesMethod(cred *digest.Credentials, password, method string) bool {
	if cred.Algorithm != "" && !strings.EqualFold(cred.Algorithm, "MD5") {
		return false
	}
	chal := &digest.Challenge{Realm: realm, Nonce: cred.Nonce, Algorithm: "MD5", QOP: qopOf(cred)}
	want, err := digest.Digest(chal, digest.Options{Method: method, URI: cred.URI, Username: cred.Username,
		Password: password, Cnonce: cred.Cnonce, Count: cred.Nc})
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want.Response), []byte(cred.Response)) == 1
}

func qopOf(c *digest.Credentials) []string {
	if c.QOP == "" {
		return nil
	}
	return []string{c.QOP}
}

// challengeDatagram answers a REGISTER without credentials that came
// alone in a datagram, before sipgo makes a transaction for it (one it
// would keep 32 s): nil for anything else. Over UDP a retransmission
// simply gets another challenge; over TCP sipgo keeps nothing, and the
// handler challenges.
func (s *Server) challengeDatagram(info headInfo, src netip.AddrPort) []byte {
	f := strings.Fields(info.startLine)
	if len(f) != 3 || f[0] != "REGISTER" || f[2] != "SIP/2.0" || info.cseqMethod != "REGISTER" || info.authorization {
		return nil
	}
	for _, h := range []string{"via", "from", "to", "call-id", "cseq"} {
		if !info.has[h] {
			return nil // checked answers what is missing
		}
	}
	s.reg.requests.Add(1)
	return statelessResponse(info, "401 Unauthorized", []string{"WWW-Authenticate: " + s.challengeValue(src.Addr(), s.reg.clock(), false)}, src)
}

// challengeValue is a WWW-Authenticate value with a nonce for src.
func (s *Server) challengeValue(src netip.Addr, now time.Time, stale bool) string {
	v := fmt.Sprintf(`Digest realm="%s", nonce="%s", algorithm=MD5`, realm, s.reg.nonces.issue(src, now))
	if stale {
		v += ", stale=true"
	}
	return v
}

// challenge answers 401 with a nonce signed for src: nothing is stored.
func (s *Server) challenge(tx sip.ServerTransaction, req *sip.Request, src netip.Addr, now time.Time, stale bool) {
	s.respond(tx, req, 401, "Unauthorized", nil, sip.NewHeader("WWW-Authenticate", s.challengeValue(src, now, stale)))
}

// sourceAddr is the IP a request came from (the zero Addr if unknown).
func sourceAddrPort(req *sip.Request) netip.AddrPort {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// FromRegisteredPhone reports whether a request from src comes from
// where ext's phone registered from (with digest authentication): the
// same address and port, as a phone sends its calls from the socket it
// registers with (over UDP, or the TCP/TLS connection it keeps open).
// Calls carry no digest here, so this is what lets a call act as the
// extension (a feature code) without trusting its From header.
func (s *Server) FromRegisteredPhone(ext string, src netip.AddrPort) bool {
	if !src.IsValid() {
		return false
	}
	src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	for _, b := range s.bound(ext) {
		if b.Source.IsValid() && b.Source == src {
			return true
		}
	}
	return false
}

func sourceAddr(req *sip.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// SourceHeader is the header a proxy in front of the nodes (Kamailio,
// deploy/kamailio/kamailio.cfg) sets on a REGISTER to the address the
// phone sent it from, having removed any the phone put there.
const SourceHeader = "X-Ivrd-Source"

// registerSource is the address a REGISTER's failed digests are counted
// against: where it came from, or, when that is
// a configured proxy (a source Config.Admit names as a trunk: Kamailio is
// configured as one) and it says where the phone was (SourceHeader),
// the phone's address. Counting the proxy's would lock every phone
// behind it out together after a handful of one phone's guesses, and
// give a guesser behind it the whole proxy's allowance. The header is
// believed from a configured proxy only: anyone else could name any
// address in it.
func (s *Server) registerSource(req *sip.Request) netip.Addr {
	src := sourceAddr(req)
	h := req.GetHeader(SourceHeader)
	if h == nil || s.cfg.Admit == nil {
		return src
	}
	if trunk, ok := s.cfg.Admit(src); !ok || trunk == "" {
		return src
	}
	phone, err := netip.ParseAddr(strings.TrimSpace(h.Value()))
	if err != nil {
		return src
	}
	return phone.Unmap()
}

// change is one Contact of a REGISTER: bind (or refresh) it for a
// while, or unbind it (expires 0); all, for "*".
type change struct {
	all     bool
	contact string
	expires time.Duration
	path    []string       // the REGISTER's Path values
	source  netip.AddrPort // where it came from; zero through a proxy
}

// changes reads a REGISTER's Contact headers: add or refresh, expires=0
// removes one, "*" with Expires: 0 removes all.
func (r *registrar) changes(req *sip.Request) ([]change, error) {
	def := defaultExpires
	if h := req.GetHeader("Expires"); h != nil {
		n, err := strconv.Atoi(strings.TrimSpace(h.Value()))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad Expires %q", h.Value())
		}
		def = time.Duration(n) * time.Second
	}
	path, err := pathOf(req)
	if err != nil {
		return nil, err
	}
	src := sourceAddrPort(req)
	if len(path) > 0 {
		// Through a proxy: its address is that of every phone behind it
		// and must not make a call through it "from the registered phone".
		src = netip.AddrPort{}
	}
	var out []change
	for _, h := range req.GetHeaders("Contact") {
		v := strings.TrimSpace(h.Value())
		if v == "*" {
			if def != 0 {
				return nil, errors.New("a Contact of * needs Expires: 0")
			}
			out = append(out, change{all: true})
			continue
		}
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			return nil, fmt.Errorf("bad Contact %q", v)
		}
		expires := def
		if e, ok := c.Params.Get("expires"); ok {
			n, err := strconv.Atoi(e)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("bad expires %q", e)
			}
			expires = time.Duration(n) * time.Second
		}
		if expires > 0 {
			expires = min(max(expires, minExpires), maxExpires)
		}
		out = append(out, change{contact: c.Address.String(), expires: expires, path: path, source: src})
	}
	return out, nil
}

// apply makes the changes in the bindings and returns ext's bindings
// after them.
func (r *registrar) apply(ctx context.Context, ext string, list []change) ([]Binding, error) {
	now := r.clock()
	for _, c := range list {
		var err error
		switch {
		case c.all:
			err = r.bindings.Unbind(ctx, ext, "")
		case c.expires == 0:
			err = r.bindings.Unbind(ctx, ext, c.contact)
		default:
			err = r.bindings.Bind(ctx, Binding{AOR: ext, Contact: c.contact, Path: c.path, Source: c.source,
				Node: r.node, Expires: now.Add(c.expires)}, now)
		}
		if err != nil {
			return nil, err
		}
	}
	return r.bindings.Bound(ctx, ext, now)
}

// maxPath bounds the Path a binding keeps: one proxy adds one; a chain
// of more than a few is not a deployment ivrd is part of.
const maxPath = 4

// pathOf reads a REGISTER's Path headers (RFC 3327): each a SIP URI in
// angle brackets, one per header, as Kamailio adds them. They become the
// Route of every request to the contact, so one that does not parse as
// a Route is refused here, not when a call tries it.
func pathOf(req *sip.Request) ([]string, error) {
	hdrs := req.GetHeaders("Path")
	if len(hdrs) > maxPath {
		return nil, fmt.Errorf("more than %d Path headers", maxPath)
	}
	var out []string
	for _, h := range hdrs {
		v, err := checkPath(h.Value())
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// checkPath checks one Path value: <sip:...> with parameters, nothing
// else.
func checkPath(v string) (string, error) {
	v = strings.TrimSpace(v)
	end := strings.IndexByte(v, '>')
	if !strings.HasPrefix(v, "<") || end < 0 || strings.ContainsAny(v, ",\r\n") {
		return "", fmt.Errorf("bad Path %q: want one <sip:...> per header", v)
	}
	// Read as sipgo will read it in the Route of a request.
	probe := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", Host: "invalid"})
	probe.AppendHeader(sip.NewHeader("Route", v))
	if r := probe.Route(); r == nil || r.Address.Host == "" {
		return "", fmt.Errorf("bad Path %q: not a SIP URI", v)
	}
	return v, nil
}
