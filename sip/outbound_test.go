package sip

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/media"
)

// rawAnswer is a response to a raw request: its Via, From, To (tagged),
// Call-ID and CSeq, then extra headers.
func rawAnswer(req string, code int, reason string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "SIP/2.0 %d %s\r\n", code, reason)
	for _, h := range []string{"Via", "From", "Call-ID", "CSeq"} {
		fmt.Fprintf(&b, "%s: %s\r\n", h, headerOf(req, h))
	}
	to := headerOf(req, "To")
	if !strings.Contains(to, "tag=") {
		to += ";tag=far"
	}
	fmt.Fprintf(&b, "To: %s\r\n", to)
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.String()
}

// readFrom is the next datagram on u and where it came from.
func (u *rawUDP) readFrom(timeout time.Duration) (string, netip.AddrPort) {
	buf := make([]byte, 65536)
	_ = u.conn.SetReadDeadline(time.Now().Add(timeout))
	n, from, err := u.conn.ReadFromUDPAddrPort(buf)
	if err != nil {
		return "", netip.AddrPort{}
	}
	return string(buf[:n]), netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
}

func (u *rawUDP) addr() netip.AddrPort {
	return u.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// The far end reads the raw datagrams ivrd sends: each request must come
// from ivrd's UDP listening socket and say so in its Via, with rport.
func TestOutgoingRequestsLeaveFromTheListener(t *testing.T) {
	t.Run("NOTIFY", func(t *testing.T) {
		r := newRig(t, nil)
		far := newRawUDP(t, "127.0.0.1")
		errc := make(chan error, 1)
		go func() {
			errc <- r.srv.NotifyMWI(ctx5(t), "sip:1001@"+far.addr().String(), MessageSummary{Account: "1001", New: 1})
		}()
		req, from := far.readFrom(5 * time.Second)
		require.NotEmpty(t, req, "no NOTIFY came")
		listen := r.srv.Addr("udp")
		assert.Equal(t, listen, from, "the NOTIFY left from the listening socket")
		assertVia(t, req, "UDP", listen.String())
		far.send(from, rawAnswer(req, 200, "OK"))
		require.NoError(t, <-errc)
	})
	t.Run("INVITE of a bridge and the ACK of its failure", func(t *testing.T) {
		far := newRawUDP(t, "127.0.0.1")
		r, h := bridgeRig(t, Outbound{URI: "sip:agent@" + far.addr().String(), RingTimeout: 5 * time.Second})
		c := r.caller("udp")
		_, err := c.Call(ctx5(t), r.srv.Addr("udp"), "100")
		require.NoError(t, err)
		<-h.calls
		req, from := far.readFrom(5 * time.Second)
		require.True(t, strings.HasPrefix(req, "INVITE "), "got %q", req)
		listen := r.srv.Addr("udp")
		assert.Equal(t, listen, from, "the INVITE left from the listening socket")
		assertVia(t, req, "UDP", listen.String())
		assert.Contains(t, headerOf(req, "Contact"), listen.String(), "the Contact is the listener too")
		far.send(from, rawAnswer(req, 486, "Busy Here"))
		// The ACK of the 486 (hop by hop) comes from the same socket.
		ack, from := far.readFrom(5 * time.Second)
		require.True(t, strings.HasPrefix(ack, "ACK "), "got %q", ack)
		assert.Equal(t, listen, from)
		var be *BridgeError
		require.ErrorAs(t, <-h.result, &be)
		assert.Equal(t, 486, be.Code)
	})
	t.Run("external address as sent-by", func(t *testing.T) {
		r := newRig(t, func(c *Config, _ *media.EngineConfig) { c.ExternalAddr = "192.0.2.7" })
		far := newRawUDP(t, "127.0.0.1")
		errc := make(chan error, 1)
		go func() {
			errc <- r.srv.NotifyMWI(ctx5(t), "sip:1001@"+far.addr().String(), MessageSummary{Account: "1001"})
		}()
		req, from := far.readFrom(5 * time.Second)
		require.NotEmpty(t, req)
		assert.Equal(t, r.srv.Addr("udp"), from)
		assertVia(t, req, "UDP", fmt.Sprintf("192.0.2.7:%d", r.srv.Addr("udp").Port()))
		far.send(from, rawAnswer(req, 200, "OK"))
		require.NoError(t, <-errc)
	})
	t.Run("TCP: the listener's port as sent-by", func(t *testing.T) {
		r := newRig(t, nil)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		t.Cleanup(func() { ln.Close() })
		errc := make(chan error, 1)
		go func() {
			errc <- r.srv.NotifyMWI(ctx5(t), "sip:1001@"+ln.Addr().String()+";transport=tcp", MessageSummary{Account: "1001"})
		}()
		conn, err := ln.Accept()
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 8192)
		n, err := conn.Read(buf)
		require.NoError(t, err)
		req := string(buf[:n])
		assertVia(t, req, "TCP", r.srv.Addr("tcp").String())
		_, err = conn.Write([]byte(rawAnswer(req, 200, "OK")))
		require.NoError(t, err)
		require.NoError(t, <-errc)
	})
}

// assertVia checks a request's top Via: transport, sent-by and rport.
func assertVia(t *testing.T, req, transport, sentBy string) {
	t.Helper()
	via := headerOf(req, "Via")
	assert.True(t, strings.HasPrefix(via, "SIP/2.0/"+transport+" "+sentBy+";"), "Via %q: want sent-by %s", via, sentBy)
	assert.Contains(t, strings.Split(via, ";"), "rport", "Via %q asks for rport", via)
	assert.NotContains(t, via, "0.0.0.0")
}

func TestTransportOf(t *testing.T) {
	for uri, want := range map[string]string{
		"sip:a@h":                   "udp",
		"sip:a@h;transport=tcp":     "tcp",
		"sip:a@h;transport=TLS":     "tls",
		"sips:a@h":                  "tls",
		"sips:a@h:5061":             "tls",
		"sip:h:5060;transport=udp":  "udp",
		"sips:a@h;transport=tcp":    "tcp", // sipgo upgrades it; the parameter says TCP
		"sip:[::1]:5060;lr;foo=bar": "udp",
	} {
		var u sip.Uri
		require.NoError(t, sip.ParseUri(uri, &u), uri)
		assert.Equal(t, want, transportOf(u), uri)
	}
}
