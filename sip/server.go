package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/ivrd/ivrd/media"
)

// Handler receives answered calls. sip knows nothing of what it does.
type Handler interface {
	// Route reports whether a dialled number (Request-URI user) reaches
	// something; an INVITE for a number that does not gets 404.
	Route(dialled string) bool
	// Serve runs one answered call in its own goroutine. ctx ends when the
	// call does. Serve should return once the call is over.
	Serve(ctx context.Context, c *Call)
}

// Allowed methods and accepted bodies, advertised in OPTIONS and 2xx.
const (
	allowHeader  = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, NOTIFY, REFER, REGISTER"
	acceptHeader = "application/sdp, application/dtmf-relay, application/dtmf, message/sipfrag"
	supported    = "timer, replaces"
)

// listener is one bound SIP transport.
type listener struct {
	network string // "udp" / "tcp" / "tls"
	addr    netip.AddrPort
	// udpLocal is a UDP listener's socket address as sipgo's pool knows
	// it: requests given it as their local address leave from this
	// socket (outbound.go).
	udpLocal sip.Addr
	closer   interface{ Close() error }
	dlgUA    *sipgo.DialogUA
	// dlgUAProxied serves INVITEs a proxy forwarded without
	// record-routing (proxy.go).
	dlgUAProxied *sipgo.DialogUA
}

// Server answers calls on its listeners.
type Server struct {
	cfg     Config
	log     *slog.Logger
	badLog  *slog.Logger // for bad input from the network: rate-limited
	engine  *media.Engine
	handler Handler

	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	client *sipgo.Client

	mu        sync.Mutex
	listeners []*listener
	dialogs   map[string]dialog // callers' calls and bridges' outbound legs, by dialog id
	reg       *registrar
	limits    *limiter // per-source limits (limits.go)
	wg        sync.WaitGroup
	closed    bool
	draining  atomic.Bool // new calls refused, OPTIONS 503: the node is leaving

	tls   *tlsState   // certificate of tls:// and wss:// listeners, outbound TLS dials (tls.go)
	ws    wsCounters  // WebSocket upgrades refused, connections closed (websocket.go)
	trunk *trunkTable // trunks' TLS settings and registrations (trunks.go)
}

// NewServer prepares a server; Start binds it.
func NewServer(cfg Config, engine *media.Engine, h Handler, log *slog.Logger) (*Server, error) {
	cfg.defaults()
	if log == nil {
		log = slog.Default()
	}
	log = safeLogger(log) // network strings cut, keys once (logsafe.go)
	quietLibrary(log)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(cfg.UserAgent), sipgo.WithUserAgenTLSConfig(outboundTLSDefault()))
	if err != nil {
		return nil, fmt.Errorf("sip: user agent: %w", err)
	}
	libLog := slog.New(minLevel{newRateLimited(log.Handler(), badInputBurst, badInputWindow), slog.LevelWarn}).With("component", "sipgo")
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(libLog))
	if err != nil {
		return nil, fmt.Errorf("sip: server: %w", err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(libLog))
	if err != nil {
		return nil, fmt.Errorf("sip: client: %w", err)
	}
	s := &Server{cfg: cfg, log: log, engine: engine, handler: h,
		ua: ua, srv: srv, client: client, dialogs: map[string]dialog{}, reg: newRegistrar(cfg.Bindings, cfg.Node)}
	s.tls = newTLSState(cfg.TLS)
	s.trunk = newTrunkTable()
	// Every request leaves through one door (outbound.go).
	client.TxRequester = outbound{s}
	s.badLog = slog.New(newRateLimited(log.Handler(), badInputBurst, badInputWindow))
	s.limits = newLimiter(cfg.Limits, s.admitSource) // limits.go; trunks.go
	s.handler = countCalls(s.handler, s.limits)      // gate.go
	srv.OnCancel(s.checked(s.onCancel))              // gate.go: 481
	srv.OnInvite(s.checked(s.onInvite))
	srv.OnAck(s.checked(s.onAck))
	srv.OnBye(s.checked(s.onBye))
	srv.OnOptions(s.checked(s.onOptions))
	srv.OnInfo(s.checked(s.onInfo))
	srv.OnUpdate(s.checked(s.onUpdate))
	srv.OnNotify(s.checked(s.onNotify))
	srv.OnRefer(s.checked(s.onRefer))
	srv.OnRegister(s.checked(s.onRegister))
	srv.OnNoRoute(s.checked(s.onNoRoute))
	return s, nil
}

