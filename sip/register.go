package sip

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Registration timing.
const (
	regTimeout     = 32 * time.Second // one REGISTER transaction (64*T1)
	regBackoffBase = 2 * time.Second  // first retry after a failure
	regBackoffMax  = 5 * time.Minute  // retries never wait longer
	regMaxExpires  = 24 * time.Hour   // a Min-Expires above this is refused
	regMax423      = 3                // 423s followed in a row before giving up the attempt
)

// registration keeps one trunk registered: REGISTER with digest
// authentication, refreshed before the registrar's binding expires, retried
// with jittered exponential back-off on failure, and removed (Expires: 0)
// when stopped. One goroutine runs it; its state is read under mu.
type registration struct {
	s           *Server
	trunk       string
	trunkURI    string
	cfg         Registration
	contactUser string
	callID      string
	fromTag     string
	cseq        uint32 // the loop goroutine's (and stop's after it ended)

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // the loop ended
	once   sync.Once
	ended  chan struct{} // stop finished (unregistered or given up)

	mu        sync.Mutex
	st        RegistrationState
	registrar netip.Addr // where the last accepted REGISTER was answered from
}

func (s *Server) newRegistration(tr Trunk) *registration {
	cfg := *tr.Registration
	if cfg.Registrar == "" {
		cfg.Registrar = tr.URI
	}
	r := &registration{s: s, trunk: tr.Name, trunkURI: tr.URI, cfg: *tr.Registration,
		contactUser: cfg.ContactUser, callID: sip.GenerateTagN(24) + "@ivrd", fromTag: sip.GenerateTagN(16),
		done: make(chan struct{}), ended: make(chan struct{})}
	if r.contactUser == "" {
		r.contactUser = cfg.Username
	}
	if r.contactUser == "" {
		r.contactUser = "ivrd"
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.st = RegistrationState{Trunk: tr.Name, Registrar: cfg.Registrar, Status: RegRegistering}
	return r
}

func (r *registration) start() { go r.run() }

// target is the registrar URI (no user part) and the transport to it.
func (r *registration) target() (sip.Uri, string, error) {
	reg := r.cfg.Registrar
	if reg == "" {
		reg = r.trunkURI
	}
	var u sip.Uri
	if err := sip.ParseUri(NormalizeURI(reg), &u); err != nil {
		return u, "", fmt.Errorf("registrar %q: %w", reg, err)
	}
	u.User = "" // RFC 3261 10.2: no userinfo in a REGISTER's Request-URI
	u.Password = ""
	network := strings.ToLower(r.cfg.Transport)
	if network == "" {
		network = transportOf(u)
	}
	if network != "udp" && network != "tcp" && network != "tls" {
		return u, "", fmt.Errorf("registrar %q: transport %q is not supported (udp, tcp, tls)", reg, network)
	}
	return u, network, nil
}

func (r *registration) run() {
	defer close(r.done)
	expires := r.cfg.Expires
	if expires <= 0 {
		expires = DefaultRegistrationExpires
	}
	failures, tooBrief := 0, 0
	for {
		res, granted, err := r.register(r.ctx, expires)
		if r.ctx.Err() != nil {
			return
		}
		var wait time.Duration
		var rerr *registerError
		switch {
		case err == nil:
			failures, tooBrief = 0, 0
			wait = refreshIn(granted)
			r.registered(res, granted, wait)
		case errors.As(err, &rerr) && rerr.code == 423 && rerr.minExpires > expires && rerr.minExpires <= regMaxExpires && tooBrief < regMax423:
			// 423 Interval Too Brief: ask again at once with the
			// registrar's Min-Expires (RFC 3261 10.2.8).
			tooBrief++
			r.s.log.Info("registration: registrar wants a longer interval", "trunk", r.trunk, "min_expires", rerr.minExpires.String())
			expires = rerr.minExpires
			continue
		default:
			failures++
			tooBrief = 0
			wait = backoff(failures)
			if rerr != nil && rerr.retryAfter > wait {
				wait = rerr.retryAfter
			}
			r.failed(err, failures, wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-r.ctx.Done():
			t.Stop()
			return
		}
	}
}

// refreshIn is when to refresh a binding granted for granted: between 80
// and 90 % of it (random, so that a fleet registered at once does not
// refresh at once), at least a second before it ends.
func refreshIn(granted time.Duration) time.Duration {
	d := time.Duration(float64(granted) * (0.8 + 0.1*rand.Float64()))
	return max(min(d, granted-time.Second), time.Second/2)
}

// backoff is the wait after the n-th failure in a row: doubling from
// regBackoffBase up to regBackoffMax, taken at random in its upper half
// (jitter: registrations that failed together retry apart).
func backoff(n int) time.Duration {
	d := regBackoffBase
	for i := 1; i < n && d < regBackoffMax; i++ {
		d *= 2
	}
	d = min(d, regBackoffMax)
	return d/2 + rand.N(d/2+1)
}

// registerError is a registrar's refusal.
type registerError struct {
	code       int
	reason     string
	minExpires time.Duration // 423's Min-Expires
	retryAfter time.Duration
	detail     string
}

func (e *registerError) Error() string {
	s := fmt.Sprintf("registrar answered %d %s", e.code, e.reason)
	if e.detail != "" {
		s += ": " + e.detail
	}
	return s
}

// register sends one REGISTER asking for expires (0: remove the binding)
// and answers a digest challenge. It returns the 2xx and the interval
// granted.
func (r *registration) register(ctx context.Context, expires time.Duration) (*sip.Response, time.Duration, error) {
	uri, network, err := r.target()
	if err != nil {
		return nil, 0, err
	}
	lst := r.s.listenerOf(network)
	if lst == nil {
		return nil, 0, fmt.Errorf("no %s listener: registering over %s needs one in server.sip.listen", network, network)
	}
	dest := peerHostPort(uri.HostPort(), network)
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: r.contactUser,
		Host: r.s.advertisedAddr(lst, dest).String(), Port: int(lst.addr.Port())}}
	if network != "udp" {
		contact.Address.UriParams = sip.NewParams()
		contact.Address.UriParams.Add("transport", network)
	}
	r.mu.Lock()
	r.st.Contact = contact.Address.String()
	r.mu.Unlock()

	aor := sip.Uri{Scheme: uri.Scheme, User: r.cfg.Username, Host: uri.Host}
	if aor.User == "" {
		aor.User = r.contactUser
	}
	req := sip.NewRequest(sip.REGISTER, uri)
	req.SetTransport(strings.ToUpper(network))
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", r.fromTag)
	callID := sip.CallIDHeader(r.callID)
	r.cseq++
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: r.cseq, MethodName: sip.REGISTER})
	req.AppendHeader(&contact)
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expires/time.Second))))
	req.AppendHeader(sip.NewHeader("Allow", allowHeader))

	ctx, cancel := context.WithTimeout(ctx, regTimeout)
	defer cancel()
	res, err := r.s.client.Do(ctx, req)
	if err != nil {
		return nil, 0, fmt.Errorf("no answer from %s: %w", uri.String(), err)
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		if r.cfg.Password == "" {
			return nil, 0, &registerError{code: res.StatusCode, reason: res.Reason, detail: "the registrar asks for a password and none is configured"}
		}
		res, err = r.s.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: r.cfg.Username, Password: r.cfg.Password})
		r.cseq = req.CSeq().SeqNo
		if err != nil {
			return nil, 0, fmt.Errorf("no answer from %s to the authenticated REGISTER: %w", uri.String(), err)
		}
		if res.StatusCode == 401 || res.StatusCode == 407 {
			return nil, 0, &registerError{code: res.StatusCode, reason: res.Reason, detail: "credentials refused (wrong username or password?)"}
		}
	}
	if !res.IsSuccess() {
		e := &registerError{code: res.StatusCode, reason: res.Reason}
		if h := res.GetHeader("Min-Expires"); h != nil {
			if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n > 0 {
				e.minExpires = time.Duration(n) * time.Second
			}
		}
		if h := res.GetHeader("Retry-After"); h != nil {
			v, _, _ := strings.Cut(h.Value(), ";")
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
				e.retryAfter = min(time.Duration(n)*time.Second, regBackoffMax)
			}
		}
		if e.code == 423 && e.minExpires == 0 {
			e.detail = "no usable Min-Expires header"
		}
		return nil, 0, e
	}
	return res, grantedExpires(res, contact, expires), nil
}

