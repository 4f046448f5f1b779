package ivrload

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync/atomic"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// The SIP transports a run can place its calls over.
const (
	TransportUDP = "udp" // one socket for every call
	TransportTLS = "tls" // Connections TLS connections, many calls on each
)

// endpoint is one of the run's SIP user agents with its own transport
// layer. Over UDP the run has one, its socket shared by every call. Over
// TLS it has one per connection: each dials its connection to the target
// before the first call and every call of the endpoint goes over it, as
// does what the target sends inside those calls (its BYEs, REFERs and
// re-INVITEs come back over the connection the caller opened, the way a
// trunk's calls share one connection).
type endpoint struct {
	dialogs   *sipgo.DialogUA
	contact   sip.ContactHeader
	localPort int // TLS: the connection's own port, as dialled first
	redials   atomic.Int64
	close     func()
}

// checkTransport validates the transport settings (fill's part).
func (c *Config) checkTransport() error {
	switch c.Transport {
	case "":
		c.Transport = TransportUDP
	case TransportUDP, TransportTLS:
	default:
		return fmt.Errorf("ivrload: transport %q: want udp or tls", c.Transport)
	}
	if c.Transport == TransportUDP {
		if c.Connections > 1 || c.TLSCAFile != "" || c.TLSInsecure {
			return fmt.Errorf("ivrload: connections and the TLS settings apply to --transport tls only")
		}
		return nil
	}
	if c.TLSCAFile != "" && c.TLSInsecure {
		return fmt.Errorf("ivrload: give a CA file or skip verification, not both")
	}
	if c.Connections <= 0 {
		c.Connections = 1
	}
	c.Connections = min(c.Connections, c.Calls) // a connection without a call would only idle
	if c.SIPPort != 0 {
		return fmt.Errorf("ivrload: --sip-port is for udp; TLS connections leave from ports the kernel gives")
	}
	return nil
}

// clientTLS is how the TLS connections check the target's certificate:
// against the CA file when one is given, skipped for a lab when asked,
// otherwise against the system's CAs. The name checked is the target's
// host (an IP address must be in the certificate's IP SANs).
func (c *Config) clientTLS() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.TLSInsecure} //nolint:gosec // --tls-insecure: documented as lab only
	if c.TLSCAFile != "" {
		pem, err := os.ReadFile(c.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("ivrload: TLS CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ivrload: TLS CA %s: no PEM certificate in it", c.TLSCAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// openSignalling sets up the run's endpoints; the function returned
// closes them all.
func (r *runner) openSignalling(ctx context.Context) (func(), error) {
	closeAll := func() {
		for _, ep := range r.endpoints {
			ep.close()
		}
	}
	if r.cfg.Transport == TransportTLS {
		tlsCfg, err := r.cfg.clientTLS()
		if err != nil {
			return nil, err
		}
		for i := 0; i < r.cfg.Connections; i++ {
			ep, err := r.openTLSEndpoint(ctx, tlsCfg)
			if err != nil {
				closeAll()
				return nil, fmt.Errorf("ivrload: TLS connection %d of %d to %s: %w", i+1, r.cfg.Connections, r.cfg.Target, err)
			}
			r.endpoints = append(r.endpoints, ep)
		}
		r.logf("%d TLS connections open to %s", len(r.endpoints), r.cfg.Target)
		return closeAll, nil
	}
	ep, err := r.openUDPEndpoint()
	if err != nil {
		return nil, err
	}
	r.endpoints = []*endpoint{ep}
	return closeAll, nil
}

func (r *runner) openUDPEndpoint() (*endpoint, error) {
	cfg := &r.cfg
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("ivrload"), sipgo.WithUserAgentHostname(cfg.LocalIP.String()))
	if err != nil {
		return nil, err
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(quietLog()))
	if err != nil {
		_ = ua.Close()
		return nil, err
	}
	pc, err := net.ListenPacket("udp4", netip.AddrPortFrom(cfg.LocalIP, uint16(cfg.SIPPort)).String())
	if err != nil {
		_ = ua.Close()
		return nil, fmt.Errorf("ivrload: SIP socket: %w", err)
	}
	sipPort := pc.LocalAddr().(*net.UDPAddr).Port
	go func() { _ = srv.ServeUDP(pc) }() // ends with an error when pc closes
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname(cfg.LocalIP.String()), sipgo.WithClientPort(sipPort), sipgo.WithClientLogger(quietLog()))
	if err != nil {
		_ = pc.Close()
		_ = ua.Close()
		return nil, err
	}
	ep := &endpoint{close: func() { _ = pc.Close(); _ = ua.Close() }}
	ep.contact = sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: cfg.From, Host: cfg.LocalIP.String(), Port: sipPort}}
	ep.dialogs = &sipgo.DialogUA{Client: client, ContactHDR: ep.contact}
	r.handle(srv)
	return ep, nil
}

// openTLSEndpoint makes a user agent of its own (its own connection
// pool) and opens its connection with an OPTIONS: any answer means the
// handshake, certificate check included, went through. The Contact names
// the connection's address with transport=tls; a target that follows RFC
// 5923's reuse (or simply answers over the connection a request came on)
// needs nothing else.
func (r *runner) openTLSEndpoint(ctx context.Context, tlsCfg *tls.Config) (*endpoint, error) {
	cfg := &r.cfg
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("ivrload"), sipgo.WithUserAgentHostname(cfg.LocalIP.String()),
		sipgo.WithUserAgenTLSConfig(tlsCfg), sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quietLog())))
	if err != nil {
		return nil, err
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(quietLog()))
	if err != nil {
		_ = ua.Close()
		return nil, err
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname(cfg.LocalIP.String()), sipgo.WithClientLogger(quietLog()))
	if err != nil {
		_ = ua.Close()
		return nil, err
	}
	ep := &endpoint{close: func() { _ = ua.Close() }}
	r.handle(srv)
	probe := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", Host: r.targetURI.Host, Port: r.targetURI.Port, UriParams: transportTLS()})
	octx, cancel := context.WithTimeout(ctx, cfg.SetupTimeout)
	defer cancel()
	if _, err := client.Do(octx, probe); err != nil {
		ep.close()
		return nil, err
	}
	if v := probe.Via(); v != nil {
		ep.localPort = v.Port // the connection's port (sipgo fills in the sent-by from it)
	}
	ep.contact = sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: cfg.From, Host: cfg.LocalIP.String(), Port: ep.localPort,
		UriParams: transportTLS()}}
	ep.dialogs = &sipgo.DialogUA{Client: client, ContactHDR: ep.contact}
	return ep, nil
}

// sentOn notes the connection an INVITE left on: over TLS, a call that
// did not go over its endpoint's first connection means that connection
// was lost and dialled again.
func (ep *endpoint) sentOn(req *sip.Request) {
	if ep.localPort == 0 {
		return
	}
	if v := req.Via(); v != nil && v.Port != ep.localPort {
		ep.redials.Add(1)
	}
}

// transportTLS is the URI parameter ;transport=tls.
func transportTLS() sip.HeaderParams {
	p := sip.NewParams()
	p.Add("transport", "tls")
	return p
}