// checked answers 400, naming the header, to a request without one RFC
// 3261 (8.1.1) makes mandatory, before any handler sees it; an ACK, which
// gets no response, is dropped. A handler that panics gets the request a
// 500 and a logged stack instead of ending the process.
func (s *Server) checked(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		defer func() {
			// A bug met by one request must not take the server down.
			if p := recover(); p != nil {
				s.log.Error("sip: request handler panicked", "method", string(req.Method), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if req.Method != sip.ACK {
					s.respond(tx, req, 500, "Server Internal Error", nil)
				}
			}
		}()
		missing := ""
		switch {
		case req.From() == nil:
			missing = "From"
		case req.To() == nil:
			missing = "To"
		case req.CallID() == nil:
			missing = "Call-ID"
		case req.CSeq() == nil:
			missing = "CSeq"
		}
		if missing == "" {
			s.gate(req, tx, h) // gate.go: version, per-source limits
			return
		}
		s.badLog.Warn("sip: request without a "+missing+" header rejected", "method", string(req.Method), "from", req.Source())
		if req.Method != sip.ACK {
			s.respond(tx, req, 400, "Missing "+missing+" Header", nil,
				sip.NewHeader("Warning", fmt.Sprintf("399 ivrd \"no %s header\"", missing)))
		}
	}
}

// Start binds every listener; it returns once they are ready to serve.
func (s *Server) Start(ctx context.Context) error {
	if len(s.cfg.Listen) == 0 {
		return errors.New("sip: no listen address")
	}
	var specs []listenSpec
	for _, l := range s.cfg.Listen {
		spec, err := parseListen(l)
		if err != nil {
			return fmt.Errorf("sip: %w", err)
		}
		specs = append(specs, spec)
		if (spec.network == "tls" || spec.network == "wss") && !s.tls.loaded() {
			// Before anything is bound: a bad or expired certificate is
			// a start-up error, not a failed handshake per caller.
			if err := s.tls.load(); err != nil {
				return fmt.Errorf("sip: %s: %w", l, err)
			}
		}
	}
	for _, spec := range specs {
		if err := s.bind(spec); err != nil {
			_ = s.Close() // the listeners bound so far; the bind error is the one to report
			return err
		}
	}
	s.startDialer() // tls.go: outbound TLS connections handed to sipgo
	s.SetTrunks(s.cfg.Trunks)
	return nil
}

func (s *Server) bind(spec listenSpec) error {
	lst := &listener{network: spec.network}
	switch spec.network {
	case "udp":
		pc, err := net.ListenPacket("udp", spec.addr.String())
		if err != nil {
			return fmt.Errorf("sip: listen udp %s: %w", spec.addr, err)
		}
		ua := pc.LocalAddr().(*net.UDPAddr)
		lst.addr = ua.AddrPort()
		lst.udpLocal = sip.Addr{IP: ua.IP, Port: ua.Port, Hostname: ua.IP.String()}
		lst.closer = pc
		guarded := s.guardUDP(pc) // udpguard.go
		// In sipgo's pool now, not when its serve loop gets going: a
		// request sent at once (a registration) leaves from this socket
		// too. The loop files its own entry for the same socket.
		s.ua.TransportLayer().Pool("udp").Add(lst.udpLocal.String(),
			&sip.UDPConnection{PacketConn: guarded, PacketAddr: guarded.LocalAddr().String(), Listener: true})
		go s.serve("udp", func() error { return s.srv.ServeUDP(guarded) })
	case "tcp":
		ln, err := net.Listen("tcp", spec.addr.String())
		if err != nil {
			return fmt.Errorf("sip: listen tcp %s: %w", spec.addr, err)
		}
		lst.addr = ln.Addr().(*net.TCPAddr).AddrPort()
		lst.closer = ln
		go s.serve("tcp", func() error { return s.srv.ServeTCP(s.guardTCP(ln)) }) // tcpguard.go
	case "tls":
		ln, err := net.Listen("tcp", spec.addr.String())
		if err != nil {
			return fmt.Errorf("sip: listen tls %s: %w", spec.addr, err)
		}
		lst.addr = ln.Addr().(*net.TCPAddr).AddrPort()
		tl := s.listenTLS(ln) // tls.go: handshakes under the TCP guard
		lst.closer = tl
		go s.serve("tls", func() error { return s.srv.ServeTLS(tl) })
	case "ws", "wss":
		ln, err := net.Listen("tcp", spec.addr.String())
		if err != nil {
			return fmt.Errorf("sip: listen %s %s: %w", spec.network, spec.addr, err)
		}
		lst.addr = ln.Addr().(*net.TCPAddr).AddrPort()
		wl := s.listenWS(ln, spec.network == "wss") // websocket.go: upgrades checked under the TCP guard
		lst.closer = wl
		if spec.network == "ws" {
			go s.serve("ws", func() error { return s.srv.ServeWS(wl) })
		} else {
			go s.serve("wss", func() error { return s.srv.ServeWSS(wl) })
		}
	}
	lst.addr = netip.AddrPortFrom(lst.addr.Addr().Unmap(), lst.addr.Port())
	lst.dlgUA = &sipgo.DialogUA{Client: s.client, ContactHDR: s.contactFor(lst, lst.addr.Addr()), RewriteContact: true}
	lst.dlgUAProxied = &sipgo.DialogUA{Client: s.client, ContactHDR: s.contactFor(lst, lst.addr.Addr())}
	s.mu.Lock()
	s.listeners = append(s.listeners, lst)
	s.mu.Unlock()
	s.log.Info("listening", "transport", spec.network, "addr", lst.addr.String())
	return nil
}

