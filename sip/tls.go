package sip

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
)

// TLSFiles are the PEM certificate (chain) and key of tls:// listeners.
type TLSFiles struct {
	CertFile, KeyFile string
}

// tlsState is the listeners' certificate, swapped whole on Reload (a
// handshake in progress keeps the one it started with, connections up
// keep theirs), the handshake failures seen, and the hand-off of the
// outbound connections ivrd dials itself.
type tlsState struct {
	files TLSFiles
	cert  atomic.Pointer[tls.Certificate]

	failures atomic.Uint64
	mu       sync.Mutex
	logged   map[netip.Addr]bool // sources whose failed handshake was logged

	dialMu  sync.Mutex
	dialing map[string]*sync.Mutex // per destination: one dial at a time
	dialer  *dialedListener
}

// tlsLoggedMax bounds the sources remembered as logged; past it the set
// starts again (a source may then be logged twice).
const tlsLoggedMax = 4096

func newTLSState(f TLSFiles) *tlsState {
	return &tlsState{files: f, logged: map[netip.Addr]bool{}, dialing: map[string]*sync.Mutex{}}
}

func (t *tlsState) loaded() bool { return t.cert.Load() != nil }

// load reads, checks and installs the certificate and key.
func (t *tlsState) load() error {
	c, err := loadCertificate(t.files, time.Now())
	if err != nil {
		return err
	}
	t.cert.Store(c)
	return nil
}

// loadCertificate reads a certificate and its key and refuses what no
// client would accept: a missing file, a key that is not the
// certificate's, a certificate expired or not yet valid.
func loadCertificate(f TLSFiles, now time.Time) (*tls.Certificate, error) {
	if f.CertFile == "" || f.KeyFile == "" {
		return nil, errors.New("tls needs a certificate and a key file (server.sip.tls.cert and key)")
	}
	c, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls certificate %s / key %s: %w", f.CertFile, f.KeyFile, err)
	}
	leaf := c.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return nil, fmt.Errorf("tls certificate %s: %w", f.CertFile, err)
		}
	}
	switch {
	case now.After(leaf.NotAfter):
		return nil, fmt.Errorf("tls certificate %s expired on %s", f.CertFile, leaf.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(leaf.NotBefore):
		return nil, fmt.Errorf("tls certificate %s is not valid before %s", f.CertFile, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	return &c, nil
}

// ReloadTLS reads the certificate and key files again (on SIGHUP, after
// a renewal). New handshakes use the new certificate; calls and the
// connections they run on are not touched. On an error the certificate
// in use stays.
func (s *Server) ReloadTLS() error {
	if !s.tls.loaded() {
		return nil // no tls:// listener
	}
	if err := s.tls.load(); err != nil {
		return fmt.Errorf("sip: reload: %w", err)
	}
	s.log.Info("tls certificate reloaded", "cert", s.tls.files.CertFile)
	return nil
}

// TLSHandshakeFailures counts inbound TLS handshakes that failed or never
// finished.
func (s *Server) TLSHandshakeFailures() uint64 { return s.tls.failures.Load() }

// serverTLSConfig is the listeners': TLS 1.2 at least, the current
// certificate at each handshake.
func (t *tlsState) serverTLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return t.cert.Load(), nil
		},
	}
}

// outboundTLSDefault is sipgo's own dial configuration, for a TLS
// connection not made in tlsPrepare: verified against the system CAs.
func outboundTLSDefault() *tls.Config { return &tls.Config{MinVersion: tls.VersionTLS12} }

