package sip

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/media"
)

// dialFrom opens a TCP connection to dst from a loopback address of the
// test's choosing.
func dialFrom(t *testing.T, ip string, dst string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 3 * time.Second}
	c, err := d.Dial("tcp", dst)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// closedWithin reports whether the server closes c within d (it reads
// and discards whatever the server sends meanwhile).
func closedWithin(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 4096)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue
		}
		return !errors.Is(err, os.ErrDeadlineExceeded)
	}
}

func tcpOptions(local string, i int) string {
	return strings.Replace(rawRequest("OPTIONS", "sip:127.0.0.1", local, fmt.Sprintf("tcp-opt-%d", i), 1, nil, ""),
		"SIP/2.0/UDP", "SIP/2.0/TCP", 1)
}

// TestTCPHalfMessageAndIdleConnectionsClosed (issue 13 point 6: both
// were still open after 330 s): a message trickled a header at a time
// (each read resets a per-read timeout, so only a deadline from the
// message's first byte ends it) and a connection that sends nothing are
// closed; a connection that completes its messages is served.
func TestTCPHalfMessageAndIdleConnectionsClosed(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(c *Config, _ *media.EngineConfig) {
		c.Limits.TCPMessageTimeout = time.Second
		c.Limits.TCPIdleTimeout = 2 * time.Second
	})
	dst := r.srv.Addr("tcp").String()

	half := dialFrom(t, "127.0.0.1", dst)
	msg := tcpOptions(half.LocalAddr().String(), 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for _, line := range strings.SplitAfter(msg[:len(msg)-4], "\r\n") { // never the blank line
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			if _, err := half.Write([]byte(line)); err != nil {
				return
			}
		}
		<-stop
	}()
	idle := dialFrom(t, "127.0.0.1", dst)

	served := dialFrom(t, "127.0.0.1", dst)
	_, err := served.Write([]byte(tcpOptions(served.LocalAddr().String(), 2)))
	require.NoError(t, err)
	served.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 4096)
	n, err := served.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, 200, codeOf(string(buf[:n])), "a complete message is answered")

	assert.True(t, closedWithin(half, 10*time.Second), "a message never completed is closed")
	assert.True(t, closedWithin(idle, 10*time.Second), "an idle connection is closed")
	assert.True(t, closedWithin(served, 10*time.Second), "idle after its message, closed too")
}

// TestTCPConnectionsPerSourceCapped: a source's connections beyond the
// limit are closed at once; another source still connects.
func TestTCPConnectionsPerSourceCapped(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(c *Config, _ *media.EngineConfig) { c.Limits.TCPConnections = 3 })
	dst := r.srv.Addr("tcp").String()
	var kept []net.Conn
	for i := 0; i < 3; i++ {
		kept = append(kept, dialFrom(t, "127.0.0.4", dst))
	}
	// Accept runs in its own goroutine: make sure the three are counted.
	for i, c := range kept {
		_, err := c.Write([]byte(tcpOptions(c.LocalAddr().String(), 10+i)))
		require.NoError(t, err)
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		buf := make([]byte, 4096)
		n, err := c.Read(buf)
		require.NoError(t, err)
		require.Equal(t, 200, codeOf(string(buf[:n])))
	}
	extra := dialFrom(t, "127.0.0.4", dst)
	assert.True(t, closedWithin(extra, 5*time.Second), "the fourth from one address is closed")
	for _, c := range kept {
		assert.False(t, closedWithin(c, 100*time.Millisecond), "the first three stay open")
	}
	other := dialFrom(t, "127.0.0.5", dst)
	_, err := other.Write([]byte(tcpOptions(other.LocalAddr().String(), 20)))
	require.NoError(t, err)
	other.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 4096)
	n, err := other.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, 200, codeOf(string(buf[:n])), "another address is served")

	kept[0].Close()
	waitFor(t, "a place freed", func() bool {
		c := dialFrom(t, "127.0.0.4", dst)
		return !closedWithin(c, 200*time.Millisecond)
	})
}

// TestTCPRequestsCountTowardTheSourceRate: requests over TCP spend the
// same per-source budget as UDP datagrams, and are answered 503 over it.
func TestTCPRequestsCountTowardTheSourceRate(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(c *Config, _ *media.EngineConfig) { c.Limits.PacketRate, c.Limits.PacketBurst = 0.01, 3 })
	c := dialFrom(t, "127.0.0.6", r.srv.Addr("tcp").String())
	var codes []int
	buf := make([]byte, 4096)
	for i := 0; i < 5; i++ {
		_, err := c.Write([]byte(tcpOptions(c.LocalAddr().String(), 30+i)))
		require.NoError(t, err)
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		n, err := c.Read(buf)
		require.NoError(t, err)
		codes = append(codes, codeOf(string(buf[:n])))
	}
	assert.Equal(t, []int{200, 200, 200, 503, 503}, codes)
}

// TestTCPConnectionOfACallOutlivesTheIdleTimeout: a caller's connection
// is not closed for idleness while its call goes on (our BYE may need it
// to cross the caller's NAT); once the call is over, it is.
func TestTCPConnectionOfACallOutlivesTheIdleTimeout(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(c *Config, _ *media.EngineConfig) { c.Limits.TCPIdleTimeout = time.Second })
	conn := dialFrom(t, "127.0.0.1", r.srv.Addr("tcp").String())
	local := conn.LocalAddr().String()
	tcp := func(method string, cseq int, to, body string) string {
		m := rawRequest(method, "sip:100@127.0.0.1;transport=tcp", local, "tcp-call", cseq, nil, body)
		m = strings.Replace(m, "SIP/2.0/UDP", "SIP/2.0/TCP", 1)
		if to != "" {
			m = strings.Replace(m, "To: <sip:100@127.0.0.1;transport=tcp>", "To: "+to, 1)
		}
		return m
	}
	final := func() string {
		buf := make([]byte, 8192)
		for {
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, err := conn.Read(buf)
			require.NoError(t, err)
			for _, m := range strings.SplitAfter(string(buf[:n]), "\r\n\r\n") {
				if codeOf(m) >= 200 {
					return m
				}
			}
		}
	}
	_, err := conn.Write([]byte(tcp("INVITE", 1, "", audioOffer("127.0.0.1", 41010))))
	require.NoError(t, err)
	res := final()
	require.Equal(t, 200, codeOf(res), res)
	to := headerOf(res, "To")
	_, err = conn.Write([]byte(tcp("ACK", 1, to, "")))
	require.NoError(t, err)
	r.nextCall()

	assert.False(t, closedWithin(conn, 2500*time.Millisecond), "kept open past the idle timeout while the call lasts")
	_, err = conn.Write([]byte(tcp("BYE", 2, to, "")))
	require.NoError(t, err)
	assert.Equal(t, 200, codeOf(final()), "the caller hangs up on the same connection")
	assert.True(t, closedWithin(conn, 10*time.Second), "idle without a call: closed")
}