// serve runs one listener's loop; its end is only news when the server
// was not closing it.
func (s *Server) serve(network string, loop func() error) {
	err := loop()
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if err != nil && !closed && !errors.Is(err, net.ErrClosed) {
		s.log.Error("sip: listener stopped", "transport", network, "err", err)
	}
}

// Addr is the bound address of the first listener of a transport.
func (s *Server) Addr(network string) netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.listeners {
		if l.network == network {
			return l.addr
		}
	}
	return netip.AddrPort{}
}

// ActiveCalls counts calls in progress.
func (s *Server) ActiveCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, d := range s.dialogs {
		if _, ok := d.(*Call); ok {
			n++
		}
	}
	return n
}

// Close hangs up every call and stops listening.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	// Registrations end first (REGISTER with Expires: 0), while the
	// listeners can still carry the requests and their answers.
	s.stopRegistrations(unregisterWait)
	s.mu.Lock()
	var calls []*Call
	for _, d := range s.dialogs {
		if c, ok := d.(*Call); ok {
			calls = append(calls, c)
		}
	}
	s.mu.Unlock()
	// All at once: a thousand calls must not take a thousand BYE round
	// trips (or timeouts) to shut down.
	var byes sync.WaitGroup
	for _, c := range calls {
		byes.Go(func() { c.hangup(EndShutdown, shutdownByeWait) })
	}
	byes.Wait()
	s.wg.Wait()
	s.mu.Lock()
	for _, l := range s.listeners {
		_ = l.closer.Close() // stops its serve loop; the process is shutting the listener down
	}
	s.mu.Unlock()
	s.tls.closeDialer()
	return s.ua.Close()
}

// shutdownByeWait is how long Close waits for the answers to its BYEs.
const shutdownByeWait = 2 * time.Second

// listenerFor finds the listener a request arrived on, by transport.
func (s *Server) listenerFor(req *sip.Request) *listener {
	network := strings.ToLower(req.Transport())
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.listeners {
		if l.network == network {
			return l
		}
	}
	if len(s.listeners) > 0 {
		return s.listeners[0]
	}
	return nil
}

// advertisedAddr is the IP we put in Contact and SDP for a peer: the
// configured external address, the listener's own address, or, for a
// wildcard listener, the local address the kernel routes to the peer by.
func (s *Server) advertisedAddr(lst *listener, peer string) netip.Addr {
	if s.cfg.ExternalAddr != "" {
		if a, err := netip.ParseAddr(s.cfg.ExternalAddr); err == nil {
			return a
		}
	}
	if a := lst.addr.Addr(); !a.IsUnspecified() {
		return a
	}
	if host, _, err := net.SplitHostPort(peer); err == nil {
		if conn, err := net.Dial("udp", net.JoinHostPort(host, "9")); err == nil {
			defer conn.Close()
			return conn.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
		}
	}
	return netip.MustParseAddr("127.0.0.1")
}

