package sip

import (
	"crypto/rand"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// udpGuard stands between a UDP listening socket and sipgo's reader. A
// datagram from a source over its packet rate is dropped before sipgo
// parses it or makes a transaction for it, so a flood costs a counter
// and not memory (each transaction sipgo keeps lives 32 s). A request
// whose Content-Length does not fit its body, which sipgo would drop in
// silence, is answered 400 here.
type udpGuard struct {
	net.PacketConn
	srv *Server
}

func (s *Server) guardUDP(pc net.PacketConn) net.PacketConn { return &udpGuard{PacketConn: pc, srv: s} }

func (g *udpGuard) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := g.PacketConn.ReadFrom(p)
		if err != nil {
			return n, addr, err
		}
		src := sourceOf(addr)
		if !g.srv.limits.packet(src, time.Now()) {
			g.srv.badLog.Warn("sip: datagrams dropped: source over its packet rate", "source", src.String())
			continue
		}
		if info, fault := datagramFault(p[:n]); fault != "" {
			g.srv.badLog.Info("sip: request with a bad Content-Length refused", "source", addr.String(), "err", fault, "code", 400)
			if res := badRequest(info, fault); res != nil {
				if _, err := g.WriteTo(res, addr); err != nil {
					g.srv.badLog.Warn("sip: send response failed", "code", 400, "err", err)
				}
			}
			continue
		}
		return n, addr, nil
	}
}

// badRequest writes a stateless 400 for a request head, or nil when the
// head lacks what a response needs (Via, CSeq) or is an ACK.
func badRequest(info headInfo, warning string) []byte {
	if info.ack || !info.cseqFound || len(info.reply) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("SIP/2.0 400 Bad Request\r\n")
	for _, h := range info.reply {
		b.WriteString(h)
		name, _, _ := strings.Cut(h, ":")
		if n := strings.ToLower(strings.TrimSpace(name)); (n == "to" || n == "t") && !info.toTagged {
			// RFC 3261 8.2.6.2: a response adds a To tag when the
			// request had none.
			fmt.Fprintf(&b, ";tag=%s", rand.Text()[:10])
		}
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "Warning: 399 ivrd %q\r\nContent-Length: 0\r\n\r\n", warning)
	return []byte(b.String())
}

// sourceOf is the IP of a net.Addr (the zero Addr if not an IP address).
func sourceOf(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.UDPAddr:
		return a.AddrPort().Addr().Unmap()
	case *net.TCPAddr:
		return a.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}
