package sip

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A call that reaches ivrd through a proxy (Kamailio in front of several
// nodes): the INVITE comes from the proxy with two Vias. With
// record-routing the proxy stays in the dialog, so ivrd's BYE goes to it
// with a Route; without, the proxy has left, and ivrd's BYE must go to
// the caller's Contact, not back to the proxy (which would not know the
// dialog).
func TestInDialogRequestsThroughAProxy(t *testing.T) {
	t.Parallel()
	for _, recordRoute := range []bool{true, false} {
		t.Run(fmt.Sprintf("record-route=%v", recordRoute), func(t *testing.T) {
			r := newRig(t, nil)
			proxy := listenUDP(t)
			phone := listenUDP(t)
			sdp := r.caller("udp").Offer("", 0)
			p, ph := proxy.LocalAddr().String(), phone.LocalAddr().String()
			callID := fmt.Sprintf("proxied-%v", recordRoute)
			lines := []string{
				"INVITE sip:100@" + r.srv.Addr("udp").String() + " SIP/2.0",
				"Via: SIP/2.0/UDP " + p + ";branch=z9hG4bKproxy" + callID,
				"Via: SIP/2.0/UDP " + ph + ";branch=z9hG4bKphone" + callID,
			}
			if recordRoute {
				lines = append(lines, "Record-Route: <sip:"+p+";lr>")
			}
			lines = append(lines,
				"From: <sip:alice@example.net>;tag=a1",
				"To: <sip:100@example.net>",
				"Call-ID: "+callID,
				"CSeq: 1 INVITE",
				"Contact: <sip:alice@"+ph+">",
				"Max-Forwards: 69",
				"Content-Type: application/sdp",
				fmt.Sprintf("Content-Length: %d", len(sdp)),
				"", string(sdp))
			_, err := proxy.WriteTo([]byte(strings.Join(lines, "\r\n")), r.srv.udpAddr())
			require.NoError(t, err)

			// The responses follow the Via chain: to the proxy.
			ok := readUntil(t, proxy, "SIP/2.0 200")
			if recordRoute {
				assert.Contains(t, ok, "Record-Route: <sip:"+p+";lr>", "the 200 carries the route set back")
			}
			assert.Contains(t, ok, "Via: SIP/2.0/UDP "+ph, "both Vias in the response")
			toTag := headerParam(ok, "\r\nTo:", "tag=")
			ack := strings.Join([]string{
				"ACK sip:ivrd@" + r.srv.Addr("udp").String() + " SIP/2.0",
				"Via: SIP/2.0/UDP " + p + ";branch=z9hG4bKproxyack" + callID,
				"Via: SIP/2.0/UDP " + ph + ";branch=z9hG4bKphoneack" + callID,
				"From: <sip:alice@example.net>;tag=a1",
				"To: <sip:100@example.net>;tag=" + toTag,
				"Call-ID: " + callID,
				"CSeq: 1 ACK",
				"Max-Forwards: 69",
				"Content-Length: 0", "", ""}, "\r\n")
			_, err = proxy.WriteTo([]byte(ack), r.srv.udpAddr())
			require.NoError(t, err)
			call := r.nextCall()
			go call.Hangup()

			want, other := phone, proxy
			if recordRoute {
				want, other = proxy, phone
			}
			bye, from := readFrom(t, want, "BYE ")
			// Answer it, so the hang-up completes as it would.
			var res []string
			for _, l := range strings.Split(bye, "\r\n") {
				for _, h := range []string{"Via:", "From:", "To:", "Call-ID:", "CSeq:"} {
					if strings.HasPrefix(l, h) {
						res = append(res, l)
					}
				}
			}
			_, err = want.WriteTo([]byte("SIP/2.0 200 OK\r\n"+strings.Join(res, "\r\n")+"\r\nContent-Length: 0\r\n\r\n"), from)
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(bye, "BYE sip:alice@"+ph), "Request-URI is the caller's Contact: %q", firstLine(bye))
			if recordRoute {
				assert.Contains(t, bye, "Route: <sip:"+p+";lr>", "the BYE takes the recorded route")
			} else {
				assert.NotContains(t, bye, "\r\nRoute:", "no route set without Record-Route")
			}
			// No SIP arrives at the other socket. RTP and RTCP (version 2:
			// a first byte 0x80-0xbf) are not SIP: a media session of a
			// test running beside this one may have had this port as its
			// peer's RTCP port and still send its last report there.
			_ = other.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			buf := make([]byte, 4096)
			for {
				n, _, err := other.ReadFrom(buf)
				if err != nil {
					break
				}
				if n > 0 && buf[0]&0xc0 == 0x80 {
					continue
				}
				t.Errorf("nothing else arrives at the other socket, got %q", firstLine(string(buf[:n])))
				break
			}
		})
	}
}

func (s *Server) udpAddr() net.Addr { return net.UDPAddrFromAddrPort(s.Addr("udp")) }

func listenUDP(t *testing.T) net.PacketConn {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// readUntil reads messages on c until one starts with prefix (bounded).
func readUntil(t *testing.T, c net.PacketConn, prefix string) string {
	msg, _ := readFrom(t, c, prefix)
	return msg
}

func readFrom(t *testing.T, c net.PacketConn, prefix string) (string, net.Addr) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	buf := make([]byte, 8192)
	for {
		_ = c.SetReadDeadline(deadline)
		n, from, err := c.ReadFrom(buf)
		require.NoError(t, err, "waiting for %q", prefix)
		if msg := string(buf[:n]); strings.HasPrefix(msg, prefix) {
			return msg, from
		}
	}
}

// headerParam finds param's value in the header line starting with hdr.
func headerParam(msg, hdr, param string) string {
	line := msg[strings.Index(msg, hdr)+2:]
	line = line[:strings.Index(line, "\r\n")]
	v := line[strings.Index(line, param)+len(param):]
	if i := strings.IndexAny(v, ";>,"); i >= 0 {
		v = v[:i]
	}
	return v
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\r\n")
	return line
}