func (s *Server) contactFor(lst *listener, ip netip.Addr) sip.ContactHeader {
	host := ip.String()
	if s.cfg.ExternalAddr != "" {
		host = s.cfg.ExternalAddr
	}
	c := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "ivrd", Host: host, Port: int(lst.addr.Port())}}
	if lst.network != "udp" {
		c.Address.UriParams = sip.NewParams()
		c.Address.UriParams.Add("transport", lst.network)
	}
	return c
}

// dialog is one SIP dialog ivrd is in: a caller's call (ivrd is the UAS)
// or a bridge's outbound leg (ivrd is the UAC). In-dialog requests find
// theirs in one registry, whichever side they come from.
type dialog interface {
	onReinvite(req *sip.Request, tx sip.ServerTransaction)
	onAck(req *sip.Request, tx sip.ServerTransaction)
	onBye(req *sip.Request, tx sip.ServerTransaction)
}

// remember registers a dialog; false once the server is closing.
func (s *Server) remember(id string, d dialog) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.dialogs[id] = d
	return true
}

func (s *Server) forget(id string) {
	s.mu.Lock()
	delete(s.dialogs, id)
	s.mu.Unlock()
}

// dialogFor finds the dialog an in-dialog request belongs to: a caller's
// (ids as the UAS sees them) or a far end's (as the UAC sees them).
func (s *Server) dialogFor(req *sip.Request) dialog {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, err := sip.DialogIDFromRequestUAS(req); err == nil {
		if d, ok := s.dialogs[id]; ok {
			return d
		}
	}
	if id, err := sip.DialogIDFromRequestUAC(req); err == nil {
		if d, ok := s.dialogs[id]; ok {
			return d
		}
	}
	return nil
}

// callFor finds the caller's call an in-dialog request belongs to (nil
// for a far end's request or none).
func (s *Server) callFor(req *sip.Request) *Call {
	c, _ := s.dialogFor(req).(*Call)
	return c
}

// respond writes a response built from req, logging a failure to send.
func (s *Server) respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, body []byte, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, body)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	s.sent(string(req.Method), code)
	if err := tx.Respond(res); err != nil {
		s.log.Warn("sip: send response failed", "code", code, "method", string(req.Method), "err", err)
	}
}

// Drain stops taking calls: new INVITEs and OPTIONS get 503 with
// Retry-After (a proxy's dispatcher sends its calls elsewhere), trunk
// registrations are removed, calls in progress go on. Close ends those.
func (s *Server) Drain() {
	if !s.draining.Swap(true) {
		s.log.Info("draining: no new calls", "calls", s.ActiveCalls())
		// The providers stop sending calls here too (Expires: 0); Close
		// waits for it.
		go s.stopRegistrations(unregisterWait)
	}
}

// refusing is Config.Refuse's answer (nil without one).
func (s *Server) refusing() error {
	if s.cfg.Refuse == nil {
		return nil
	}
	return s.cfg.Refuse()
}

// Draining reports whether Drain was called.
func (s *Server) Draining() bool { return s.draining.Load() }

func (s *Server) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	if s.draining.Load() {
		code, reason, hdrs := rejection(ErrDraining)
		s.respond(tx, req, code, reason, nil, hdrs...)
		return
	}
	// No free RTP port: a new call would get 503, so the health check
	// says so too and a proxy's dispatcher (OPTIONS probing) sends the
	// next calls to another node until one ends here.
	if s.engine != nil && s.engine.Full() {
		code, reason, hdrs := rejection(media.ErrNoPorts)
		s.respond(tx, req, code, reason, nil, hdrs...)
		return
	}
	if s.engine != nil && s.engine.Overloaded() {
		code, reason, hdrs := rejection(ErrOverloaded)
		s.respond(tx, req, code, reason, nil, hdrs...)
		return
	}
	if err := s.refusing(); err != nil {
		code, reason, hdrs := rejection(err)
		s.respond(tx, req, code, reason, nil, hdrs...)
		return
	}
	s.respond(tx, req, 200, "OK", nil,
		sip.NewHeader("Allow", allowHeader),
		sip.NewHeader("Accept", acceptHeader),
		sip.NewHeader("Supported", supported))
}

func (s *Server) onNoRoute(req *sip.Request, tx sip.ServerTransaction) {
	s.respond(tx, req, 405, "Method Not Allowed", nil, sip.NewHeader("Allow", allowHeader))
}

func (s *Server) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	// A caller asking ivrd itself to transfer: not something an IVR does.
	if s.callFor(req) == nil {
		s.respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
		return
	}
	s.respond(tx, req, 403, "Forbidden", nil)
}
