package sip

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
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
	// A source that fails this many times within failWindow is refused
	// without a challenge until the window passes: password guessing.
	maxFailures = 5
	failWindow  = time.Minute
	realm       = "ivrd"
)

type binding struct {
	contact string
	expires time.Time
}

// registrar keeps the contacts of extensions that REGISTER with digest
// authentication.
type registrar struct {
	mu       sync.Mutex
	bindings map[string][]binding   // by extension
	nonces   map[string]time.Time   // issued nonce -> expiry
	failures map[string][]time.Time // by source IP
	now      func() time.Time
}

func newRegistrar() *registrar {
	return &registrar{bindings: map[string][]binding{}, nonces: map[string]time.Time{}, failures: map[string][]time.Time{}, now: time.Now}
}

// Contacts are an extension's registered, unexpired contacts.
func (s *Server) Contacts(ext string) []string {
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, b := range r.bindings[ext] {
		if b.expires.After(r.now()) {
			out = append(out, b.contact)
		}
	}
	return out
}

func newNonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (r *registrar) throttled(ip string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	cut := r.now().Add(-failWindow)
	recent := r.failures[ip][:0]
	for _, t := range r.failures[ip] {
		if t.After(cut) {
			recent = append(recent, t)
		}
	}
	r.failures[ip] = recent
	return len(recent) >= maxFailures
}

func (r *registrar) fail(ip string) {
	r.mu.Lock()
	r.failures[ip] = append(r.failures[ip], r.now())
	r.mu.Unlock()
}

func (s *Server) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	r := s.reg
	to := req.To()
	if to == nil || s.cfg.Credentials == nil {
		s.respond(tx, req, 404, "Not Found", nil)
		return
	}
	ext := to.Address.User
	password, ok := s.cfg.Credentials(ext)
	if !ok {
		s.respond(tx, req, 404, "Not Found", nil)
		return
	}
	ip, _, _ := net.SplitHostPort(req.Source())
	log := s.log.With("extension", ext, "source", req.Source())
	if r.throttled(ip) {
		log.Warn("register refused: too many failures from this address")
		s.respond(tx, req, 403, "Forbidden", nil, sip.NewHeader("Retry-After", strconv.Itoa(int(failWindow/time.Second))))
		return
	}
	h := req.GetHeader("Authorization")
	if h == nil {
		s.challenge(tx, req, false)
		return
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil {
		r.fail(ip)
		s.respond(tx, req, 400, "Bad Authorization", nil)
		return
	}
	r.mu.Lock()
	exp, known := r.nonces[cred.Nonce]
	r.mu.Unlock()
	if !known || exp.Before(r.now()) {
		s.challenge(tx, req, true) // an old nonce: ask again, no failure
		return
	}
	chal := &digest.Challenge{Realm: realm, Nonce: cred.Nonce, Algorithm: "MD5", QOP: qopOf(cred)}
	want, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: cred.URI, Username: ext, Password: password,
		Cnonce: cred.Cnonce, Count: cred.Nc})
	if err != nil || cred.Username != ext || want.Response != cred.Response {
		r.fail(ip)
		log.Warn("register refused: wrong credentials", "code", 403)
		s.respond(tx, req, 403, "Forbidden", nil)
		return
	}
	if err := r.update(ext, req); err != nil {
		s.respond(tx, req, 400, "Bad Request", nil, sip.NewHeader("Warning", fmt.Sprintf("399 ivrd %q", err.Error())))
		return
	}
	contacts := s.Contacts(ext)
	hdrs := make([]sip.Header, 0, len(contacts))
	r.mu.Lock()
	for _, b := range r.bindings[ext] {
		left := int(b.expires.Sub(r.now()) / time.Second)
		hdrs = append(hdrs, sip.NewHeader("Contact", fmt.Sprintf("<%s>;expires=%d", b.contact, left)))
	}
	r.mu.Unlock()
	log.Info("registered", "contacts", len(contacts))
	s.respond(tx, req, 200, "OK", nil, hdrs...)
}

func qopOf(c *digest.Credentials) []string {
	if c.QOP == "" {
		return nil
	}
	return []string{c.QOP}
}

func (s *Server) challenge(tx sip.ServerTransaction, req *sip.Request, stale bool) {
	n := newNonce()
	s.reg.mu.Lock()
	for k, exp := range s.reg.nonces {
		if exp.Before(s.reg.now()) {
			delete(s.reg.nonces, k)
		}
	}
	s.reg.nonces[n] = s.reg.now().Add(nonceLife)
	s.reg.mu.Unlock()
	v := fmt.Sprintf(`Digest realm="%s", nonce="%s", algorithm=MD5`, realm, n)
	if stale {
		v += ", stale=true"
	}
	s.respond(tx, req, 401, "Unauthorized", nil, sip.NewHeader("WWW-Authenticate", v))
}

// update applies a REGISTER's Contact headers: add or refresh, expires=0
// removes one, "*" with Expires: 0 removes all.
func (r *registrar) update(ext string, req *sip.Request) error {
	def := defaultExpires
	if h := req.GetHeader("Expires"); h != nil {
		n, err := strconv.Atoi(strings.TrimSpace(h.Value()))
		if err != nil || n < 0 {
			return fmt.Errorf("bad Expires %q", h.Value())
		}
		def = time.Duration(n) * time.Second
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	for _, h := range req.GetHeaders("Contact") {
		v := strings.TrimSpace(h.Value())
		if v == "*" {
			if def != 0 {
				return errors.New("contact * needs Expires: 0")
			}
			delete(r.bindings, ext)
			continue
		}
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			return fmt.Errorf("bad Contact %q", v)
		}
		expires := def
		if e, ok := c.Params.Get("expires"); ok {
			n, err := strconv.Atoi(e)
			if err != nil || n < 0 {
				return fmt.Errorf("bad expires %q", e)
			}
			expires = time.Duration(n) * time.Second
		}
		if expires > 0 {
			expires = min(max(expires, minExpires), maxExpires)
		}
		uri := c.Address.String()
		list := r.bindings[ext][:0:0]
		for _, b := range r.bindings[ext] {
			if b.contact != uri && b.expires.After(now) {
				list = append(list, b)
			}
		}
		if expires > 0 {
			list = append(list, binding{contact: uri, expires: now.Add(expires)})
		}
		r.bindings[ext] = list
	}
	return nil
}
