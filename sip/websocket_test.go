package sip

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/media"
)

func wsRig(t *testing.T, mutate func(*Config)) *rig {
	return newRig(t, func(c *Config, _ *media.EngineConfig) {
		c.Listen = []string{"udp://127.0.0.1:0", "ws://127.0.0.1:0"}
		if mutate != nil {
			mutate(c)
		}
	})
}

// A browser-like caller over ws:// gets its call, marked as a browser's,
// anonymous; ivrd's BYE reaches it over the same WebSocket.
func TestWebSocketCallAnsweredAndHungUpOverTheSocket(t *testing.T) {
	t.Parallel()
	r := wsRig(t, nil)
	c := r.caller("ws")
	d, err := c.Invite(ctx5(t), r.srv.Addr("ws"), "100", c.Offer("", 0, 101))
	require.NoError(t, err)
	require.Equal(t, 200, d.InviteResponse.StatusCode)
	contact := d.InviteResponse.Contact()
	require.NotNil(t, contact)
	tr, _ := contact.Address.UriParams.Get("transport")
	assert.Equal(t, "ws", tr)
	require.NoError(t, d.Ack(ctx5(t)))
	call := r.nextCall()
	assert.True(t, call.Browser)
	assert.Equal(t, "", call.Extension)
	assert.Equal(t, "ws", call.Transport)
	waitFor(t, "RTP", func() bool { return len(c.Packets()) >= 5 })

	// No dial-out for an anonymous browser caller, and no REFER.
	_, err = call.Bridge(ctx5(t), Outbound{URI: "sip:agent@127.0.0.1:9"})
	require.ErrorIs(t, err, ErrBrowserDialOut)
	require.ErrorIs(t, call.Refer(ctx5(t), "sip:agent@127.0.0.1:9"), ErrReferBrowser)

	call.Hangup()
	bye, err := c.WaitRequest("BYE", 5*time.Second)
	require.NoError(t, err)
	assert.Equal(t, "WS", strings.ToUpper(bye.Transport()))
	assert.Equal(t, EndHungUp, call.EndCause())
}

// upgradeRaw sends an upgrade request and returns the status line.
func upgradeRaw(t *testing.T, r *rig, hdrs string) (string, net.Conn) {
	t.Helper()
	conn, err := net.Dial("tcp", r.srv.Addr("ws").String())
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	_, err = fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n", r.srv.Addr("ws"), hdrs)
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	return res.Status, conn
}

func TestWebSocketUpgradeChecks(t *testing.T) {
	t.Parallel()
	r := wsRig(t, func(c *Config) { c.WebSocket.Origins = []string{"https://pbx.example.com"} })
	status, _ := upgradeRaw(t, r, "Sec-WebSocket-Protocol: sip\r\nOrigin: https://evil.example\r\n")
	assert.Equal(t, "403 Forbidden", status, "a page of another site")
	status, _ = upgradeRaw(t, r, "Origin: https://pbx.example.com\r\n")
	assert.Equal(t, "400 Bad Request", status, "no sip subprotocol")
	assert.Equal(t, uint64(2), r.srv.WebSocketRefused())
	status, _ = upgradeRaw(t, r, "Sec-WebSocket-Protocol: sip\r\nOrigin: https://pbx.example.com\r\n")
	assert.Equal(t, "101 Switching Protocols", status, "a configured origin")
	status, _ = upgradeRaw(t, r, "Sec-WebSocket-Protocol: sip\r\nOrigin: http://127.0.0.1:8080\r\n")
	assert.Equal(t, "101 Switching Protocols", status, "the server's own host, another port (the UI's)")
	assert.Equal(t, uint64(2), r.srv.WebSocketRefused())
}

// waitClosed reads until the server closes conn.
func waitClosed(t *testing.T, conn net.Conn) {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	require.False(t, errors.As(err, &ne) && ne.Timeout(), "the server did not close the connection")
}

func TestWebSocketBadFramesCloseAndCount(t *testing.T) {
	t.Parallel()
	r := wsRig(t, nil)
	for i, frame := range [][]byte{
		{0x81, 0x05, 'h', 'e', 'l', 'l', 'o'},                        // unmasked
		{0xf1, 0x80, 1, 2, 3, 4},                                     // reserved bits
		{0x83, 0x80, 1, 2, 3, 4},                                     // unknown opcode
		{0x81, 0xff, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4}, // 2 GB frame
	} {
		status, conn := upgradeRaw(t, r, "Sec-WebSocket-Protocol: sip\r\n")
		require.Equal(t, "101 Switching Protocols", status)
		_, err := conn.Write(frame)
		require.NoError(t, err)
		waitClosed(t, conn)
		waitFor(t, "counted", func() bool { return r.srv.WebSocketBadFrames() == uint64(i+1) })
	}
}

