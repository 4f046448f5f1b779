package sip

import (
	"context"
	"net"
	"strconv"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// outbound is the one door every request ivrd sends goes through (INVITE,
// its ACK and CANCEL, BYE, re-INVITE, UPDATE, REFER, NOTIFY, OPTIONS,
// REGISTER), installed as sipgo's client TxRequester. Left to itself,
// sipgo sends a request from a new socket on an ephemeral port and writes
// that socket's address, 0.0.0.0 for a wildcard bind, as the Via sent-by:
// replies and later requests then go to a port nothing listens on once a
// NAT forgets the mapping, and a registration points the provider there.
// Here the request leaves from the listener of its transport (UDP: the
// listening socket itself; TCP and TLS: a reused connection, whose replies
// come back on it), with the listener's routable address and port as
// sent-by and rport asked for (RFC 3581).
type outbound struct{ s *Server }

// Request prepares req and hands it to sipgo's transaction layer; an ACK,
// which has no transaction, is written straight to the transport.
func (o outbound) Request(ctx context.Context, req *sip.Request) (sip.ClientTransaction, error) {
	if err := o.s.prepareOutgoing(ctx, req); err != nil {
		return nil, err
	}
	if req.IsAck() {
		return nil, o.s.ua.TransportLayer().WriteMsg(req)
	}
	tx, err := o.s.ua.TransactionLayer().Request(ctx, req)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return tx, nil
}

// prepareOutgoing sets the top Via's sent-by and rport, the source socket
// of a UDP request, and for TLS makes sure a verified connection to the
// destination is in sipgo's pool (tls.go).
func (s *Server) prepareOutgoing(ctx context.Context, req *sip.Request) error {
	network := strings.ToLower(req.Transport())
	if want := transportOf(req.Recipient); network == "udp" && want != "udp" && req.Route() == nil {
		// sipgo takes a sips: URI without a transport parameter as UDP;
		// RFC 3261 (26.2) says TLS.
		network = want
		req.SetTransport(strings.ToUpper(want))
		if via := req.Via(); via != nil {
			via.Transport = strings.ToUpper(want)
		}
	}
	lst := s.listenerOf(network)
	if network == "tls" {
		if err := s.tlsPrepare(ctx, req); err != nil {
			return err
		}
	}
	via := req.Via()
	if via == nil {
		return nil // sipgo refuses it with its own error
	}
	if !via.Params.Has("rport") {
		via.Params.Add("rport", "")
	}
	if lst == nil {
		// No listener of this transport (a TLS trunk on a server without
		// a tls:// listener): sipgo fills in the connection's own
		// address; the external address is still the one to advertise.
		if s.cfg.ExternalAddr != "" {
			via.Host = s.cfg.ExternalAddr
		}
		return nil
	}
	via.Host = s.advertisedAddr(lst, peerHostPort(req.Destination(), network)).String()
	via.Port = int(lst.addr.Port())
	if network == "udp" && req.Laddr.IP == nil {
		lst.udpLocal.Copy(&req.Laddr)
	}
	return nil
}

// peerHostPort gives a destination a port (the transport's default) so
// that it can be split.
func peerHostPort(dest, network string) string {
	if _, _, err := net.SplitHostPort(dest); err == nil {
		return dest
	}
	return net.JoinHostPort(strings.Trim(dest, "[]"), strconv.Itoa(sip.DefaultPort(network)))
}

// listenerOf is the first listener of a transport, nil when there is none.
func (s *Server) listenerOf(network string) *listener {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.listeners {
		if l.network == network {
			return l
		}
	}
	return nil
}

// transportOf is the transport a request to uri takes: its transport
// parameter, TLS for a sips: URI, else UDP.
func transportOf(uri sip.Uri) string {
	if uri.UriParams != nil {
		if t, ok := uri.UriParams.Get("transport"); ok && t != "" {
			return strings.ToLower(t)
		}
	}
	if uri.IsEncrypted() {
		return "tls"
	}
	return "udp"
}

// invite sends an INVITE to uri over the transport the URI asks for
// (sips: and ;transport=tls take TLS), from that transport's listener
// and with its Contact; from (the caller's listener) when the server has
// no listener of that transport.
func (s *Server) invite(ctx context.Context, from *listener, uri sip.Uri, body []byte, hdrs []sip.Header) (*sipgo.DialogClientSession, error) {
	network := transportOf(uri)
	lst := s.listenerOf(network)
	if lst == nil {
		lst = from
	}
	req := sip.NewRequest(sip.INVITE, uri)
	req.SetBody(body)
	req.SetTransport(strings.ToUpper(network))
	for _, h := range s.routeTo(uri) { // a phone registered through a proxy (registrar.go)
		req.AppendHeader(h)
	}
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	return lst.dlgUA.WriteInvite(ctx, req)
}
