package sip

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/media"
)

// rawUDP is a SIP peer made of one UDP socket on a loopback address of the
// test's choosing (127.0.0.0/8 is all loopback), writing requests by hand:
// what an attacker does.
type rawUDP struct {
	t    *testing.T
	conn *net.UDPConn
}

func newRawUDP(t *testing.T, ip string) *rawUDP {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return &rawUDP{t: t, conn: conn}
}

func (u *rawUDP) local() string { return u.conn.LocalAddr().String() }

func (u *rawUDP) send(dst netip.AddrPort, msg string) {
	_, err := u.conn.WriteToUDPAddrPort([]byte(msg), dst)
	require.NoError(u.t, err)
}

// read returns the next datagram, "" after timeout.
func (u *rawUDP) read(timeout time.Duration) string {
	buf := make([]byte, 65536)
	u.conn.SetReadDeadline(time.Now().Add(timeout))
	n, err := u.conn.Read(buf)
	if err != nil {
		return ""
	}
	return string(buf[:n])
}

// final returns the next final (non-1xx) response, "" after timeout.
func (u *rawUDP) final(timeout time.Duration) string {
	end := time.Now().Add(timeout)
	for time.Now().Before(end) {
		m := u.read(time.Until(end))
		if m == "" || !strings.HasPrefix(m, "SIP/2.0 1") {
			return m
		}
	}
	return ""
}

// rawRequest writes a request from local: the usual headers, then extra,
// then body.
func rawRequest(method, ruri, local, callID string, cseq int, extra []string, body string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s SIP/2.0\r\n", method, ruri)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=z9hG4bK-%s-%d-%s\r\n", local, callID, cseq, method)
	fmt.Fprintf(&b, "From: <sip:attacker@%s>;tag=f-%s\r\n", local, callID)
	to := strings.TrimPrefix(ruri, "sip:")
	fmt.Fprintf(&b, "To: <sip:%s>\r\n", to)
	fmt.Fprintf(&b, "Call-ID: %s\r\nCSeq: %d %s\r\nMax-Forwards: 70\r\n", callID, cseq, method)
	fmt.Fprintf(&b, "Contact: <sip:attacker@%s>\r\n", local)
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	if body != "" {
		b.WriteString("Content-Type: application/sdp\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	return b.String()
}

// codeOf is a response's status code (0 for anything else).
func codeOf(res string) int {
	f := strings.Fields(res)
	if len(f) < 2 || f[0] != "SIP/2.0" {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// headerOf is the value of the first header called name in msg.
func headerOf(msg, name string) string {
	head, _, _ := strings.Cut(msg, "\r\n\r\n")
	for _, line := range strings.Split(head, "\r\n")[1:] {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func bodyOf(msg string) string {
	_, body, _ := strings.Cut(msg, "\r\n\r\n")
	return body
}

// audioOffer is an SDP offer of PCMU from ip:port.
func audioOffer(ip string, port int) string {
	return fmt.Sprintf("v=0\r\no=x 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n", ip, ip, port)
}

// logLines is a log's lines, without the empty one after the last.
func logLines(b *testenv.Buffer) []string {
	return strings.Split(strings.TrimSpace(b.String()), "\n")
}

// newLoggedRig is newRigWith whose server logs (Info and up) into the
// returned buffer.
func newLoggedRig(t *testing.T, mutate func(*Config, *media.EngineConfig)) (*rig, *testenv.Buffer) {
	t.Helper()
	logs := &testenv.Buffer{}
	r := newRigWith(t, mutate, nil)
	// A second server on the same engine would clash on ports; instead the
	// rig's server is rebuilt with the captured logger.
	r.srv.Close()
	cfg := r.srv.cfg
	cfg.Listen = []string{"udp://127.0.0.1:0", "tcp://127.0.0.1:0"}
	srv, err := NewServer(cfg, r.engine, r.handler, slog.New(slog.NewTextHandler(logs, nil)))
	require.NoError(t, err)
	require.NoError(t, srv.Start(context.Background()))
	t.Cleanup(func() { srv.Close() })
	r.srv = srv
	return r, logs
}