// grantedExpires is the interval the registrar granted our contact: its
// expires parameter in the answer's Contact, else the Expires header, else
// what was asked (RFC 3261 10.2.4).
func grantedExpires(res *sip.Response, ours sip.ContactHeader, asked time.Duration) time.Duration {
	for _, h := range res.GetHeaders("Contact") {
		var c sip.ContactHeader
		if _, err := sip.ParseAddressValue(h.Value(), &c.Address, &c.Params); err != nil {
			continue
		}
		if c.Address.User != ours.Address.User || c.Address.Port != ours.Address.Port || c.Address.Host != ours.Address.Host {
			continue
		}
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return asked
}

func (r *registration) registered(res *sip.Response, granted, next time.Duration) {
	now := time.Now()
	src := netip.Addr{}
	if host, _, err := net.SplitHostPort(res.Source()); err == nil {
		if a, err := netip.ParseAddr(host); err == nil {
			src = a.Unmap()
		}
	}
	r.mu.Lock()
	was := r.st.Status
	r.st.Status = RegRegistered
	r.st.LastCode = res.StatusCode
	r.st.LastError = ""
	r.st.Failures = 0
	r.st.Expires = now.Add(granted)
	r.st.NextAttempt = now.Add(next)
	r.registrar = src
	r.mu.Unlock()
	if was != RegRegistered {
		r.s.log.Info("registration: registered", "trunk", r.trunk, "registrar", r.st.Registrar, "expires", granted.String())
	}
}

func (r *registration) failed(err error, failures int, wait time.Duration) {
	now := time.Now()
	var rerr *registerError
	code := 0
	if errors.As(err, &rerr) {
		code = rerr.code
	}
	r.mu.Lock()
	was, wasErr := r.st.Status, r.st.LastError
	r.st.Status = RegFailed
	r.st.LastCode = code
	r.st.LastError = err.Error()
	r.st.Failures = failures
	r.st.NextAttempt = now.Add(wait)
	if !r.st.Expires.After(now) {
		r.st.Expires = time.Time{}
	}
	r.mu.Unlock()
	// Once per change, not per retry: a registrar down for an hour is
	// one line, not one a minute.
	if was != RegFailed || wasErr != err.Error() {
		r.s.log.Warn("registration: failed", "trunk", r.trunk, "err", err.Error(), "code", code, "retry_in", wait.Round(time.Second).String())
	}
}

// stop ends the loop and removes the binding if one may be live; every
// caller returns once that is done (or wait has passed).
func (r *registration) stop(wait time.Duration) {
	r.once.Do(func() {
		defer close(r.ended)
		r.cancel()
		<-r.done
		r.mu.Lock()
		live := !r.st.Expires.IsZero()
		r.mu.Unlock()
		var err error
		if live {
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			_, _, err = r.register(ctx, 0)
			cancel()
		}
		r.mu.Lock()
		r.st.Status = RegUnregistered
		r.st.Expires = time.Time{}
		r.st.NextAttempt = time.Time{}
		if err != nil {
			r.st.LastError = "unregister: " + err.Error()
		}
		r.mu.Unlock()
		if live {
			r.s.log.Info("registration: removed", "trunk", r.trunk, "err", errString(err))
		}
	})
	<-r.ended
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (r *registration) state() RegistrationState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st
}

// live: the registrar holds our contact now.
func (r *registration) live() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st.Expires.After(time.Now())
}

// liveFrom: live, and src is the registrar that accepted it.
func (r *registration) liveFrom(src netip.Addr) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.registrar.IsValid() && r.registrar == src && r.st.Expires.After(time.Now())
}