// tlsListener serves a tls:// listener. Connections are counted against
// their source's limit as they are accepted, and each handshake runs on
// its own goroutine under the TCP guard's message timeout: one client
// that never finishes its handshake neither holds up the others nor stays
// past the timeout. sipgo is given connections already through the
// handshake, wrapped in the TCP guard (tcpguard.go).
type tlsListener struct {
	net.Listener
	srv   *Server
	guard *tcpGuard
	cfg   *tls.Config // nil: a plain ws:// listener (no TLS, only the upgrade check)
	// wrap gives sipgo the connection through its handshake: under the
	// TCP guard, or refused (nil, closed and uncounted already).
	wrap  func(c net.Conn, src netip.Addr) net.Conn
	ready chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (s *Server) listenTLS(ln net.Listener) *tlsListener {
	l := &tlsListener{Listener: ln, srv: s, guard: s.guardTCP(ln).(*tcpGuard), cfg: s.tls.serverTLSConfig(),
		ready: make(chan net.Conn), done: make(chan struct{})}
	lim := s.limits.cfg
	l.wrap = func(c net.Conn, src netip.Addr) net.Conn {
		return &guardedConn{Conn: c, guard: l.guard, src: src, message: lim.TCPMessageTimeout, idle: lim.TCPIdleTimeout}
	}
	go l.acceptLoop()
	return l
}

// listenWS serves a ws:// (secure false) or wss:// listener: TLS as on
// tls://, then the upgrade request checked (websocket.go), each on the
// connection's own goroutine.
func (s *Server) listenWS(ln net.Listener, secure bool) *tlsListener {
	l := &tlsListener{Listener: ln, srv: s, guard: s.guardTCP(ln).(*tcpGuard),
		ready: make(chan net.Conn), done: make(chan struct{})}
	if secure {
		l.cfg = s.tls.serverTLSConfig()
	}
	l.wrap = func(c net.Conn, src netip.Addr) net.Conn { return s.wsUpgrade(c, src, l.guard) }
	go l.acceptLoop()
	return l
}

func (l *tlsListener) acceptLoop() {
	lim := l.srv.limits.cfg
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			l.shut()
			return
		}
		src := sourceOf(c.RemoteAddr())
		if !l.guard.admit(src, lim.TCPConnections) {
			l.srv.badLog.Warn("sip: tls connection refused: source has too many open", "source", src.String(), "limit", lim.TCPConnections)
			_ = c.Close() // refused before a byte was read
			continue
		}
		go l.handshake(c, src)
	}
}

func (l *tlsListener) handshake(c net.Conn, src netip.Addr) {
	lim := l.srv.limits.cfg
	timeout := lim.TCPMessageTimeout
	if timeout <= 0 {
		timeout = defaultTCPMessageTimeout
	}
	conn := c
	if l.cfg != nil {
		tc := tls.Server(c, l.cfg)
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			l.srv.tlsFailed(src, err)
			_ = c.Close() // the handshake failed: nothing to say to the peer
			l.guard.closed(src)
			return
		}
		conn = tc
	}
	gc := l.wrap(conn, src)
	if gc == nil {
		return // refused (websocket.go)
	}
	select {
	case l.ready <- gc:
	case <-l.done:
		_ = gc.Close() // the listener closed meanwhile
	}
}

// tlsFailed counts a failed handshake and logs it once per source.
func (s *Server) tlsFailed(src netip.Addr, err error) {
	s.tls.failures.Add(1)
	t := s.tls
	t.mu.Lock()
	first := !t.logged[src]
	if first {
		if len(t.logged) >= tlsLoggedMax {
			clear(t.logged)
		}
		t.logged[src] = true
	}
	t.mu.Unlock()
	if first {
		s.log.Warn("sip: tls handshake failed (further failures from this source are counted, not logged)", "source", src.String(), "err", err.Error())
	}
}

func (l *tlsListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *tlsListener) shut() { l.once.Do(func() { close(l.done) }) }

func (l *tlsListener) Close() error {
	l.shut()
	return l.Listener.Close()
}

// dialedListener hands the TLS connections ivrd dials itself to sipgo: it
// is served like a listener, its Accept returning each new connection, so
// that sipgo reads it and keeps it in its pool for reuse as if the peer
// had connected. A hand-off is complete when sipgo comes back to Accept
// (it files the connection in between).
type dialedListener struct {
	addr    net.Addr
	conns   chan net.Conn
	filed   chan struct{}
	done    chan struct{}
	once    sync.Once
	pending bool // Accept's own: a connection was returned, not yet filed
}

func (d *dialedListener) Accept() (net.Conn, error) {
	if d.pending {
		d.pending = false
		select {
		case d.filed <- struct{}{}:
		case <-d.done:
			return nil, net.ErrClosed
		}
	}
	select {
	case c := <-d.conns:
		d.pending = true
		return c, nil
	case <-d.done:
		return nil, net.ErrClosed
	}
}

func (d *dialedListener) Close() error {
	d.once.Do(func() { close(d.done) })
	return nil
}

func (d *dialedListener) Addr() net.Addr { return d.addr }

// handOff gives sipgo a connection and returns once it is in the pool.
func (d *dialedListener) handOff(c net.Conn) error {
	select {
	case d.conns <- c:
	case <-d.done:
		return net.ErrClosed
	}
	select {
	case <-d.filed:
		return nil
	case <-d.done:
		return net.ErrClosed
	}
}

