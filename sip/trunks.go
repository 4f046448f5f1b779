package sip

import (
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Trunk is what the signalling layer needs of a trunk beyond the calls
// routed to it: how to check its certificate when ivrd connects to it over
// TLS, and the registration that makes it deliver calls to ivrd.
type Trunk struct {
	Name string
	// URI is the trunk's address; connections to its host use TLS below.
	URI string
	TLS TrunkTLS
	// Registration, when set, is kept registered with the trunk's
	// registrar (register.go).
	Registration *Registration
}

// TrunkTLS is how the certificate of a trunk's TLS server is checked. The
// zero value checks it against the system's trusted CAs and the URI host.
type TrunkTLS struct {
	// CAFile (PEM) replaces the system CAs for this trunk: pins it to its
	// own or a private CA.
	CAFile string
	// ServerName is the name the certificate must carry, when it is not
	// the URI host (a trunk addressed by IP with a named certificate).
	ServerName string
	// InsecureSkipVerify accepts any certificate: for a lab, never for a
	// trunk on the internet (the connection is then open to whoever sits
	// between).
	InsecureSkipVerify bool
}

// Registration is an outbound registration of a trunk.
type Registration struct {
	// Registrar is the URI REGISTER is sent to, e.g.
	// "sip:sip.provider.example" or "sips:sip.provider.example:5061".
	Registrar string
	// Username and Password answer the registrar's digest challenge; the
	// address of record is sip:Username@<registrar host>.
	Username, Password string
	// ContactUser is the user part of the Contact registered (default
	// Username): an INVITE whose Request-URI carries it is this trunk's.
	ContactUser string
	// Expires is the registration interval asked for (default 600 s); the
	// registrar may grant less, or ask for more (423).
	Expires time.Duration
	// Transport is "udp", "tcp" or "tls"; default: the registrar URI's.
	Transport string
}

// DefaultRegistrationExpires is the interval asked for when none is set.
const DefaultRegistrationExpires = 600 * time.Second

// RegistrationStatus is where a registration stands.
type RegistrationStatus string

// Registration statuses.
const (
	// RegRegistering: the first REGISTER is on its way.
	RegRegistering RegistrationStatus = "registering"
	// RegRegistered: the registrar accepted the contact; it is refreshed
	// before it expires.
	RegRegistered RegistrationStatus = "registered"
	// RegFailed: the last attempt failed; another follows at NextAttempt.
	RegFailed RegistrationStatus = "failed"
	// RegUnregistered: removed (Expires: 0) on drain or shutdown, or the
	// trunk no longer registers.
	RegUnregistered RegistrationStatus = "unregistered"
)

// RegistrationState is one trunk's registration as last seen.
type RegistrationState struct {
	Trunk     string
	Registrar string
	// Contact is the contact registered (ours).
	Contact string
	Status  RegistrationStatus
	// LastCode is the status code of the registrar's last final answer
	// (0: none, as after a timeout).
	LastCode int
	// LastError says why the last attempt failed ("" after a success).
	LastError string
	// NextAttempt is when the next REGISTER goes (refresh or retry).
	NextAttempt time.Time
	// Expires is when the registrar drops the binding unless refreshed
	// (zero when not registered).
	Expires time.Time
	// Failures counts attempts failed in a row.
	Failures int
}

// trunkTable holds the trunks the server was last given and their
// running registrations.
type trunkTable struct {
	mu      sync.Mutex
	trunks  []Trunk
	regs    map[string]*registration // by trunk name
	stopped bool                     // drained or closed: no new registrations
}

func newTrunkTable() *trunkTable { return &trunkTable{regs: map[string]*registration{}} }

// SetTrunks replaces the trunks (at start and on each configuration
// reload): registrations of trunks gone or changed are removed (Expires:
// 0), new or changed ones start. A registration whose settings did not
// change goes on untouched.
func (s *Server) SetTrunks(trunks []Trunk) {
	t := s.trunk
	t.mu.Lock()
	t.trunks = slices.Clone(trunks)
	if t.stopped {
		t.mu.Unlock()
		return
	}
	want := map[string]Trunk{}
	for _, tr := range trunks {
		if tr.Registration != nil {
			want[tr.Name] = tr
		}
	}
	var stop []*registration
	for name, r := range t.regs {
		if tr, ok := want[name]; !ok || *tr.Registration != r.cfg || tr.URI != r.trunkURI {
			stop = append(stop, r)
			delete(t.regs, name)
		}
	}
	var start []*registration
	for name, tr := range want {
		if _, ok := t.regs[name]; ok {
			continue
		}
		r := s.newRegistration(tr)
		t.regs[name] = r
		start = append(start, r)
	}
	t.mu.Unlock()
	for _, r := range stop {
		go r.stop(unregisterWait)
	}
	for _, r := range start {
		r.start()
	}
}

// Registrations are the trunks' registrations, by trunk name.
func (s *Server) Registrations() []RegistrationState {
	t := s.trunk
	t.mu.Lock()
	regs := make([]*registration, 0, len(t.regs))
	for _, r := range t.regs {
		regs = append(regs, r)
	}
	t.mu.Unlock()
	out := make([]RegistrationState, 0, len(regs))
	for _, r := range regs {
		out = append(out, r.state())
	}
	slices.SortFunc(out, func(a, b RegistrationState) int { return strings.Compare(a.Trunk, b.Trunk) })
	return out
}

// stopRegistrations removes every registration (Expires: 0), waiting at
// most wait for the registrars' answers; none start after it.
func (s *Server) stopRegistrations(wait time.Duration) {
	t := s.trunk
	t.mu.Lock()
	t.stopped = true
	regs := make([]*registration, 0, len(t.regs))
	for _, r := range t.regs {
		regs = append(regs, r)
	}
	t.mu.Unlock()
	var wg sync.WaitGroup
	for _, r := range regs {
		wg.Go(func() { r.stop(wait) })
	}
	wg.Wait()
}

// unregisterWait bounds the wait for a registrar's answer to Expires: 0.
const unregisterWait = 2 * time.Second

// tlsFor is the TLS settings of the trunk whose URI or registrar has host.
func (s *Server) tlsFor(host string) (TrunkTLS, bool) {
	t := s.trunk
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, tr := range t.trunks {
		if uriHost(tr.URI) == host || (tr.Registration != nil && uriHost(tr.Registration.Registrar) == host) {
			return tr.TLS, true
		}
	}
	return TrunkTLS{}, false
}

// uriHost is the host of a SIP URI ("" when it does not parse).
func uriHost(s string) string {
	var u sip.Uri
	if s == "" || sip.ParseUri(NormalizeURI(s), &u) != nil {
		return ""
	}
	return strings.Trim(u.Host, "[]")
}

// admitSource is Config.Admit with the registrars' addresses added: a
// registrar delivering calls on its registration is a trunk too, so the
// per-source limits do not apply to it.
func (s *Server) admitSource(src netip.Addr) (string, bool) {
	if name := s.registrarTrunk(src); name != "" {
		return name, true
	}
	if s.cfg.Admit == nil {
		return "", true
	}
	return s.cfg.Admit(src)
}

// registrarTrunk is the trunk whose registration is live with a registrar
// at src ("" for none).
func (s *Server) registrarTrunk(src netip.Addr) string {
	t := s.trunk
	t.mu.Lock()
	defer t.mu.Unlock()
	for name, r := range t.regs {
		if r.liveFrom(src) {
			return name
		}
	}
	return ""
}

// admitInvite decides on a new call and names its trunk. A call to the
// contact user of a live registration is that trunk's when it comes from
// the registrar or from a source the configuration admits anyway
// (inbound_from, or an open server): a registration never opens ivrd to
// sources that are otherwise refused. Other calls are admitted by their
// source alone.
func (s *Server) admitInvite(req *sip.Request) (string, bool) {
	srcPort, _ := netip.ParseAddrPort(req.Source())
	src := srcPort.Addr().Unmap()
	user := req.Recipient.User
	t := s.trunk
	t.mu.Lock()
	var byUser *registration
	for _, r := range t.regs {
		if user != "" && r.contactUser == user && r.live() {
			byUser = r
			break
		}
	}
	t.mu.Unlock()
	if byUser != nil {
		if byUser.liveFrom(src) {
			return byUser.trunk, true
		}
		if _, ok := s.sourceAdmitted(src); ok {
			return byUser.trunk, true
		}
		return "", false
	}
	if name := s.registrarTrunk(src); name != "" {
		return name, true
	}
	return s.sourceAdmitted(src)
}

func (s *Server) sourceAdmitted(src netip.Addr) (string, bool) {
	if s.cfg.Admit == nil {
		return "", true
	}
	return s.cfg.Admit(src)
}