func TestWebSocketUnfinishedUpgradeClosed(t *testing.T) {
	t.Parallel()
	r := wsRig(t, func(c *Config) { c.Limits.TCPMessageTimeout = 300 * time.Millisecond })
	conn, err := net.Dial("tcp", r.srv.Addr("ws").String())
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	_, err = conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n"))
	require.NoError(t, err)
	waitClosed(t, conn)
	waitFor(t, "counted", func() bool { return r.srv.WebSocketRefused() == 1 })
	// The listener still serves others.
	c := r.caller("ws")
	d, err := c.Invite(ctx5(t), r.srv.Addr("ws"), "100", c.Offer("", 0))
	require.NoError(t, err)
	require.NoError(t, d.Ack(ctx5(t)))
	r.nextCall()
	require.NoError(t, d.Bye(context.Background()))
}

func FuzzWebSocketFrames(f *testing.F) {
	f.Add([]byte{0x81, 0x85, 1, 2, 3, 4, 'h', 'e', 'l', 'l', 'o'})
	f.Add([]byte{0x81, 0xfe, 0x01, 0x00, 1, 2, 3, 4})
	f.Add([]byte{0x88, 0x80, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		var r wsFrameReader
		for len(b) > 0 { // in pieces, as reads come
			n := min(len(b), 3)
			if r.feed(b[:n]) != nil {
				return
			}
			b = b[n:]
		}
	})
}

func FuzzWebSocketUpgrade(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Protocol: sip\r\nOrigin: http://a\r\n\r\n"))
	f.Add([]byte("\x00\x01garbage\r\n\r\n"))
	s := &Server{}
	f.Fuzz(func(t *testing.T, raw []byte) {
		_ = s.checkUpgrade(raw)
	})
}

// With ws_require_auth, a browser's INVITE is challenged and only an
// extension's right password gets a call, which may then dial out.
func TestWebSocketCallersAuthenticate(t *testing.T) {
	t.Parallel()
	r := wsRig(t, func(c *Config) {
		c.WebSocket.RequireAuth = true
		c.Credentials = func(ext string) (string, bool) { return "s3cret-pass", ext == "200" }
	})
	c := r.caller("ws")
	_, err := c.Invite(ctx5(t), r.srv.Addr("ws"), "100", c.Offer("", 0))
	require.Equal(t, 401, statusOf(err), "no credentials: challenged")
	_, err = c.InviteAuth(ctx5(t), r.srv.Addr("ws"), "100", c.Offer("", 0), "200", "wrong")
	require.Equal(t, 403, statusOf(err), "a wrong password")
	d, err := c.InviteAuth(ctx5(t), r.srv.Addr("ws"), "100", c.Offer("", 0), "200", "s3cret-pass")
	require.NoError(t, err)
	require.NoError(t, d.Ack(ctx5(t)))
	call := r.nextCall()
	assert.Equal(t, "200", call.Extension)
	assert.True(t, call.mayDialOut(), "an authenticated browser caller dials out like any caller")
	require.NoError(t, d.Bye(ctx5(t)))
}

// wss:// takes the TLS listener's certificate; the upgrade is then the
// same.
func TestWebSocketSecureListener(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	r := newRig(t, func(c *Config, _ *media.EngineConfig) {
		c.Listen = []string{"udp://127.0.0.1:0", "wss://127.0.0.1:0"}
		c.TLS = ca.valid(t, "127.0.0.1")
	})
	conn, err := tls.Dial("tcp", r.srv.Addr("wss").String(), &tls.Config{RootCAs: ca.pool(), ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	_, err = fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n", r.srv.Addr("wss"))
	require.NoError(t, err)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	assert.Equal(t, "101 Switching Protocols", res.Status)
	assert.Equal(t, "sip", res.Header.Get("Sec-WebSocket-Protocol"))
}

// A text frame that is not SIP closes its connection; the listener goes
// on serving others.
func TestWebSocketGarbageMessageClosesConnection(t *testing.T) {
	t.Parallel()
	r := wsRig(t, nil)
	status, conn := upgradeRaw(t, r, "Sec-WebSocket-Protocol: sip\r\n")
	require.Equal(t, "101 Switching Protocols", status)
	payload := []byte("\x00\x01 not a SIP message\r\n\r\n")
	mask := [4]byte{1, 2, 3, 4}
	frame := []byte{0x81, 0x80 | byte(len(payload)), mask[0], mask[1], mask[2], mask[3]}
	for i, c := range payload {
		frame = append(frame, c^mask[i%4])
	}
	_, err := conn.Write(frame)
	require.NoError(t, err)
	waitClosed(t, conn)

	c := r.caller("ws")
	d, err := c.Invite(ctx5(t), r.srv.Addr("ws"), "100", c.Offer("", 0))
	require.NoError(t, err)
	require.NoError(t, d.Ack(ctx5(t)))
	r.nextCall()
	require.NoError(t, d.Bye(ctx5(t)))
}