// startDialer serves the dialed connections, advertising the first TLS
// listener's address (sipgo notes it as its TLS port).
func (s *Server) startDialer() {
	addr := net.Addr(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if l := s.listenerOf("tls"); l != nil {
		addr = net.TCPAddrFromAddrPort(l.addr)
	}
	d := &dialedListener{addr: addr, conns: make(chan net.Conn), filed: make(chan struct{}), done: make(chan struct{})}
	s.tls.dialMu.Lock()
	s.tls.dialer = d
	s.tls.dialMu.Unlock()
	go s.serve("tls", func() error { return s.srv.ServeTLS(d) })
}

func (t *tlsState) closeDialer() {
	t.dialMu.Lock()
	d := t.dialer
	t.dialMu.Unlock()
	if d != nil {
		_ = d.Close() // only stops the hand-off loop
	}
}

// tlsPrepare makes sure a TLS request has a connection to its
// destination: one in sipgo's pool (inbound or dialed before) is reused;
// otherwise ivrd dials it, checking the certificate as the trunk of that
// host says (TrunkTLS), and hands it to sipgo. The request is pinned to
// the address dialed.
func (s *Server) tlsPrepare(ctx context.Context, req *sip.Request) error {
	dest := req.Destination()
	host, portText, err := net.SplitHostPort(peerHostPort(dest, "tls"))
	if err != nil {
		return fmt.Errorf("sip: tls destination %q: %w", dest, err)
	}
	port, _ := strconv.Atoi(portText)
	ip, err := resolveIP(ctx, host)
	if err != nil {
		return fmt.Errorf("sip: tls destination %q: %w", host, err)
	}
	raddr := netip.AddrPortFrom(ip, uint16(port)).String()
	req.SetDestination(raddr)
	pool := s.ua.TransportLayer().Pool("tls")
	if pooled(pool, raddr) {
		return nil
	}
	t := s.tls
	t.dialMu.Lock()
	m := t.dialing[raddr]
	if m == nil {
		m = &sync.Mutex{}
		t.dialing[raddr] = m
	}
	d := t.dialer
	t.dialMu.Unlock()
	if d == nil {
		return fmt.Errorf("sip: tls to %s: %w", raddr, ErrNotListening)
	}
	m.Lock()
	defer m.Unlock()
	if pooled(pool, raddr) {
		return nil // dialed by the request before us
	}
	policy, _ := s.tlsFor(host)
	cfg, err := clientTLSConfig(policy, host)
	if err != nil {
		return fmt.Errorf("sip: tls to %s: %w", host, err)
	}
	var nd net.Dialer
	raw, err := nd.DialContext(ctx, "tcp", raddr)
	if err != nil {
		return fmt.Errorf("sip: tls to %s: %w", raddr, err)
	}
	tc := tls.Client(raw, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = raw.Close() // handshake failed: nothing was sent over it
		return fmt.Errorf("sip: tls to %s (%s): %w", host, raddr, err)
	}
	if err := d.handOff(tc); err != nil {
		_ = tc.Close() // the server is closing
		return fmt.Errorf("sip: tls to %s: %w", raddr, err)
	}
	return nil
}

// pooled reports whether sipgo's pool has a connection to addr (Get takes
// a reference, given back at once).
func pooled(pool *sip.ConnectionPool, addr string) bool {
	if pool == nil {
		return false
	}
	c := pool.Get(addr)
	if c == nil {
		return false
	}
	_, _ = c.TryClose() // drops our reference only: the pool keeps its own
	return true
}

// clientTLSConfig is how a connection to host checks the certificate.
func clientTLSConfig(p TrunkTLS, host string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host, InsecureSkipVerify: p.InsecureSkipVerify} //nolint:gosec // per trunk, documented as lab only
	if p.ServerName != "" {
		cfg.ServerName = p.ServerName
	}
	if p.CAFile != "" {
		pem, err := os.ReadFile(p.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s: no PEM certificate in it", p.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

func resolveIP(ctx context.Context, host string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap(), nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.Addr{}, err
	}
	for _, a := range ips {
		if a.Unmap().Is4() {
			return a.Unmap(), nil
		}
	}
	if len(ips) == 0 {
		return netip.Addr{}, fmt.Errorf("no address for %s", host)
	}
	return ips[0], nil
}
