package sip

import (
	"crypto/rand"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// udpGuard stands between a UDP listening socket and sipgo's reader. A
// datagram from a source over its packet rate is dropped before sipgo
// parses it or makes a transaction for it, so a flood costs a counter
// and not memory (each transaction sipgo keeps lives 32 s). A request
// whose Content-Length does not fit its body, which sipgo would drop in
// silence, is answered 400 here, and a REGISTER without credentials is
// challenged here.
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
		info, fault := datagramFault(p[:n])
		if fault != "" {
			g.srv.badLog.Info("sip: request with a bad Content-Length refused", "source", addr.String(), "err", fault, "code", 400)
			if res := badRequest(info, fault, addrPortOf(addr)); res != nil {
				if _, err := g.WriteTo(res, addr); err != nil {
					g.srv.badLog.Warn("sip: send response failed", "code", 400, "err", err)
				}
			}
			continue
		}
		// A REGISTER without credentials is challenged here, with no
		// transaction: a flood of them costs nothing but the answers.
		if res := g.srv.challengeDatagram(info, addrPortOf(addr)); res != nil {
			if _, err := g.WriteTo(res, addr); err != nil {
				g.srv.badLog.Warn("sip: send response failed", "code", 401, "err", err)
			}
			continue
		}
		return n, addr, nil
	}
}

// badRequest writes a stateless 400 for a request head, or nil when the
// head lacks what a response needs (Via, CSeq) or is an ACK.
func badRequest(info headInfo, warning string, src netip.AddrPort) []byte {
	if info.ack || !info.cseqFound || !info.has["via"] {
		return nil
	}
	return statelessResponse(info, "400 Bad Request", []string{fmt.Sprintf("Warning: 399 ivrd %q", warning)}, src)
}

// statelessResponse writes a response to a request head with no
// transaction behind it: the request's Via (stamped with where it came
// from, RFC 3581), From, To (with a tag, RFC 3261 8.2.6.2), Call-ID and
// CSeq, then extra headers.
func statelessResponse(info headInfo, status string, extra []string, src netip.AddrPort) []byte {
	var b strings.Builder
	b.WriteString("SIP/2.0 " + status + "\r\n")
	stamped := false
	for _, h := range info.reply {
		name, _, _ := strings.Cut(h, ":")
		switch n := strings.ToLower(strings.TrimSpace(name)); {
		case (n == "via" || n == "v") && !stamped:
			h, stamped = stampVia(h, src), true
		case (n == "to" || n == "t") && !info.toTagged:
			h += ";tag=" + rand.Text()[:10]
		}
		b.WriteString(h + "\r\n")
	}
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return []byte(b.String())
}

// stampVia adds received (and the port to an empty rport) to the first
// value of a Via header line, as the transport layer would.
func stampVia(line string, src netip.AddrPort) string {
	name, value, _ := strings.Cut(line, ":")
	first, rest, more := strings.Cut(value, ",")
	params := strings.Split(first, ";")
	for i, p := range params {
		if i > 0 && strings.EqualFold(strings.TrimSpace(p), "rport") {
			params[i] = "rport=" + strconv.Itoa(int(src.Port()))
		}
	}
	first = strings.Join(params, ";") + ";received=" + src.Addr().String()
	if more {
		first += "," + rest
	}
	return name + ":" + first
}

// addrPortOf is the address and port of a UDP net.Addr.
func addrPortOf(a net.Addr) netip.AddrPort {
	if u, ok := a.(*net.UDPAddr); ok {
		ap := u.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
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
